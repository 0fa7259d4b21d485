/**
 * People-facing text of the broker (CLI output, start-up refusals). Simplified Chinese by default
 * with the English in parentheses; `YIZHAN_LANG=en` prints English only. Log lines stay English.
 */
export type Lang = 'zh-CN' | 'en';

export function currentLang(env: NodeJS.ProcessEnv = process.env): Lang {
  return env.YIZHAN_LANG?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

/** One message in both languages: `中文 (English)` by default, `English` with YIZHAN_LANG=en. */
export function say(zh: string, en: string, lang: Lang = currentLang()): string {
  return lang === 'en' ? en : `${zh} (${en})`;
}
