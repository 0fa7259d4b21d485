/**
 * The pages' subset web font carries every character the pages can show: each Chinese text in
 * SCREEN_TEXT, the page templates and the station files. Adding a text or a station without
 * `npm run font:subset` fails here, naming the characters and where they come from.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FONT_DIR, FONT_FACES } from '@yizhan/screen/font';
import { pageCodePoints, pageTextSources, stationGlyphGaps } from '@yizhan/screen/glyphs';
import { stationView } from '@yizhan/screen/derive';
import { woff2CodePoints } from '@yizhan/screen/woff2';
import { stationFixture } from '../helpers/station.js';

const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/u;

describe('subset web font', () => {
  for (const face of FONT_FACES) {
    it(`${face.file} maps every character of the pages`, () => {
      const mapped = woff2CodePoints(readFileSync(join(FONT_DIR, face.file)));
      const missing: string[] = [];
      for (const [source, text] of pageTextSources()) {
        const chars = new Set([...text].filter((c) => CJK.test(c) && !mapped.has(c.codePointAt(0) ?? 0)));
        if (chars.size) missing.push(`${source}: ${[...chars].join('')}`);
      }
      expect(missing, 'characters missing from the font; run npm run font:subset').toEqual([]);
      // Nothing that the pages do not need, either (the subset stays small).
      expect(mapped.size).toBe(pageCodePoints().length);
    });
  }

  it('the Chinese texts really are checked: SCREEN_TEXT and the station names are among the sources', () => {
    const sources = [...pageTextSources().entries()];
    expect(sources.find(([s]) => s.includes('SCREEN_TEXT'))?.[1]).toContain('热水器故障');
    expect(sources.find(([s]) => s.endsWith('st-001.yaml'))?.[1]).toContain('城关人民路驿站');
    const all = new Set(pageCodePoints());
    expect(all.has('闭'.codePointAt(0) ?? 0)).toBe(true);
  });

  it('names a station whose name the font cannot show (the server logs it at start)', () => {
    const mapped = woff2CodePoints(readFileSync(join(FONT_DIR, FONT_FACES[0].file)));
    const stations = [
      {
        ...stationFixture('st-001'),
        name: '城关人民路驿站',
        township: '城关镇',
        address: '青岚县城关镇人民路18号',
      },
      { ...stationFixture('st-002'), name: '鑫龘驿站', township: '城关镇', address: '人民路1号' },
    ].map(stationView);
    expect(stationGlyphGaps(stations, mapped)).toEqual([{ station: 'st-002', missing: '鑫龘' }]);
  });

  it('stays small: under 300 KB for both weights', () => {
    const total = FONT_FACES.reduce((n, f) => n + statSync(join(FONT_DIR, f.file)).size, 0);
    expect(total).toBeLessThan(300 * 1024);
  });
});
