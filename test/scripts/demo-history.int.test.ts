/**
 * `npm start`'s demo history (scripts/lib/demo-history.ts) against a real influxd: the seeding step
 * as start.ts runs it (its default 6 weeks of the 47 sample stations through the server's ingest,
 * rollups backfilled, ranking store synced), then a server on the same data folder answers what a
 * planner opens /app/planning for; a second start seeds nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import type { HeatmapAnswer, RankingAnswer } from '../../server/src/planning/analytics-schemas.js';
import { readRunSettings } from '../../scripts/lib/run-settings.js';
import { retentionFor, seedDemoHistory, type DemoHistoryOutcome } from '../../scripts/lib/demo-history.js';
import { busynessOf } from '../../scripts/lib/demo-history-model.js';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@yizhan/server';
import { startTestInflux, type TestInflux } from '../server/helpers.js';
import { waitFor } from '../helpers/wait.js';
import { addTestUser, sessionHeaders } from '../server/auth-helpers.js';

const settings = readRunSettings({});
const stations = loadStationsOrThrow(settings.stationsDir);

describe('npm start demo history', () => {
  let influx: TestInflux;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let first: DemoHistoryOutcome;
  let app: FastifyInstance;
  let headers: Record<string, string>;
  const get = async <T>(url: string) => {
    const r = await app.inject({ method: 'GET', url, headers });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };

  beforeAll(async () => {
    influx = await startTestInflux();
    dataDir = mkdtempSync(join(tmpdir(), 'yz-demo-history-'));
    env = { YIZHAN_DATA_DIR: dataDir, INFLUX_URL: influx.url, ...retentionFor(settings.demoHistoryWeeks, {}) };
    const progress: number[] = [];
    first = await seedDemoHistory({
      weeks: settings.demoHistoryWeeks,
      seed: settings.simSeed,
      serverEnv: env,
      logFile: join(dataDir, 'history.log'),
      progress: (share) => progress.push(share),
    });
    console.log('demo history', JSON.stringify(first));
    expect(progress.at(-1)).toBeGreaterThan(0.9);
    // The server npm start runs next, on the same data folder (no broker: only the API is asked).
    app = await buildApp({
      stations,
      mqtt: { url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 60_000 },
      influx: { url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw', retentionMs: (settings.demoHistoryWeeks * 7 + 2) * 86_400_000 },
      dataDir,
      loggerInstance: pino({ level: 'silent' }),
      defaultMetrics: false,
    });
    await app.ready();
    await waitFor('influx setup', () => app.influx.setupDone, 20_000);
    headers = await sessionHeaders(app, await addTestUser(app, [{ role: 'planner', scope: 'county' }]));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await influx?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds every sample station through the ingest, nothing refused', () => {
    expect(first).toMatchObject({ seeded: true, stations: 47, rejected: 0 });
    if (!first.seeded) return;
    // One message per station and open half hour: more than one per station and hour of the weeks.
    expect(first.messages).toBeGreaterThan(47 * 24 * 7 * settings.demoHistoryWeeks);
  });

  it('gives the county heatmap busy weekday lunch hours and quiet nights', async () => {
    const h = await get<HeatmapAnswer>('/api/v1/planning/heatmap?metric=occupancy_mean');
    expect(h.scope.kind).toBe('county');
    const cell = (dow: number, hour: number) => h.cells[dow * 24 + hour]?.value ?? 0;
    for (let dow = 0; dow < 5; dow++) {
      expect(cell(dow, 12), `dow ${dow}`).toBeGreaterThan(4 * cell(dow, 3));
      expect(cell(dow, 12), `dow ${dow}`).toBeGreaterThan(cell(5, 12));
    }
    const near = await get<HeatmapAnswer>('/api/v1/planning/heatmap?metric=near_full_share');
    expect(near.cells[12]?.value).toBeGreaterThan(0.1);
  });

  it('ranks the 47 stations with reasons, the busiest first, and the previous period', async () => {
    const r = await get<RankingAnswer>('/api/v1/planning/stations');
    expect(r.stations).toHaveLength(47);
    for (const s of r.stations) expect(s.reason['zh-CN'].length, s.stationId).toBeGreaterThan(0);
    const busy = busynessOf(stations.map((s) => s.id), settings.simSeed);
    const busiest = [...busy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const top = r.stations[0];
    expect(top?.stationId).toBe(busiest);
    expect(top?.reason['zh-CN']).toMatch(/周一至周五 .*满座率 \d+%/);
    expect(top?.turnedAway).toBeGreaterThan(0);
    expect(top?.sessions).toBeGreaterThan(0);
    for (const s of r.stations) expect(s.previous.nearFullShare, s.stationId).not.toBeNull();
    // From the ranking store the seeding synced (this range and the previous one), not InfluxDB.
    const answers = (await app.metrics.rankingAnswers.get()).values;
    expect(answers.find((v) => v.labels.source === 'store')?.value).toBe(2);
    expect(answers.find((v) => v.labels.source === 'influx')?.value ?? 0).toBe(0);
  });

  it('does not seed again on the next start', async () => {
    const again = await seedDemoHistory({ weeks: settings.demoHistoryWeeks, seed: 1, serverEnv: env, logFile: join(dataDir, 'history.log') });
    expect(again).toMatchObject({ seeded: false, reason: 'rollups' });
  });
});
