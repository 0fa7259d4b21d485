/**
 * Coverage of the station network on an H3 grid (docs/planning.md, "Coverage and candidate sites").
 *
 * Grid: the H3 cells (resolution `travel.resolution`) whose centres lie in the stations' bounding
 * box widened on every side by the threshold distance, plus the cells of demand points outside it.
 * Travel time of a cell: great-circle distance from its centre to the nearest station × detour ÷
 * speed. A cell is covered when that time is ≤ the threshold. Demand of a cell: the weights of the
 * demand points whose position falls in it.
 */
import { cellToBoundary, cellToLatLng, latLngToCell, polygonToCells } from 'h3-js';
import { PointIndex, haversineKm, kmToDegrees, type LatLon } from './geo.js';
import type { CoverageCell, TravelSettings } from './coverage-schemas.js';

export interface Site extends LatLon {
  id: string;
}

export interface DemandPoint extends LatLon {
  weight: number;
}

/** Minutes to travel `km` of straight line. */
export function minutesFor(km: number, t: TravelSettings): number {
  return ((km * t.detour) / t.speedKmh) * 60;
}

/** The straight-line distance that takes exactly the threshold time. */
export function reachKm(t: TravelSettings): number {
  return ((t.thresholdMin / 60) * t.speedKmh) / t.detour;
}

/** The cells covering the stations' bounding box widened by the threshold distance. */
export function gridCells(stations: readonly LatLon[], t: TravelSettings): string[] {
  if (stations.length === 0) return [];
  let south = Infinity;
  let north = -Infinity;
  let west = Infinity;
  let east = -Infinity;
  for (const s of stations) {
    south = Math.min(south, s.lat);
    north = Math.max(north, s.lat);
    west = Math.min(west, s.lon);
    east = Math.max(east, s.lon);
  }
  const widest = Math.abs(south) > Math.abs(north) ? south : north;
  const { dLat, dLon } = kmToDegrees(reachKm(t), widest);
  south -= dLat;
  north += dLat;
  west -= dLon;
  east += dLon;
  return polygonToCells(
    [
      [south, west],
      [north, west],
      [north, east],
      [south, east],
      [south, west],
    ],
    t.resolution,
  );
}

export interface Coverage {
  cells: CoverageCell[];
  summary: { cells: number; coveredCells: number; demand: number; coveredDemand: number };
}

/** Bucket width of the station index: the reach, so a covered cell's station is in the next ring. */
const bucketKm = (t: TravelSettings): number => Math.max(0.2, reachKm(t));

export function coverage(
  stations: readonly Site[],
  demand: readonly DemandPoint[],
  t: TravelSettings,
): Coverage {
  const weightByCell = demandByCell(demand, t.resolution);
  const ids = new Set(gridCells(stations, t));
  for (const h of weightByCell.keys()) ids.add(h);
  const index = new PointIndex(stations, bucketKm(t));
  const cells: CoverageCell[] = [];
  const summary = { cells: 0, coveredCells: 0, demand: 0, coveredDemand: 0 };
  for (const h3 of ids) {
    const [lat, lon] = cellToLatLng(h3);
    const near = index.nearest({ lat, lon });
    const minutes = near ? round2(minutesFor(near.km, t)) : null;
    const covered = minutes !== null && minutes <= t.thresholdMin;
    const w = weightByCell.get(h3) ?? 0;
    cells.push({
      h3,
      lat: round6(lat),
      lon: round6(lon),
      minutes,
      stationId: near?.point.id ?? null,
      demand: w,
      covered,
    });
    summary.cells++;
    summary.demand += w;
    if (covered) {
      summary.coveredCells++;
      summary.coveredDemand += w;
    }
  }
  cells.sort((a, b) => (a.h3 < b.h3 ? -1 : a.h3 > b.h3 ? 1 : 0));
  return { cells, summary };
}

export function demandByCell(points: readonly DemandPoint[], resolution: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of points) {
    if (!(p.weight > 0)) continue;
    const h = latLngToCell(p.lat, p.lon, resolution);
    m.set(h, (m.get(h) ?? 0) + p.weight);
  }
  return m;
}

/**
 * For each site, the indexes (into `cells`) of the cells it reaches within the threshold. The cells
 * are bucketed once, so 1,000 sites cost 1,000 radius look-ups, not sites × cells distances.
 */
export function reachSets(sites: readonly LatLon[], cells: readonly LatLon[], t: TravelSettings): number[][] {
  const indexed = cells.map((c, i) => ({ lat: c.lat, lon: c.lon, i }));
  const index = new PointIndex(indexed, bucketKm(t));
  const km = reachKm(t);
  return sites.map((s) => {
    const out: number[] = [];
    index.within(s, km, (p) => out.push(p.i));
    return out;
  });
}

/** The same reach sets by comparing every site with every cell: the benchmark's peer. */
export function reachSetsAllPairs(
  sites: readonly LatLon[],
  cells: readonly LatLon[],
  t: TravelSettings,
): number[][] {
  const km = reachKm(t);
  return sites.map((s) => {
    const out: number[] = [];
    for (let i = 0; i < cells.length; i++) if (haversineKm(s, cells[i]!) <= km) out.push(i);
    return out;
  });
}

/** A GeoJSON ring ([lon, lat], closed) of the cell's hexagon. */
export function hexagonRing(h3: string): [number, number][] {
  return cellToBoundary(h3, true).map(([lon, lat]) => [round6(lon), round6(lat)] as [number, number]);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
