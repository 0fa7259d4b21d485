/**
 * GET /api/v1/planning/coverage on the 47 sample stations, on SQLite and PostgreSQL: the H3 grid
 * by e-bike and on foot, a township reader's map (its own stations), and the built-in occupancy
 * layer counted as demand around the stations that report it.
 */
import { describe, expect, it } from 'vitest';
import { testEngines } from '../../store/engines.js';
import { addTestUser, sessionHeaders } from '../../auth-helpers.js';
import { coverageSuite, getJson } from './coverage-fixture.js';
import type { CoverageAnswer, DemandLayer } from '../../../../server/src/planning/coverage-schemas.js';

describe.each(testEngines())('coverage of the 47 sample stations ($name)', (engine) => {
  // every reading counts at once (no snapshot window)
  const s = coverageSuite(engine, { cache: { occupancySnapshotMs: 0 } });

  it('covers the 47 stations on an H3 grid, by e-bike and on foot', async () => {
    const ebike = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage');
    expect(ebike.travel).toEqual({
      mode: 'ebike',
      speedKmh: 15,
      detour: 1.3,
      thresholdMin: 15,
      resolution: 9,
    });
    const stationCells = new Set(
      ebike.cells.filter((c) => c.minutes !== null && c.minutes < 3).map((c) => c.stationId),
    );
    expect(stationCells.size).toBe(47);
    const walk = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage?mode=walk');
    // a third of the speed: fewer cells inside 15 minutes
    expect(walk.summary.coveredCells).toBeLessThan(ebike.summary.coveredCells / 4);
    expect(ebike.summary.coveredCells).toBeGreaterThan(1000);
    expect(ebike.cells.some((c) => !c.covered)).toBe(true);
  });

  it("shows a township reader its own township's stations only; another township is refused", async () => {
    const local = await sessionHeaders(
      s.app,
      await addTestUser(s.app, [{ role: 'planner', scope: 'xintang' }], 'planner-xt-reader'),
    );
    const cov = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage', local);
    expect(new Set(cov.cells.map((c) => c.stationId))).toEqual(
      new Set(['st-020', 'st-021', 'st-022', 'st-023', 'st-024']),
    );
    const other = await s.app.inject({ url: '/api/v1/planning/coverage?township=chengguan', headers: local });
    expect(other.statusCode).toBe(403);
    const unknown = await s.app.inject({ url: '/api/v1/planning/coverage?township=nowhere', headers: local });
    expect(unknown.statusCode).toBe(404);
  });

  it('counts the occupancy of stations that report it as demand around them (built-in layer)', async () => {
    const now = Date.now();
    for (const [i, v] of [6, 10].entries())
      s.app.store.apply('st-001', [
        { type: 'reading', sensor: 'occupancy', kind: 'occupancy', value: v, ts: now + i, historical: false },
      ]);
    const layers = await getJson<DemandLayer[]>(s, '/api/v1/planning/demand-layers');
    expect(layers[0]).toMatchObject({ id: 0, builtIn: true, points: 1, totalWeight: 8 });
    const cov = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage');
    // st-001's mean 8 spread over its cell and the six around it, all covered
    expect(cov.summary.demand).toBeCloseTo(8, 9);
    expect(cov.summary.coveredDemand).toBeCloseTo(8, 9);
    expect(cov.cells.filter((c) => c.demand > 0 && c.covered)).toHaveLength(7);
  });
});
