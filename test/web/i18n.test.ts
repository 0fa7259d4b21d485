/**
 * Every text of the web app compiles in vue-i18n, in both languages: a stray `@`, `|` or brace is
 * message syntax and would break the page that shows it (a render error leaves the part blank).
 */
import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import zh from '../../web/src/i18n/zh-CN.js';
import en from '../../web/src/i18n/en.js';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [prefix + k] : keys(v as object, `${prefix}${k}.`),
  );
}

describe('web app texts', () => {
  for (const [lang, messages] of [
    ['zh-CN', zh],
    ['en', en],
  ] as const) {
    it(`compiles every ${lang} message`, () => {
      const i18n = createI18n({ legacy: false, locale: lang, messages: { [lang]: messages } });
      const broken: string[] = [];
      for (const key of keys(messages)) {
        try {
          const out = i18n.global.t(key, {
            n: 1,
            time: 'T',
            name: 'N',
            id: 1,
            ago: 'A',
            scope: 'S',
            month: 'M',
            login: 'L',
          });
          if (out === key) broken.push(`${key}: missing`);
        } catch (e) {
          broken.push(`${key}: ${(e as Error).message}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it('says that a person without a mobile cannot be @-mentioned', () => {
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zh } });
    expect(i18n.global.t('crew.noMobile')).toBe('（无手机号，不能被@）');
  });
});
