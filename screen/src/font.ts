/**
 * The pages' web font: subsets of Noto Sans CJK SC (screen/assets/fonts/, SIL OFL 1.1) with
 * exactly the characters the pages use, so a kiosk without CJK fonts still shows Chinese.
 * Served under a content-hashed URL with a one-year immutable cache; regenerate with
 * `npm run font:subset`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FONT_DIR = fileURLToPath(new URL('../assets/fonts/', import.meta.url));
/** CSS family name of the web font; system CJK fonts follow it in the font stack. */
export const FONT_FAMILY = 'YizhanSC';
export const FONT_URL_PREFIX = '/assets/fonts/';

export const FONT_FACES = [
  { weight: 400, source: 'Regular', file: 'yizhan-sc-regular.woff2' },
  { weight: 700, source: 'Bold', file: 'yizhan-sc-bold.woff2' },
] as const;

export interface LoadedFont {
  weight: number;
  /** Served name: `<file stem>.<hash>.woff2`. */
  name: string;
  data: Buffer;
}

export interface PageFonts {
  fonts: LoadedFont[];
  /** `@font-face` rules for the pages' CSS; empty without fonts. */
  css: string;
  byName: Map<string, LoadedFont>;
}

/** Read the font files. A missing file is reported to `onMissing` and left out (pages fall back to system fonts). */
export function loadPageFonts(onMissing: (path: string, err: unknown) => void, dir = FONT_DIR): PageFonts {
  const fonts: LoadedFont[] = [];
  for (const f of FONT_FACES) {
    const path = join(dir, f.file);
    try {
      const data = readFileSync(path);
      const hash = createHash('sha256').update(data).digest('hex').slice(0, 12);
      fonts.push({ weight: f.weight, name: f.file.replace(/\.woff2$/, `.${hash}.woff2`), data });
    } catch (err) {
      onMissing(path, err);
    }
  }
  const css = fonts
    .map(
      (f) =>
        `@font-face{font-family:${FONT_FAMILY};font-weight:${f.weight === 400 ? '100 599' : '600 900'};` +
        `font-display:block;src:url(${FONT_URL_PREFIX}${f.name}) format("woff2")}`,
    )
    .join('\n');
  return { fonts, css, byName: new Map(fonts.map((f) => [f.name, f])) };
}

/** The font stack of the pages: the web font first, then system CJK fonts for anything it lacks. */
export const FONT_STACK = `${FONT_FAMILY},"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif`;
