/**
 * WGS-84 → GCJ-02 against published reference pairs, and the inverse back to the GPS point.
 * Reference values:
 * - googollee/eviltransform, python/test.py (TESTS: wgsLat, wgsLng, gcjLat, gcjLng) — Shanghai,
 *   Shenzhen, Beijing;
 * - wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915) →
 *   [116.41024449916938, 39.91640428150164].
 * eviltransform uses a = 6378137 m and coordtransform 6378245 m: the two agree within 1e-7°
 * (about 1 cm), so 1e-6° (about 0.1 m) is the tolerance here.
 */
import { describe, expect, it } from 'vitest';
import { datumOf, outOfChina, toGcj02, toWgs84 } from '../../../web/src/map/gcj02.js';

const PAIRS: [string, number, number, number, number][] = [
  ['上海 Shanghai (eviltransform)', 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
  ['深圳 Shenzhen (eviltransform)', 22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
  ['北京 Beijing (eviltransform)', 39.911954, 116.377817, 39.91334545536069, 116.38404722455657],
  ['北京 Beijing (coordtransform)', 39.915, 116.404, 39.91640428150164, 116.41024449916938],
];
const TOL = 1e-6;

describe('WGS-84 → GCJ-02', () => {
  for (const [name, lat, lon, gLat, gLon] of PAIRS) {
    it(`moves ${name} to the published GCJ-02 point`, () => {
      const g = toGcj02({ lat, lon });
      expect(Math.abs(g.lat - gLat)).toBeLessThan(TOL);
      expect(Math.abs(g.lon - gLon)).toBeLessThan(TOL);
    });
    it(`brings ${name} back from GCJ-02 to the GPS point`, () => {
      const w = toWgs84({ lat: gLat, lon: gLon });
      expect(Math.abs(w.lat - lat)).toBeLessThan(TOL);
      expect(Math.abs(w.lon - lon)).toBeLessThan(TOL);
    });
  }

  it('shifts by hundreds of metres inside China (a station would miss its street without it)', () => {
    const p = { lat: 30.2741, lon: 120.1551 };
    const g = toGcj02(p);
    const metres = Math.hypot((g.lat - p.lat) * 111_320, (g.lon - p.lon) * 111_320 * Math.cos((p.lat * Math.PI) / 180));
    expect(metres).toBeGreaterThan(300);
    expect(metres).toBeLessThan(800);
  });

  it('leaves points outside China unchanged, both ways', () => {
    for (const p of [
      { lat: 51.5007, lon: -0.1246 },
      { lat: 35.6586, lon: 139.7454 },
      { lat: -33.8568, lon: 151.2153 },
    ]) {
      expect(outOfChina(p)).toBe(true);
      expect(toGcj02(p)).toEqual(p);
      expect(toWgs84(p)).toEqual(p);
    }
  });

  it('round-trips a grid over the county-sized range within 1e-9°', () => {
    for (let lat = 18; lat <= 53; lat += 5)
      for (let lon = 74; lon <= 134; lon += 6) {
        const back = toWgs84(toGcj02({ lat, lon }));
        expect(Math.abs(back.lat - lat)).toBeLessThan(1e-9);
        expect(Math.abs(back.lon - lon)).toBeLessThan(1e-9);
      }
  });

  it('draws and reads as-is on WGS-84 tiles, converted on GCJ-02 tiles', () => {
    const p = { lat: 31.1774276, lon: 121.5272106 };
    expect(datumOf('wgs84').draw(p)).toEqual(p);
    expect(datumOf('gcj02').draw(p)).toEqual(toGcj02(p));
    expect(datumOf('gcj02').read(toGcj02(p)).lat).toBeCloseTo(p.lat, 9);
  });
});
