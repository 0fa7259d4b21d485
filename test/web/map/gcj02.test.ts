/** Station points on map tiles: as-is on WGS-84 tiles, converted on GCJ-02 (AMap) tiles. */
import { describe, expect, it } from 'vitest';
import { toGcj02 } from '@yizhan/common/china-datums';
import { datumOf } from '../../../web/src/map/gcj02.js';

describe('datumOf', () => {
  it('draws and reads as-is on WGS-84 tiles, converted on GCJ-02 tiles', () => {
    const p = { lat: 31.1774276, lon: 121.5272106 };
    expect(datumOf('wgs84').draw(p)).toEqual(p);
    expect(datumOf('wgs84').read(p)).toEqual(p);
    expect(datumOf('gcj02').draw(p)).toEqual(toGcj02(p));
    expect(datumOf('gcj02').read(toGcj02(p)).lat).toBeCloseTo(p.lat, 9);
  });
});
