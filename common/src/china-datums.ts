/**
 * The datums of Chinese web maps, converted from WGS-84 (GPS, the station files):
 *
 *   WGS-84 → GCJ-02 (国测局, "Mars" coordinates: AMap, Tencent, Apple Maps in China)
 *          → BD-09 (Baidu Maps: GCJ-02 shifted once more).
 *
 * The GCJ-02 forward transform is the published one (Krasovsky ellipsoid a = 6378245 m,
 * e² = 0.00669342…), applied only inside China's bounding box: outside it GCJ-02 equals WGS-84.
 * GCJ-02 has no closed-form inverse; toWgs84 iterates the forward transform until it returns the
 * point given (better than 1e-9°, about 0.1 mm). BD-09 ↔ GCJ-02 is Baidu's published pair of
 * formulas (the inverse is approximate, within about 1e-6°, as in every open implementation).
 * Used by the server (navigation links) and the web app (drawing on GCJ-02 tiles); no dependencies.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

const A = 6378245.0;
const EE = 0.00669342162296594323;
const X_PI = (Math.PI * 3000.0) / 180.0;

/** The box the GCJ-02 transform applies in (lon 72.004…137.8347, lat 0.8293…55.8271). */
export function outOfChina(p: LatLon): boolean {
  return p.lon < 72.004 || p.lon > 137.8347 || p.lat < 0.8293 || p.lat > 55.8271;
}

function shift(x: number, y: number): { dLat: number; dLon: number } {
  const s = (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * (2 / 3);
  let dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + s;
  dLat += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  dLat += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  let dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + s;
  dLon += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  dLon += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return { dLat, dLon };
}

/** A WGS-84 point as drawn on GCJ-02 maps (AMap). */
export function toGcj02(p: LatLon): LatLon {
  if (outOfChina(p)) return { lat: p.lat, lon: p.lon };
  const { dLat, dLon } = shift(p.lon - 105, p.lat - 35);
  const radLat = (p.lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  return {
    lat: p.lat + (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI),
    lon: p.lon + (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI),
  };
}

/** The WGS-84 point a GCJ-02 point (a click on GCJ-02 tiles) stands for. */
export function toWgs84(g: LatLon): LatLon {
  if (outOfChina(g)) return { lat: g.lat, lon: g.lon };
  let p = { lat: g.lat, lon: g.lon };
  for (let i = 0; i < 30; i++) {
    const f = toGcj02(p);
    const eLat = f.lat - g.lat;
    const eLon = f.lon - g.lon;
    p = { lat: p.lat - eLat, lon: p.lon - eLon };
    if (Math.abs(eLat) < 1e-10 && Math.abs(eLon) < 1e-10) break;
  }
  return p;
}

/** A GCJ-02 point in Baidu's BD-09. */
export function gcj02ToBd09(g: LatLon): LatLon {
  const z = Math.sqrt(g.lon * g.lon + g.lat * g.lat) + 0.00002 * Math.sin(g.lat * X_PI);
  const theta = Math.atan2(g.lat, g.lon) + 0.000003 * Math.cos(g.lon * X_PI);
  return { lat: z * Math.sin(theta) + 0.006, lon: z * Math.cos(theta) + 0.0065 };
}

/** A BD-09 point in GCJ-02 (approximate inverse of gcj02ToBd09, within about 1e-6°). */
export function bd09ToGcj02(b: LatLon): LatLon {
  const x = b.lon - 0.0065;
  const y = b.lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return { lat: z * Math.sin(theta), lon: z * Math.cos(theta) };
}

/** A WGS-84 point as Baidu Maps places it (via GCJ-02; outside China Baidu still shifts it). */
export function toBd09(p: LatLon): LatLon {
  return gcj02ToBd09(toGcj02(p));
}
