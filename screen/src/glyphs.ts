/**
 * The characters the pages can show, for the subset web font (scripts/font-subset.ts builds the
 * font from them; test/screen/font.test.ts checks the font still covers them): every text in
 * SCREEN_TEXT, the page templates themselves, and the station files (names, townships, addresses).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCREEN_TEXT } from './text.js';
import type { StationConfig } from '@yizhan/station-config/schema';

const SCREEN_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_STATIONS_DIR = join(ROOT, 'firmware-config/stations');

/** The modules whose text reaches a page (templates, script, styles); the others hold no page text. */
const PAGE_MODULES = ['html.ts', 'notices.ts', 'page.ts', 'script.ts', 'side.ts', 'style.ts'];

/** Printable ASCII and the punctuation the pages and Chinese texts use. */
const BASE = (() => {
  let s = '';
  for (let c = 0x20; c < 0x7f; c++) s += String.fromCharCode(c);
  return s + '·—–…°℃，。：；、（）！？“”‘’《》【】　';
})();

function texts(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) texts(x, out);
}

/** Sources of page text, by name, for error messages. */
export function pageTextSources(stationsDir = DEFAULT_STATIONS_DIR): Map<string, string> {
  const out = new Map<string, string>();
  const screen: string[] = [];
  texts(SCREEN_TEXT, screen);
  out.set('screen/src/text.ts SCREEN_TEXT', screen.join('\n'));
  for (const f of PAGE_MODULES) out.set(`screen/src/${f}`, readFileSync(join(SCREEN_DIR, f), 'utf8'));
  for (const f of readdirSync(stationsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    out.set(join(stationsDir, f), readFileSync(join(stationsDir, f), 'utf8'));
  return out;
}

/** Whether a font should carry this code point: not a control, not a line separator. */
function wanted(cp: number): boolean {
  return cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp !== 0x2028 && cp !== 0x2029;
}

/** Every code point of the page texts (plus printable ASCII), sorted. */
export function pageCodePoints(stationsDir = DEFAULT_STATIONS_DIR): number[] {
  const set = new Set<number>();
  for (const text of [BASE, ...pageTextSources(stationsDir).values()])
    for (const ch of text) {
      const cp = ch.codePointAt(0) ?? 0;
      if (wanted(cp)) set.add(cp);
    }
  return [...set].sort((a, b) => a - b);
}

/** Characters of `text` beyond ASCII that `mapped` lacks, each once, in order. */
export function missingGlyphs(text: string, mapped: ReadonlySet<number>): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x7e && wanted(cp) && !mapped.has(cp) && !out.includes(ch)) out += ch;
  }
  return out;
}

/** Stations whose name, township or address has characters the font lacks. */
export function stationGlyphGaps(
  stations: readonly { config: StationConfig }[],
  mapped: ReadonlySet<number>,
): { station: string; missing: string }[] {
  const out: { station: string; missing: string }[] = [];
  for (const { config: c } of stations) {
    const missing = missingGlyphs(`${c.name}${c.township}${c.address}`, mapped);
    if (missing) out.push({ station: c.id, missing });
  }
  return out;
}
