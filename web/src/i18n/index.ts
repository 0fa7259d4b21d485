/**
 * vue-i18n with Simplified Chinese first; English by the switch in the menu, remembered in this
 * browser (localStorage). Times are shown in the browser's time zone.
 */
import { createI18n, useI18n } from 'vue-i18n';
import type { Lang } from '../api/types.js';
import zh from './zh-CN.js';
import en from './en.js';

const KEY = 'yizhan.lang';

function storedLang(): Lang {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLang(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
});

export function currentLang(): Lang {
  return i18n.global.locale.value === 'en' ? 'en' : 'zh-CN';
}

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
}

/** A Unix-ms time as local date and time, e.g. 2026-12-02 13:05. */
export function formatTime(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A township's name in the chosen language (its Chinese name when it has no English one). */
export function townshipName(tw: { nameZh: string; nameEn: string }, lang: string): string {
  return lang === 'en' ? tw.nameEn || tw.nameZh : tw.nameZh;
}

/**
 * The words for a code the server sends (a rule, an audit action) when this page knows them, else
 * null: `codeName('rules', 'dispenser_broken')` → 饮水机故障.
 */
export function useCodeNames(): (group: 'rules' | 'audit.actions', code: string) => string | null {
  const i18n = useI18n();
  return (group, code) => {
    const key = `${group}.${code.replace(/\W/g, '_')}`;
    return i18n.te(key) ? i18n.t(key) : null;
  };
}
