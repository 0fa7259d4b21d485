/** Distance and direction from a rider to a station, against values a map would show. */
import { describe, expect, it } from 'vitest';
import { bearingDeg, compassPoint, haversineM } from '../../../server/src/riders/geo.js';

describe('haversineM', () => {
  it('measures one degree of latitude as about 111.2 km', () => {
    expect(haversineM({ lat: 30, lon: 120 }, { lat: 31, lon: 120 })).toBeCloseTo(111_195, -1);
  });

  it('measures Beijing Tiananmen to Shanghai People’s Square as about 1,067 km', () => {
    const d = haversineM({ lat: 39.9087, lon: 116.3975 }, { lat: 31.2304, lon: 121.4737 });
    expect(d / 1000).toBeGreaterThan(1060);
    expect(d / 1000).toBeLessThan(1075);
  });

  it('is zero at the same point and the same both ways', () => {
    const a = { lat: 30.27, lon: 120.15 };
    const b = { lat: 30.28, lon: 120.17 };
    expect(haversineM(a, a)).toBe(0);
    expect(haversineM(a, b)).toBeCloseTo(haversineM(b, a), 6);
  });
});

describe('bearingDeg and compassPoint', () => {
  const o = { lat: 30, lon: 120 };
  it.each([
    [{ lat: 30.01, lon: 120 }, 0, 'N'],
    [{ lat: 30, lon: 120.01 }, 90, 'E'],
    [{ lat: 29.99, lon: 120 }, 180, 'S'],
    [{ lat: 30, lon: 119.99 }, 270, 'W'],
    [{ lat: 30.01, lon: 120.0115 }, 45, 'NE'],
    [{ lat: 29.99, lon: 119.9885 }, 225, 'SW'],
  ] as const)('points from the rider to %o: %d° (%s)', (to, deg, point) => {
    const b = bearingDeg(o, to);
    expect(Math.abs(((b - deg + 540) % 360) - 180)).toBeLessThan(1);
    expect(compassPoint(b)).toBe(point);
  });

  it('keeps N on both sides of 0° and switches at the 22.5° boundaries', () => {
    expect(compassPoint(350)).toBe('N');
    expect(compassPoint(10)).toBe('N');
    expect(compassPoint(22.4)).toBe('N');
    expect(compassPoint(22.6)).toBe('NE');
    expect(compassPoint(337.6)).toBe('N');
    expect(compassPoint(337.4)).toBe('NW');
  });
});
