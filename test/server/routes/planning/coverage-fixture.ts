/**
 * What the coverage route tests share: the app on the 47 sample stations with a fresh operations
 * store of one engine (InfluxDB and MQTT unreachable: coverage needs neither), a county planner and
 * a county reader (a planner's API token limited to planning:read: reads, may not write), the sample files of test/fixtures/planning/, and importing them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@yizhan/server';
import { loadStationsOrThrow, DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { loadTownshipsFor } from '@yizhan/station-config/townships';
import type { TestEngine } from '../../store/engines.js';
import { NOTHING_BEHIND } from '../../full-app.js';
import { addTestUser, sessionHeaders, tokenHeaders } from '../../auth-helpers.js';
import { sumOf } from '../../../helpers/prom.js';
import type { PlanningOptions } from '../../../../server/src/planning/travel.js';
import type { Candidate, DemandLayer } from '../../../../server/src/planning/coverage-schemas.js';

export const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/planning/${name}`, import.meta.url), 'utf8');
export const CSV = { 'content-type': 'text/csv' };

export interface CoverageSuite {
  app: FastifyInstance;
  planner: Record<string, string>;
  reader: Record<string, string>;
}

/**
 * Starts the app before the calling describe's tests and stops it after them; the fields are set
 * once its beforeAll ran. `planning`: the server's planning options (travel, cache).
 */
export function coverageSuite(engine: TestEngine, planning?: PlanningOptions): CoverageSuite {
  const s = {} as CoverageSuite;
  beforeAll(async () => {
    await engine.setup();
    const loc = await engine.fresh();
    s.app = await buildApp({
      stations: loadStationsOrThrow(),
      townships: loadTownshipsFor(DEFAULT_STATIONS_DIR).townships!,
      ...NOTHING_BEHIND,
      ...(loc.url ? { dbUrl: loc.url } : {}),
      ...(planning ? { planning } : {}),
      dataDir: loc.dataDir,
      defaultMetrics: false,
      loggerInstance: pino({ level: 'silent' }),
    });
    await s.app.ready();
    s.planner = await sessionHeaders(
      s.app,
      await addTestUser(s.app, [{ role: 'planner', scope: 'county' }], 'planner1'),
    );
    s.reader = await tokenHeaders(
      s.app,
      await addTestUser(s.app, [{ role: 'planner', scope: 'county' }], 'reader1'),
      ['planning:read'],
    );
  }, 120_000);
  afterAll(async () => {
    await s.app?.close();
    await engine.teardown();
  }, 60_000);
  return s;
}

/** Imports the sample order heat (layer 外卖订单热度, 1,380 in all) and the 15 sample candidates. */
export async function importSamples(
  s: CoverageSuite,
): Promise<{ layer: DemandLayer; candidates: Candidate[] }> {
  const layer = await s.app.inject({
    method: 'POST',
    url: '/api/v1/planning/demand-layers?name=外卖订单热度&kind=orders',
    headers: { ...s.planner, ...CSV },
    payload: fixture('orders.csv'),
  });
  const imp = await s.app.inject({
    method: 'POST',
    url: '/api/v1/planning/candidates/import',
    headers: { ...s.planner, ...CSV },
    payload: fixture('candidates.csv'),
  });
  if (layer.statusCode !== 201 || imp.statusCode !== 201)
    throw new Error(
      `sample imports: layer ${layer.statusCode} ${layer.body}; candidates ${imp.statusCode} ${imp.body}`,
    );
  return { layer: layer.json<DemandLayer>(), candidates: imp.json<Candidate[]>() };
}

/** GET as `headers`, the JSON answer (throws on another status than 200). */
export async function getJson<T>(s: CoverageSuite, url: string, headers = s.reader): Promise<T> {
  const res = await s.app.inject({ url, headers });
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

/** yizhan_planning_cache_requests_total of `kind` and `outcome`. */
export async function cacheCount(s: CoverageSuite, kind: string, outcome: 'hit' | 'miss'): Promise<number> {
  return sumOf(await s.app.metrics.registry.metrics(), 'yizhan_planning_cache_requests_total', {
    kind,
    outcome,
  });
}
