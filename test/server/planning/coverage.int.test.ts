/**
 * Coverage and candidate sites through the API on the 47 sample stations, on SQLite and
 * PostgreSQL: coverage of the network, a demand layer of order heat and the committed candidate
 * file imported, the top-3 (known from the fixture: the three uncovered order clusters), bad
 * imports rejected with every problem listed and nothing saved, the exports, and the guards
 * (planning:write, CSRF, audit, rate limit).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@yizhan/server';
import { loadStationsOrThrow, DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { loadTownshipsFor } from '@yizhan/station-config/townships';
import { testEngines } from '../store/engines.js';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import type {
  Candidate,
  CoverageAnswer,
  DemandLayer,
  SolveAnswer,
} from '../../../server/src/planning/coverage-schemas.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/planning/${name}`, import.meta.url), 'utf8');
const CSV = { 'content-type': 'text/csv' };

describe.each(testEngines())('coverage and candidates on the 47 sample stations ($name)', (engine) => {
  let app: FastifyInstance;
  let planner: Record<string, string>;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    await engine.setup();
    const loc = await engine.fresh();
    app = await buildApp({
      stations: loadStationsOrThrow(),
      townships: loadTownshipsFor(DEFAULT_STATIONS_DIR).townships!,
      mqtt: { url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 60_000 },
      influx: {
        url: 'http://127.0.0.1:1',
        api: 'v1',
        db: 'yizhan',
        rp: 'raw',
        setupBackoff: { minMs: 60_000, maxMs: 60_000 },
      },
      ...(loc.url ? { dbUrl: loc.url } : {}),
      dataDir: loc.dataDir,
      defaultMetrics: false,
      loggerInstance: pino({ level: 'silent' }),
    });
    await app.ready();
    planner = await sessionHeaders(
      app,
      await addTestUser(app, [{ role: 'planner', scope: 'county' }], 'planner1'),
    );
    viewer = await sessionHeaders(
      app,
      await addTestUser(app, [{ role: 'viewer', scope: 'county' }], 'viewer1'),
    );
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await engine.teardown();
  }, 60_000);

  it('covers the 47 stations on an H3 grid, by e-bike and on foot', async () => {
    const ebike = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: viewer })
    ).json<CoverageAnswer>();
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
    const walk = (
      await app.inject({ url: '/api/v1/planning/coverage?mode=walk', headers: viewer })
    ).json<CoverageAnswer>();
    // a third of the speed: fewer cells inside 15 minutes
    expect(walk.summary.coveredCells).toBeLessThan(ebike.summary.coveredCells / 4);
    expect(ebike.summary.coveredCells).toBeGreaterThan(1000);
    expect(ebike.cells.some((c) => !c.covered)).toBe(true);
  });

  it('imports order heat and the candidate file, and names the three uncovered clusters as the best 3', async () => {
    const layer = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=外卖订单热度&kind=orders',
      headers: { ...planner, ...CSV },
      payload: fixture('orders.csv'),
    });
    expect(layer.statusCode).toBe(201);
    expect(layer.json<DemandLayer>()).toMatchObject({
      name: '外卖订单热度',
      kind: 'orders',
      points: 24,
      totalWeight: 1380,
      createdBy: 'planner1',
      builtIn: false,
    });
    const imp = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates/import',
      headers: { ...planner, ...CSV },
      payload: fixture('candidates.csv'),
    });
    expect(imp.statusCode).toBe(201);
    expect(imp.json<Candidate[]>()).toHaveLength(15);

    const cov = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: viewer })
    ).json<CoverageAnswer>();
    expect(cov.summary).toMatchObject({ demand: 1380, coveredDemand: 680 });

    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/solve',
      headers: planner,
      payload: { k: 3 },
    });
    expect(res.statusCode).toBe(200);
    const s = res.json<SolveAnswer>();
    const names = new Map(imp.json<Candidate[]>().map((c) => [c.id, c.name]));
    expect(s.best.map((b) => b.candidateIds.map((id) => names.get(id)))).toEqual([
      ['岚湖新城社区服务中心'],
      ['岚湖新城社区服务中心', '城北产业园职工食堂'],
      ['岚湖新城社区服务中心', '城北产业园职工食堂', '高铁新区站前广场商铺'],
    ]);
    // two sites reach the same cluster equally (岚湖 ×2, 城北 ×2): the online bound counts both,
    // the LP relaxation does not, and proves each greedy pick optimal
    expect(s.best.map((b) => [b.coveredDemand, b.bounds?.online, b.upperBound])).toEqual([
      [980, 980, 980],
      [1180, 1280, 1180],
      [1330, 1380, 1330],
    ]);
    expect(s.best.map((b) => b.ratio)).toEqual([1, 1, 1]);
    expect(s.best[2]!.explanation['zh-CN']).toContain('这是最优解');
    expect(s.best[2]!.explanation['zh-CN']).toContain(
      '新增 3 个驿站（岚湖新城社区服务中心、城北产业园职工食堂、高铁新区站前广场商铺）可多覆盖需求 650',
    );
    expect(s.best[0]!.explanation.en).toContain('optimal');
    const alone = new Map(s.candidates.map((c) => [names.get(c.candidateId), c.addedDemand]));
    expect(alone.get('岚湖加油站便利店')).toBe(300);
    expect(alone.get('城关人民路临街商铺')).toBe(0);
    expect(s.candidates[0]!.addedCells.length).toBeGreaterThan(0);
  });

  it("measures a township planner's candidates against every station of the county; only county planners change them", async () => {
    const local = await sessionHeaders(
      app,
      await addTestUser(app, [{ role: 'planner', scope: 'xintang' }], 'planner-xt'),
    );
    const county = (
      await app.inject({ method: 'POST', url: '/api/v1/planning/solve', headers: planner, payload: { k: 3 } })
    ).json<SolveAnswer>();
    const mine = (
      await app.inject({ method: 'POST', url: '/api/v1/planning/solve', headers: local, payload: { k: 3 } })
    ).json<SolveAnswer>();
    expect(mine.baseCoveredDemand).toBe(680);
    // the candidates and layers are the county's: a township planner reads and solves, never changes them
    const add = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates',
      headers: local,
      payload: { name: '镇里的候选', lat: 30.01, lon: 120.01 },
    });
    expect(add.statusCode).toBe(403);
    expect(mine.best.map((b) => b.candidateIds)).toEqual(county.best.map((b) => b.candidateIds));
    // its coverage map shows its own township's stations only
    const cov = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: local })
    ).json<CoverageAnswer>();
    expect(new Set(cov.cells.map((c) => c.stationId))).toEqual(
      new Set(['st-020', 'st-021', 'st-022', 'st-023', 'st-024']),
    );
  });

  it('rejects a bad import as a whole, listing every problem with line and field', async () => {
    const before = (await app.inject({ url: '/api/v1/planning/candidates', headers: viewer })).json<
      Candidate[]
    >().length;
    const bad = 'name,lat,lon\n好地方,30.01,119.85\n,30.01,119.85\n坏纬度,95,119.85\n写反了,119.85,30.01\n';
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates/import?lang=en',
      headers: { ...planner, ...CSV },
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
    expect(
      (await app.inject({ url: '/api/v1/planning/candidates', headers: viewer })).json<Candidate[]>(),
    ).toHaveLength(before);
  });

  it('adds one candidate from a map click and deletes it, both audited; refuses readers and a missing CSRF header', async () => {
    const click = { name: '地图选点', lat: 30.02, lon: 119.9 };
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/planning/candidates',
          headers: viewer,
          payload: click,
        })
      ).statusCode,
    ).toBe(403);
    const { 'x-csrf-token': _csrf, ...noCsrf } = planner;
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/planning/candidates',
          headers: noCsrf,
          payload: click,
        })
      ).statusCode,
    ).toBe(403);
    const add = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates',
      headers: planner,
      payload: click,
    });
    expect(add.statusCode).toBe(201);
    const c = add.json<Candidate>();
    expect(c).toMatchObject({ ...click, source: 'map', address: '' });
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/planning/candidates/${c.id}`, headers: planner }))
        .statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/planning/candidates/${c.id}`, headers: planner }))
        .statusCode,
    ).toBe(404);
    const audit = await app.ops.db
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

  it('exports stations, coverage and candidates as CSV and GeoJSON', async () => {
    const st = await app.inject({ url: '/api/v1/planning/export/stations.csv', headers: viewer });
    expect(st.headers['content-type']).toMatch(/^text\/csv/);
    const lines = st.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('id,name,township,lat,lon,seats,sockets,address');
    expect(lines).toHaveLength(48);
    const csv = await app.inject({ url: '/api/v1/planning/coverage?format=csv&mode=walk', headers: viewer });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe('h3,lat,lon,minutes,station_id,demand,covered');
    const walk = (
      await app.inject({ url: '/api/v1/planning/coverage?mode=walk', headers: viewer })
    ).json<CoverageAnswer>();
    expect(rows).toHaveLength(walk.cells.length + 1);
    const first = walk.cells[0]!;
    expect(rows[1]).toBe(
      [
        first.h3,
        first.lat,
        first.lon,
        first.minutes,
        first.stationId,
        first.demand,
        first.covered ? 1 : 0,
      ].join(','),
    );
    const hex = (
      await app.inject({ url: '/api/v1/planning/export/coverage.geojson', headers: viewer })
    ).json<{
      features: { geometry: { type: string; coordinates: number[][][] }; properties: { covered: boolean } }[];
    }>();
    expect(hex.features[0]!.geometry.type).toBe('Polygon');
    expect(hex.features[0]!.geometry.coordinates[0]).toHaveLength(7);
    const cands = (
      await app.inject({ url: '/api/v1/planning/export/candidates.geojson', headers: viewer })
    ).json<{ features: { properties: { name: string; addedDemand: number } }[] }>();
    expect(
      cands.features.find((f) => f.properties.name === '岚湖新城社区服务中心')!.properties.addedDemand,
    ).toBe(300);
  });

  it('deletes a demand layer with its points, but not the built-in occupancy layer', async () => {
    const layers = (await app.inject({ url: '/api/v1/planning/demand-layers', headers: viewer })).json<
      DemandLayer[]
    >();
    expect(layers[0]).toMatchObject({ id: 0, kind: 'occupancy', builtIn: true });
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/planning/demand-layers/0', headers: planner }))
        .statusCode,
    ).toBe(409);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/planning/demand-layers/${layers[1]!.id}`,
          headers: planner,
        })
      ).statusCode,
    ).toBe(204);
    const cov = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: viewer })
    ).json<CoverageAnswer>();
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
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=小区&kind=residential',
      headers: { ...planner, 'content-type': 'application/geo+json' },
      payload: JSON.stringify(gj),
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<DemandLayer>()).toMatchObject({ kind: 'residential', points: 1, totalWeight: 80 });
    const cov = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: viewer })
    ).json<CoverageAnswer>();
    expect(cov.summary).toMatchObject({ demand: 80, coveredDemand: 0 });
    const kind = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=x&kind=weather',
      headers: { ...planner, ...CSV },
      payload: 'lat,lon,weight\n30,119.9,1\n',
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.body).toContain('kind');
    const big = 'lat,lon,weight\n' + '30.0100,119.8500,1\n'.repeat(250_000);
    const tooBig = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/demand-layers?name=big',
      headers: { ...planner, ...CSV },
      payload: big,
    });
    expect(tooBig.statusCode).toBe(413);
    expect(
      (await app.inject({ url: '/api/v1/planning/demand-layers', headers: viewer })).json<DemandLayer[]>(),
    ).toHaveLength(2);
  });

  it('counts the occupancy of stations that report it as demand around them (built-in layer)', async () => {
    const now = Date.now();
    for (const [i, v] of [6, 10].entries())
      app.store.apply('st-001', [
        { type: 'reading', sensor: 'occupancy', kind: 'occupancy', value: v, ts: now + i, historical: false },
      ]);
    const layers = (await app.inject({ url: '/api/v1/planning/demand-layers', headers: viewer })).json<
      DemandLayer[]
    >();
    expect(layers[0]).toMatchObject({ id: 0, builtIn: true, points: 1, totalWeight: 8 });
    const cov = (
      await app.inject({ url: '/api/v1/planning/coverage', headers: viewer })
    ).json<CoverageAnswer>();
    // the GeoJSON layer's 80 (uncovered) plus st-001's mean 8 spread over 7 covered cells
    expect(cov.summary.demand).toBeCloseTo(88, 9);
    expect(cov.summary.coveredDemand).toBeCloseTo(8, 9);
    expect(cov.cells.filter((c) => c.demand > 0 && c.covered)).toHaveLength(7);
  });

  it('rate limits solves per principal before computing', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 25; i++)
      codes.push(
        (
          await app.inject({
            method: 'POST',
            url: '/api/v1/planning/solve',
            headers: planner,
            payload: { k: 1 },
          })
        ).statusCode,
      );
    expect(codes).toContain(429);
    const last = await app.inject({
      method: 'POST',
      url: '/api/v1/planning/solve',
      headers: planner,
      payload: { k: 1 },
    });
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });
});
