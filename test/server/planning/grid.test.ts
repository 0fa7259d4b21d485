/**
 * The coverage grid on a small synthetic county: travel minutes by the documented formula, the
 * 15-minute boundary, demand landing in its cell, the nearest-station index against comparing every
 * pair, and the best candidate site known by construction.
 */
import { describe, expect, it } from 'vitest';
import { cellToLatLng, latLngToCell } from 'h3-js';
import {
  coverage,
  gridCells,
  minutesFor,
  reachKm,
  reachSets,
  reachSetsAllPairs,
} from '../../../server/src/planning/grid.js';
import { PointIndex, haversineKm } from '../../../server/src/planning/geo.js';
import { solveMaxCover } from '../../../server/src/planning/solve.js';
import type { TravelSettings } from '../../../server/src/planning/coverage-schemas.js';

const walk: TravelSettings = { mode: 'walk', speedKmh: 5, detour: 1.3, thresholdMin: 15, resolution: 9 };
// 0.01° of latitude ≈ 1.11 km
const stations = [
  { id: 'st-a', lat: 30.0, lon: 120.0 },
  { id: 'st-b', lat: 30.0, lon: 120.03 },
];

describe('coverage grid', () => {
  it('gives each cell the travel time to its nearest station by distance × detour ÷ speed', () => {
    const c = coverage(stations, [], walk);
    expect(c.cells.length).toBe(gridCells(stations, walk).length);
    expect(c.cells.length).toBeGreaterThan(100);
    for (const cell of c.cells.slice(0, 400)) {
      const dists = stations.map((s) =>
        haversineKm(
          s,
          cellToLatLng(cell.h3).reduce((o, v, i) => ({ ...o, [i ? 'lon' : 'lat']: v }), { lat: 0, lon: 0 }),
        ),
      );
      const nearest = Math.min(...dists);
      expect(cell.minutes).toBeCloseTo(((nearest * 1.3) / 5) * 60, 1);
      expect(cell.stationId).toBe(stations[dists.indexOf(nearest)]!.id);
      expect(cell.covered).toBe(cell.minutes! <= 15);
    }
    // the station's own cell: its centre is within one edge (≈ 0.17 km at resolution 9), ≤ 3 min
    const own = c.cells.find((x) => x.h3 === latLngToCell(30, 120, 9))!;
    expect(own.minutes!).toBeLessThan(3);
    expect(c.cells.some((x) => !x.covered)).toBe(true);
    expect(reachKm(walk)).toBeCloseTo(0.9615, 3);
    expect(minutesFor(reachKm(walk), walk)).toBeCloseTo(15, 9);
  });

  it('puts imported demand into its cell and counts what the stations cover', () => {
    const c = coverage(
      stations,
      [
        { lat: 30.001, lon: 120.001, weight: 5 }, // beside st-a
        { lat: 30.05, lon: 120.015, weight: 7 }, // 5.5 km north: uncovered, outside the grid box
      ],
      walk,
    );
    expect(c.summary.demand).toBe(12);
    expect(c.summary.coveredDemand).toBe(5);
    const far = c.cells.find((x) => x.h3 === latLngToCell(30.05, 120.015, 9))!;
    expect(far).toMatchObject({ demand: 7, covered: false });
  });

  it('finds the same nearest points and reach sets as comparing every pair', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pts = Array.from({ length: 300 }, (_, i) => ({
      id: String(i),
      lat: 29.9 + rand() * 0.3,
      lon: 119.8 + rand() * 0.3,
    }));
    const index = new PointIndex(pts, 0.7);
    for (let q = 0; q < 200; q++) {
      const at = { lat: 29.85 + rand() * 0.4, lon: 119.75 + rand() * 0.4 };
      const brute = Math.min(...pts.map((p) => haversineKm(at, p)));
      expect(index.nearest(at)!.km).toBeCloseTo(brute, 12);
    }
    const sites = pts.slice(0, 40);
    const cells = pts.slice(40);
    const a = reachSets(sites, cells, walk).map((s) => [...s].sort((x, y) => x - y));
    expect(a).toEqual(reachSetsAllPairs(sites, cells, walk));
    expect(a.flat().length).toBeGreaterThan(0);
  });

  it('picks the candidate beside the uncovered demand cluster', () => {
    const cluster = Array.from({ length: 9 }, (_, i) => ({
      lat: 30.04 + (i % 3) * 0.002,
      lon: 120.05 + Math.floor(i / 3) * 0.002,
      weight: 10,
    }));
    const scattered = [{ lat: 30.0, lon: 120.06, weight: 4 }];
    const c = coverage(stations, [...cluster, ...scattered], walk);
    expect(c.summary.coveredDemand).toBe(0);
    const candidates = [
      { id: 1, name: 'beside st-a', lat: 30.0, lon: 120.004 },
      { id: 2, name: 'cluster', lat: 30.042, lon: 120.052 },
      { id: 3, name: 'east', lat: 30.0, lon: 120.06 },
      { id: 4, name: 'between', lat: 30.02, lon: 120.055 },
    ];
    const reach = reachSets(candidates, c.cells, walk);
    const r = solveMaxCover({
      uncovered: c.cells.map((x) => (x.covered ? 0 : x.demand)),
      baseCovered: c.summary.coveredDemand,
      cellIds: c.cells.map((x) => x.h3),
      candidates: candidates.map((x, i) => ({ id: x.id, name: x.name, reach: reach[i]! })),
      k: 2,
    });
    expect(r.candidates.map((x) => [x.candidateId, x.addedDemand])).toEqual([
      [2, 90],
      [3, 4],
      [1, 0],
      [4, 0],
    ]);
    expect(r.best.map((b) => b.candidateIds)).toEqual([[2], [2, 3]]);
    expect(r.best.every((b) => b.ratio === 1)).toBe(true);
  });
});
