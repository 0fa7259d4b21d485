/**
 * Coverage and candidate ranking for a synthetic county (seeded): `stations` stations and
 * `demandPoints` weighted demand points in clusters over a `sizeKm` square, and `candidates`
 * candidate sites; the grid, travel minutes, every candidate's added demand and the best k = 1…5
 * through the real module (planning/analyse.ts). bench/planning.ts calls {@link benchCoverage};
 * run alone it prints the result:
 *
 *   npx tsx bench/planning-coverage.ts [candidates]
 *
 * Peer, in the same run: the same answer by comparing every cell with every station (nearest) and
 * every candidate with every cell (reach), as a direct implementation without the bucket index
 * would; `peerMs`. Both must pick the same sites, or the run throws.
 */
import { cellToLatLng } from 'h3-js';
import { analyse } from '../server/src/planning/analyse.js';
import {
  demandByCell,
  gridCells,
  minutesFor,
  reachSetsAllPairs,
  type DemandPoint,
  type Site,
} from '../server/src/planning/grid.js';
import { haversineKm } from '../server/src/planning/geo.js';
import { solveMaxCover } from '../server/src/planning/solve.js';
import { travelFor } from '../server/src/planning/travel.js';
import type { TravelMode, TravelSettings } from '../server/src/planning/coverage-schemas.js';

export interface CoverageBenchOptions {
  candidates?: number;
  stations?: number;
  demandPoints?: number;
  sizeKm?: number;
  mode?: TravelMode;
  seed?: number;
  /** Skip the all-pairs peer (peerMs is then null). */
  noPeer?: boolean;
}

export interface CoverageBenchResult {
  ms: number;
  candidates: number;
  cells: number;
  stations: number;
  peerMs: number | null;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticCounty(o: Required<Omit<CoverageBenchOptions, 'noPeer' | 'mode'>>) {
  const r = rng(o.seed);
  const lat0 = 30.0;
  const lon0 = 119.9;
  const dLat = o.sizeKm / 111.2;
  const dLon = o.sizeKm / (111.2 * Math.cos((lat0 * Math.PI) / 180));
  const at = () => ({ lat: lat0 + r() * dLat, lon: lon0 + r() * dLon });
  const stations: Site[] = Array.from({ length: o.stations }, (_, i) => ({ id: `st-${i + 1}`, ...at() }));
  const centres = Array.from({ length: 40 }, at);
  const demand: DemandPoint[] = Array.from({ length: o.demandPoints }, () => {
    const c = centres[Math.floor(r() * centres.length)]!;
    return {
      lat: c.lat + (r() - 0.5) * 0.03,
      lon: c.lon + (r() - 0.5) * 0.03,
      weight: 1 + Math.round(r() * 20),
    };
  });
  const candidates = Array.from({ length: o.candidates }, (_, i) => ({
    id: i + 1,
    name: `候选 ${i + 1}`,
    ...at(),
  }));
  return { stations, demand, candidates };
}

/** The same answer without any index: every cell × every station, every candidate × every cell. */
function allPairs(
  stations: readonly Site[],
  demand: readonly DemandPoint[],
  candidates: readonly { lat: number; lon: number; name: string }[],
  t: TravelSettings,
  k: number,
) {
  const weights = demandByCell(demand, t.resolution);
  const ids = [...new Set([...gridCells(stations, t), ...weights.keys()])].sort();
  const cells = ids.map((h3) => {
    const [lat, lon] = cellToLatLng(h3);
    let best = Infinity;
    for (const s of stations) best = Math.min(best, haversineKm({ lat, lon }, s));
    const w = weights.get(h3) ?? 0;
    return { h3, lat, lon, w, covered: minutesFor(best, t) <= t.thresholdMin };
  });
  const reach = reachSetsAllPairs(candidates, cells, t);
  const base = cells.reduce((s, c) => s + (c.covered ? c.w : 0), 0);
  return solveMaxCover({
    uncovered: cells.map((c) => (c.covered ? 0 : c.w)),
    baseCovered: base,
    cellIds: ids,
    candidates: candidates.map((c, i) => ({ id: i + 1, name: c.name, reach: reach[i]! })),
    k,
  });
}

export async function benchCoverage(opts: CoverageBenchOptions = {}): Promise<CoverageBenchResult> {
  const o = { candidates: 1000, stations: 200, demandPoints: 20_000, sizeKm: 40, seed: 14, ...opts };
  const county = syntheticCounty(o);
  const travel = travelFor(undefined, o.mode ?? 'ebike');
  await Promise.resolve();
  const t0 = performance.now();
  const a = analyse(county.stations, county.demand, county.candidates, travel, 5);
  const ms = performance.now() - t0;
  let peerMs: number | null = null;
  if (!o.noPeer) {
    const p0 = performance.now();
    const peer = allPairs(county.stations, county.demand, county.candidates, travel, 5);
    peerMs = performance.now() - p0;
    const ours = a.solve.best.at(-1)?.candidateIds.join(',');
    const theirs = peer.best.at(-1)?.candidateIds.join(',');
    if (ours !== theirs) throw new Error(`peer disagrees: best 5 ${ours} vs ${theirs}`);
  }
  return {
    ms: Math.round(ms),
    candidates: county.candidates.length,
    cells: a.coverage.cells.length,
    stations: county.stations.length,
    peerMs: peerMs === null ? null : Math.round(peerMs),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1000);
  console.log(JSON.stringify(await benchCoverage({ candidates: n })));
}
