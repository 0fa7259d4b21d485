/**
 * Drawing station points on map tiles: the datum conversions themselves live in
 * `@yizhan/common/china-datums` (one formula for the server's navigation links and this app).
 */
import { outOfChina, toGcj02, toWgs84, type LatLon } from '@yizhan/common/china-datums';

export { outOfChina, toGcj02, toWgs84, type LatLon };

/** The conversions of a tile set: identity on WGS-84 tiles, the transform on GCJ-02 ones. */
export function datumOf(datum: 'wgs84' | 'gcj02'): { draw(p: LatLon): LatLon; read(p: LatLon): LatLon } {
  return datum === 'gcj02' ? { draw: toGcj02, read: toWgs84 } : { draw: (p) => p, read: (p) => p };
}
