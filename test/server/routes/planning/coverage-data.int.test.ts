/**
 * Demand layers and candidate sites (routes/planning/coverage-data.ts) on SQLite and PostgreSQL:
 * bad imports rejected with every problem listed and nothing saved, a candidate from a map click
 * added and deleted (audited; readers and a missing CSRF header refused), a layer deleted with its
 * points (not the built-in one), a GeoJSON layer, and the kind and size limits.
 */
import { describe, expect, it } from 'vitest';
import { testEngines } from '../../store/engines.js';
import { CSV, coverageSuite, getJson, importSamples } from './coverage-fixture.js';
import type {
  Candidate,
  CoverageAnswer,
  DemandLayer,
} from '../../../../server/src/planning/coverage-schemas.js';

describe.each(testEngines())('demand layers and candidates ($name)', (engine) => {
  const s = coverageSuite(engine);

  it('rejects a bad import as a whole, listing every problem with line and field', async () => {
    await importSamples(s);
    const before = (await getJson<Candidate[]>(s, '/api/v1/planning/candidates')).length;
    expect(before).toBe(15);
    const bad = 'name,lat,lon\n好地方,30.01,119.85\n,30.01,119.85\n坏纬度,95,119.85\n写反了,119.85,30.01\n';
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates/import?lang=en',
      headers: { ...s.planner, ...CSV },
      payload: bad,
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; message: string; problems: { line: number; field: string }[] }>();
    expect(body.error).toBe('import_rejected');
    expect(body.message).toBe('Import rejected: 3 problem(s), nothing was saved');
    expect(body.problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'name'],
      [4, 'lat'],
      [5, 'lat'],
    ]);
    expect(await getJson<Candidate[]>(s, '/api/v1/planning/candidates')).toHaveLength(before);
  });

  it('adds one candidate from a map click and deletes it, both audited; refuses readers and a missing CSRF header', async () => {
    const click = { name: '地图选点', lat: 30.02, lon: 119.9 };
    const post = (headers: Record<string, string>) =>
      s.app.inject({ method: 'POST', url: '/api/v1/planning/candidates', headers, payload: click });
    expect((await post(s.reader)).statusCode).toBe(403);
    const { 'x-csrf-token': _csrf, ...noCsrf } = s.planner;
    expect((await post(noCsrf)).statusCode).toBe(403);
    const add = await post(s.planner);
    expect(add.statusCode).toBe(201);
    const c = add.json<Candidate>();
    expect(c).toMatchObject({ ...click, source: 'map', address: '' });
    const del = () =>
      s.app.inject({ method: 'DELETE', url: `/api/v1/planning/candidates/${c.id}`, headers: s.planner });
    expect((await del()).statusCode).toBe(204);
    expect((await del()).statusCode).toBe(404);
    const audit = await s.app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', 'like', 'planning.%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'planning.layer_add',
      'planning.candidate_import',
      'planning.candidate_add',
      'planning.candidate_delete',
    ]);
  });

  it('deletes a demand layer with its points, but not the built-in occupancy layer', async () => {
    const layers = await getJson<DemandLayer[]>(s, '/api/v1/planning/demand-layers');
    expect(layers[0]).toMatchObject({ id: 0, kind: 'occupancy', builtIn: true });
    const del = (id: number) =>
      s.app.inject({ method: 'DELETE', url: `/api/v1/planning/demand-layers/${id}`, headers: s.planner });
    expect((await del(0)).statusCode).toBe(409);
    expect((await del(layers[1]!.id)).statusCode).toBe(204);
    const cov = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage');
    expect(cov.summary.demand).toBe(0);
  });

  it('imports a GeoJSON layer; refuses an unknown kind by name and a body over 4 MB before reading it', async () => {
    const gj = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [119.9, 30.045] },
          properties: { weight: 80, name: '岚湖新城' },
        },
      ],
    };
    const ok = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=小区&kind=residential',
      headers: { ...s.planner, 'content-type': 'application/geo+json' },
      payload: JSON.stringify(gj),
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<DemandLayer>()).toMatchObject({ kind: 'residential', points: 1, totalWeight: 80 });
    const cov = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage');
    expect(cov.summary).toMatchObject({ demand: 80, coveredDemand: 0 });
    const kind = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=x&kind=weather',
      headers: { ...s.planner, ...CSV },
      payload: 'lat,lon,weight\n30,119.9,1\n',
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.body).toContain('kind');
    const big = 'lat,lon,weight\n' + '30.0100,119.8500,1\n'.repeat(250_000);
    const tooBig = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=big',
      headers: { ...s.planner, ...CSV },
      payload: big,
    });
    expect(tooBig.statusCode).toBe(413);
    expect(await getJson<DemandLayer[]>(s, '/api/v1/planning/demand-layers')).toHaveLength(2);
  });
});
