/**
 * `--help` text and README tables, both from a declaration, so neither can drift from the code.
 */
import { defaultShown, type Setting } from './kinds.js';
import { envName, type Declaration, type Settings } from './parse.js';

export type Lang = 'zh-CN' | 'en';

interface Row {
  names: string;
  dflt: string;
  zh: string;
  en: string;
}

function rows(d: Declaration<Settings>, keys?: readonly string[]): Row[] {
  return (keys ?? Object.keys(d.settings)).map((key) => {
    const s = d.settings[key] as Setting<unknown>;
    const env = envName(d, key);
    const names = [
      ...(s.flag !== undefined ? [`--${s.flag}`] : []),
      ...(env !== undefined ? [env] : []),
      ...(env !== undefined && s.secret ? [`${env}_FILE`] : []),
    ];
    return { names: names.join(', '), dflt: defaultShown(s), zh: s.zh, en: s.en };
  });
}

/** Every setting with its default and meaning, one per line (Chinese unless `en`). */
export function helpText(d: Declaration<Settings>, lang: Lang = 'zh-CN'): string {
  const all = rows(d);
  const w = Math.max(...all.map((r) => r.names.length));
  const dw = Math.max(...all.map((r) => r.dflt.length));
  return all
    .map((r) => `  ${r.names.padEnd(w)}  ${(r.dflt || '-').padEnd(dw)}  ${lang === 'en' ? r.en : r.zh}`)
    .join('\n');
}

/** Markdown-safe: a `|` would end the cell, a `<dir>` would be read as HTML. */
const cell = (t: string): string => t.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** A default as code, or as words when it explains itself (`(off)`) or is empty. */
const shownDefault = (t: string): string => (t === '' ? '–' : t.startsWith('(') ? cell(t) : `\`${t.replace(/\|/g, '\\|')}\``);

/** A markdown table: name(s), default, meaning in Chinese and English. `keys` picks and orders rows. */
export function markdownTable(d: Declaration<Settings>, keys?: readonly string[]): string {
  const lines = ['| 设置 / setting | 默认 / default | 说明 | meaning |', '| --- | --- | --- | --- |'];
  for (const r of rows(d, keys)) {
    const names = r.names
      .split(', ')
      .map((n) => `\`${n}\``)
      .join(', ');
    lines.push(`| ${names} | ${shownDefault(r.dflt)} | ${cell(r.zh)} | ${cell(r.en)} |`);
  }
  return lines.join('\n');
}
