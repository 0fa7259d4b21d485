/**
 * The coverage cache through the API (planning/coverage-cache.ts): a repeated question is answered
 * without computing again (yizhan_planning_cache_requests_total), and importing or deleting a layer
 * or a candidate, or a new occupancy reading, changes the next answer. The cache does not depend
 * on the store's engine: SQLite only.
 */
import { describe, expect, it } from 'vitest';
import { testEngines } from '../../store/engines.js';
import { CSV, cacheCount, coverageSuite, fixture, getJson } from './coverage-fixture.js';
import type {
  Candidate,
  CoverageAnswer,
  DemandLayer,
  SolveAnswer,
} from '../../../../server/src/planning/coverage-schemas.js';

describe.each(testEngines().filter((e) => e.name === 'sqlite'))('coverage cache ($name)', (engine) => {
  const s = coverageSuite(engine, { cache: { occupancySnapshotMs: 0 } });
  const counts = async (kind: string) => ({
    hit: await cacheCount(s, kind, 'hit'),
    miss: await cacheCount(s, kind, 'miss'),
  });
  const coverage = (q = '') => getJson<CoverageAnswer>(s, `/api/v1/planning/coverage${q}`);
  const solve = async (k = 2) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/solve',
      headers: s.planner,
      payload: { k },
    });
    expect(res.statusCode).toBe(200);
    return res.json<SolveAnswer>();
  };

  it('answers a repeated coverage question from the cache; another mode or township is another question', async () => {
    const before = await counts('coverage');
    const first = await coverage();
    expect(await counts('coverage')).toEqual({ hit: before.hit, miss: before.miss + 1 });
    const again = await coverage();
    expect(await counts('coverage')).toEqual({ hit: before.hit + 1, miss: before.miss + 1 });
    expect(again).toEqual(first);
    // the CSV of the same question is the same computation
    await s.app.inject({ url: '/api/v1/planning/coverage?format=csv', headers: s.reader });
    expect((await counts('coverage')).hit).toBe(before.hit + 2);
    await coverage('?mode=walk');
    await coverage('?township=xintang');
    expect((await counts('coverage')).miss).toBe(before.miss + 3);
  });

  it('computes again after a demand layer is imported or deleted, and answers the new demand', async () => {
    expect((await coverage()).summary.demand).toBe(0);
    const layer = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=外卖订单热度&kind=orders',
      headers: { ...s.planner, ...CSV },
      payload: fixture('orders.csv'),
    });
    expect(layer.statusCode).toBe(201);
    const before = await counts('coverage');
    expect((await coverage()).summary).toMatchObject({ demand: 1380, coveredDemand: 680 });
    expect((await counts('coverage')).miss).toBe(before.miss + 1);
    const del = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/planning/demand-layers/${layer.json<DemandLayer>().id}`,
      headers: s.planner,
    });
    expect(del.statusCode).toBe(204);
    expect((await coverage()).summary.demand).toBe(0);
    const put = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=外卖订单热度&kind=orders',
      headers: { ...s.planner, ...CSV },
      payload: fixture('orders.csv'),
    });
    expect(put.statusCode).toBe(201);
  });

  it('answers a repeated solve from the cache, and computes again after a candidate is imported or deleted', async () => {
    const imp = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates/import',
      headers: { ...s.planner, ...CSV },
      payload: fixture('candidates.csv'),
    });
    expect(imp.statusCode).toBe(201);
    const before = await counts('solve');
    const first = await solve();
    const again = await solve();
    expect(await counts('solve')).toEqual({ hit: before.hit + 1, miss: before.miss + 1 });
    expect(again).toEqual(first);
    expect(first.candidates).toHaveLength(15);
    // a new site on one of the sample order clusters
    const site = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates/import',
      headers: { ...s.planner, ...CSV },
      payload: 'name,lat,lon\n新候选,30.0450,119.9000\n',
    });
    expect(site.statusCode).toBe(201);
    const after = await solve();
    expect(after.candidates).toHaveLength(16);
    expect((await counts('solve')).miss).toBe(before.miss + 2);
    const id = site.json<Candidate[]>()[0]!.id;
    expect(after.candidates.map((c) => c.candidateId)).toContain(id);
    await s.app.inject({ method: 'DELETE', url: `/api/v1/planning/candidates/${id}`, headers: s.planner });
    const gone = await solve();
    expect(gone.candidates.map((c) => c.candidateId)).not.toContain(id);
    expect(gone.best).toEqual(first.best);
  });

  it('computes again once a station reports a new occupancy reading', async () => {
    const first = await coverage();
    const before = await counts('coverage');
    s.app.store.apply('st-001', [
      {
        type: 'reading',
        sensor: 'occupancy',
        kind: 'occupancy',
        value: 7,
        ts: Date.now(),
        historical: false,
      },
    ]);
    const after = await coverage();
    expect((await counts('coverage')).miss).toBe(before.miss + 1);
    expect(after.summary.demand).toBeCloseTo(first.summary.demand + 7, 9);
  });
});
