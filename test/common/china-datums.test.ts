/**
 * WGS-84 → GCJ-02 → BD-09 against published reference pairs, and the inverses back.
 * Reference values:
 * - googollee/eviltransform, python/test.py (TESTS: wgsLat, wgsLng, gcjLat, gcjLng) — Shanghai,
 *   Shenzhen, Beijing;
 * - wandergis/coordtransform, README.md "示例用法" (lon, lat order there):
 *   wgs84togcj02(116.404, 39.915) → [116.41024449916938, 39.91640428150164],
 *   gcj02tobd09(116.404, 39.915) → [116.41036949371029, 39.92133699351021],
 *   bd09togcj02(116.404, 39.915) → [116.39762729119315, 39.90865673957631].
 * eviltransform uses a = 6378137 m and coordtransform 6378245 m: the two agree within 1e-7°
 * (about 1 cm), so 1e-6° (about 0.1 m) is the tolerance here.
 */
import { describe, expect, it } from 'vitest';
import { bd09ToGcj02, gcj02ToBd09, outOfChina, toBd09, toGcj02, toWgs84 } from '@yizhan/common/china-datums';

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
    const metres = Math.hypot(
      (g.lat - p.lat) * 111_320,
      (g.lon - p.lon) * 111_320 * Math.cos((p.lat * Math.PI) / 180),
    );
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
});

describe('GCJ-02 ↔ BD-09 (Baidu)', () => {
  it('moves the coordtransform point to its published BD-09 point', () => {
    const b = gcj02ToBd09({ lat: 39.915, lon: 116.404 });
    expect(Math.abs(b.lat - 39.92133699351021)).toBeLessThan(1e-9);
    expect(Math.abs(b.lon - 116.41036949371029)).toBeLessThan(1e-9);
  });

  it('moves the coordtransform BD-09 point to its published GCJ-02 point', () => {
    const g = bd09ToGcj02({ lat: 39.915, lon: 116.404 });
    expect(Math.abs(g.lat - 39.90865673957631)).toBeLessThan(1e-9);
    expect(Math.abs(g.lon - 116.39762729119315)).toBeLessThan(1e-9);
  });

  it('round-trips WGS-84 → BD-09 → WGS-84 within 1e-5° (about 1 m) over China', () => {
    for (let lat = 18; lat <= 53; lat += 5)
      for (let lon = 74; lon <= 134; lon += 6) {
        const back = toWgs84(bd09ToGcj02(toBd09({ lat, lon })));
        expect(Math.abs(back.lat - lat)).toBeLessThan(1e-5);
        expect(Math.abs(back.lon - lon)).toBeLessThan(1e-5);
      }
  });

  it('puts a Baidu pin about 1 km off the GPS point (a link in the wrong datum misleads the rider)', () => {
    const p = { lat: 30.2741, lon: 120.1551 };
    const b = toBd09(p);
    const metres = Math.hypot(
      (b.lat - p.lat) * 111_320,
      (b.lon - p.lon) * 111_320 * Math.cos((p.lat * Math.PI) / 180),
    );
    expect(metres).toBeGreaterThan(800);
    expect(metres).toBeLessThan(1600);
  });
});
