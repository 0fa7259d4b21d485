/**
 * Distances and a bucket index of points for the coverage grid (grid.ts) and the solver's reach
 * sets: nearest point and points within a radius without comparing every pair. Buckets are squares
 * of `cellKm` on a local equirectangular projection around the first point's latitude; the
 * distances themselves are great-circle (haversine), on a sphere of the Earth's mean radius.
 */

const EARTH_KM = 6371.0088;
const KM_PER_DEG = (Math.PI / 180) * EARTH_KM;
const RAD = Math.PI / 180;

export interface LatLon {
  lat: number;
  lon: number;
}

export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Degrees of latitude and of longitude (at `lat`) that make `km`. */
export function kmToDegrees(km: number, lat: number): { dLat: number; dLon: number } {
  return { dLat: km / KM_PER_DEG, dLon: km / (KM_PER_DEG * Math.max(0.01, Math.cos(lat * RAD))) };
}

const OFFSET = 1 << 20;
const key = (ix: number, iy: number): number => (ix + OFFSET) * 2 * OFFSET + (iy + OFFSET);

export class PointIndex<T extends LatLon> {
  private readonly buckets = new Map<number, T[]>();
  private readonly kmPerDegLon: number;
  private minX = Infinity;
  private maxX = -Infinity;
  private minY = Infinity;
  private maxY = -Infinity;

  constructor(
    points: readonly T[],
    private readonly cellKm: number,
  ) {
    if (!(cellKm > 0)) throw new Error(`PointIndex: cellKm must be > 0, got ${cellKm}`);
    const lat0 = points.length ? points[0]!.lat : 0;
    this.kmPerDegLon = KM_PER_DEG * Math.max(0.01, Math.cos(lat0 * RAD));
    for (const p of points) {
      const [ix, iy] = this.bucketOf(p);
      this.minX = Math.min(this.minX, ix);
      this.maxX = Math.max(this.maxX, ix);
      this.minY = Math.min(this.minY, iy);
      this.maxY = Math.max(this.maxY, iy);
      const k = key(ix, iy);
      const b = this.buckets.get(k);
      if (b) b.push(p);
      else this.buckets.set(k, [p]);
    }
  }

  private bucketOf(p: LatLon): [number, number] {
    return [
      Math.floor((p.lon * this.kmPerDegLon) / this.cellKm),
      Math.floor((p.lat * KM_PER_DEG) / this.cellKm),
    ];
  }

  /** The nearest point and its distance; undefined when the index is empty. */
  nearest(at: LatLon): { point: T; km: number } | undefined {
    if (this.buckets.size === 0) return undefined;
    const [cx, cy] = this.bucketOf(at);
    // Every bucket lies within this many rings of the query's bucket.
    const maxRing = Math.max(
      Math.abs(cx - this.minX),
      Math.abs(cx - this.maxX),
      Math.abs(cy - this.minY),
      Math.abs(cy - this.maxY),
    );
    let best: { point: T; km: number } | undefined;
    for (let r = 0; r <= maxRing; r++) {
      // A point in ring r is at least (r − 1) bucket widths away (the query sits anywhere in its own).
      if (best && (r - 1) * this.cellKm > best.km) break;
      this.ring(cx, cy, r, (p) => {
        const km = haversineKm(at, p);
        if (!best || km < best.km) best = { point: p, km };
      });
    }
    return best;
  }

  /** Every point within `km` (great-circle) of `at`. */
  within(at: LatLon, km: number, visit: (p: T, km: number) => void): void {
    const [cx, cy] = this.bucketOf(at);
    const rings = Math.ceil(km / this.cellKm) + 1;
    for (let r = 0; r <= rings; r++)
      this.ring(cx, cy, r, (p) => {
        const d = haversineKm(at, p);
        if (d <= km) visit(p, d);
      });
  }

  private ring(cx: number, cy: number, r: number, visit: (p: T) => void): void {
    const each = (ix: number, iy: number): void => {
      const b = this.buckets.get(key(ix, iy));
      if (b) for (const p of b) visit(p);
    };
    if (r === 0) return each(cx, cy);
    for (let dx = -r; dx <= r; dx++) {
      each(cx + dx, cy - r);
      each(cx + dx, cy + r);
    }
    for (let dy = -r + 1; dy <= r - 1; dy++) {
      each(cx - r, cy + dy);
      each(cx + r, cy + dy);
    }
  }
}
