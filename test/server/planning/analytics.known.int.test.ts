/**
 * Planners' analytics on a week whose answer is known by construction (known-week.ts): the
 * messages go through the server's real ingest entry (the one the MQTT handler calls) into a real
 * influxd, the rollups are filled with the continuous queries' own SELECT … INTO, and the API's
 * heatmap, ranking and CSV answers are compared with the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@yizhan/server';
import { stationTopic } from '@yizhan/protocol';
import { backfillStatement, rollupQueries, DEFAULT_ROLLUP_RETENTION_MS } from '../../../server/src/influx/rollups.js';
import type { HeatmapAnswer, RankingAnswer } from '../../../server/src/planning/analytics-schemas.js';
import { RANKING_COLUMNS } from '../../../server/src/planning/csv.js';
import { influxDailyTotals } from '../../../server/src/planning/analytics.js';
import { startTestInflux, type TestInflux } from '../helpers.js';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { DAY, TRUTH, lastWeekStart, weekMessages, weekStations } from './known-week.js';

const W0 = lastWeekStart();
const W1 = W0 + 7 * DAY;

describe('planning analytics on a known week', () => {
  let influx: TestInflux;
  let app: FastifyInstance;
  let county: Record<string, string>;
  let chengguan: Record<string, string>;
  /** The ranking before the ranking store was synced: summed in InfluxDB. */
  let fromInflux: RankingAnswer;
  const get = async <T>(url: string, headers = county) => {
    const r = await app.inject({ method: 'GET', url, headers });
    const csv = String(r.headers['content-type']).startsWith('text/csv');
    return { status: r.statusCode, body: (csv ? undefined : r.json()) as T, raw: r };
  };

  beforeAll(async () => {
    influx = await startTestInflux();
    app = await buildApp({
      stations: weekStations(W0),
      townships: [
        { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
        { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
      ],
      mqtt: { url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 60_000 },
      influx: { url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw', writer: { flushIntervalMs: 100 } },
      loggerInstance: pino({ level: 'silent' }),
      defaultMetrics: false,
      // Synced below, once the week is in the rollups.
      rankingSync: { enabled: false },
    });
    await app.ready();
    await waitFor('influx setup', () => app.influx.setupDone, 20_000);
    const msgs = weekMessages(W0);
    for (const m of msgs) app.ingest.ingestor.handle(stationTopic(m.stationId, m.leaf), Buffer.from(JSON.stringify(m.payload)));
    const uses = TRUTH.a.samples + TRUTH.b.samples + TRUTH.c.samples;
    await waitFor(
      'derived points in influxd',
      async () => (await app.influx.ql.rows('SELECT count("occupancy") AS n FROM "station_use"'))[0]?.n === uses,
      30_000,
    );
    const ro = { db: 'yizhan', rawRp: 'raw', rp: 'rollup_2y', retentionMs: DEFAULT_ROLLUP_RETENTION_MS, timeZone: 'Asia/Shanghai' };
    for (const q of rollupQueries(ro)) await app.influx.ql.query(backfillStatement(q, W0 - DAY, W1 + DAY));
    county = await sessionHeaders(app, await addTestUser(app, [{ role: 'planner', scope: 'county' }]));
    chengguan = await sessionHeaders(app, await addTestUser(app, [{ role: 'township_manager', scope: 'chengguan' }]));
    fromInflux = (await get<RankingAnswer>(`/api/v1/planning/stations?from=${W0}&to=${W1}`)).body;
    expect(await app.rankingStore.sync.runNow()).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await influx?.cleanup();
  });

  it('ranks by nearly-full share with the known figures, reasons and the opening mark', async () => {
    const { status, body } = await get<RankingAnswer>(`/api/v1/planning/stations?from=${W0}&to=${W1}`);
    expect(status).toBe(200);
    expect(body.stations.map((s) => s.stationId)).toEqual(['st-001', 'st-002', 'st-003']);
    const [a, b, c] = body.stations as [RankingAnswer['stations'][number], RankingAnswer['stations'][number], RankingAnswer['stations'][number]];
    expect(a).toMatchObject({ rank: 1, township: 'chengguan', samples: TRUTH.a.samples, sessions: 7, turnedAway: 2, allBusyShare: 0 });
    expect(a.fullShare).toBeCloseTo(TRUTH.a.full / TRUTH.a.samples, 12);
    expect(a.nearFullShare).toBeCloseTo(TRUTH.a.full / TRUTH.a.samples, 12);
    expect(a.occupancyMean).toBeCloseTo(TRUTH.a.occupancySum / TRUTH.a.samples, 12);
    expect(a.energyKwh).toBeCloseTo(TRUTH.a.energyKwh, 9);
    expect(a.heaterOnShare).toBeCloseTo(TRUTH.a.heaterOnShare, 12);
    expect(a.reason['zh-CN']).toBe('周一至周五 11–13 点满座率 100%');
    expect(a.previous).toEqual({ nearFullShare: null, occupancyMean: null, sessions: 0 });
    expect(b).toMatchObject({ rank: 2, township: 'xintang', samples: TRUTH.b.samples, sessions: 0, turnedAway: 0, allBusyShare: 1 });
    expect(b.nearFullShare).toBeCloseTo(TRUTH.b.full / TRUTH.b.samples, 12);
    expect(b.occupancyMean).toBeCloseTo(TRUTH.b.occupancySum / TRUTH.b.samples, 12);
    expect(b.reason['zh-CN']).toBe('周六、周日 18–21 点满座率 100%');
    expect(c).toMatchObject({ rank: 3, samples: TRUTH.c.samples, occupancyMean: 1, fullShare: 0, nearFullShare: 0 });
    expect(c.reason['zh-CN']).toBe('全天平均在站 1.0 人，座位利用率 10%');
    expect(c.opened).toBe(W0 + 2 * DAY);
    expect(a.opened).toBeNull();
  });

  it('answers the ranking from the ranking store after a sync, the same as InfluxDB answered before it', async () => {
    const answered = async (source: string) =>
      (await app.metrics.rankingAnswers.get()).values.find((v) => v.labels.source === source)?.value ?? 0;
    expect(await answered('influx')).toBe(2);
    const before = await answered('store');
    const { body } = await get<RankingAnswer>(`/api/v1/planning/stations?from=${W0}&to=${W1}`);
    expect(await answered('store')).toBe(before + 2);
    expect(await answered('influx')).toBe(2);
    expect(await app.rankingStore.store.count()).toBe(
      (await app.influx.ql.rows('SELECT count("samples") AS n FROM "rollup_2y"."station_use_1d"'))[0]?.n,
    );
    expect(body).toEqual(fromInflux);
    const ctx = { ql: app.influx.ql, rp: 'rollup_2y', timeZone: 'Asia/Shanghai' };
    expect(await app.rankingStore.store.totals(['城关镇'], W0, W1)).toEqual(await influxDailyTotals(ctx, ['城关镇'], W0, W1));
    expect([...(await app.rankingStore.store.totals(['城关镇'], W0, W1)).keys()].sort()).toEqual(['st-001', 'st-003']);
  });

  it('folds the station hours to the known hour-of-week cells; closed hours have no samples', async () => {
    const { body } = await get<HeatmapAnswer>(`/api/v1/planning/heatmap?station=st-001&metric=full_share&from=${W0}&to=${W1}`);
    expect(body.cells).toHaveLength(168);
    const cell = (dow: number, hour: number) => body.cells[dow * 24 + hour];
    for (let d = 0; d < 7; d++)
      for (let h = 0; h < 24; h++) {
        const open = h >= 8 && h < 20;
        const full = d < 5 && (h === 11 || h === 12);
        expect(cell(d, h), `dow ${d} hour ${h}`).toEqual({ dow: d, hour: h, samples: open ? 12 : 0, value: open ? (full ? 1 : 0) : null });
      }
  });

  it('weights the county and a township by samples; a township reader sees only its own', async () => {
    const q = `metric=full_share&from=${W0}&to=${W1}`;
    const all = (await get<HeatmapAnswer>(`/api/v1/planning/heatmap?${q}`)).body;
    expect(all.scope.kind).toBe('county');
    expect(all.cells[11]).toEqual({ dow: 0, hour: 11, samples: 36, value: 12 / 36 });
    expect(all.cells[5 * 24 + 18]).toEqual({ dow: 5, hour: 18, samples: 36, value: 12 / 36 });
    expect(all.cells[3]).toEqual({ dow: 0, hour: 3, samples: 24, value: 0 });
    const own = (await get<HeatmapAnswer>(`/api/v1/planning/heatmap?${q}`, chengguan)).body;
    expect(own.cells[11]).toEqual({ dow: 0, hour: 11, samples: 24, value: 0.5 });
    const t = (await get<HeatmapAnswer>(`/api/v1/planning/heatmap?township=xintang&${q}`)).body;
    expect(t.cells[5 * 24 + 20]).toEqual({ dow: 5, hour: 20, samples: 12, value: 1 });
    expect((await get(`/api/v1/planning/heatmap?township=xintang&${q}`, chengguan)).status).toBe(403);
    expect((await get(`/api/v1/planning/heatmap?station=st-002&${q}`, chengguan)).status).toBe(403);
    expect((await get(`/api/v1/planning/heatmap?township=nowhere&${q}`)).status).toBe(404);
    expect((await get(`/api/v1/planning/heatmap?station=st-404&${q}`)).status).toBe(404);
    const ranked = (await get<RankingAnswer>(`/api/v1/planning/stations?from=${W0}&to=${W1}`, chengguan)).body;
    expect(ranked.stations.map((s) => s.stationId)).toEqual(['st-001', 'st-003']);
  });

  it('gives the same numbers as CSV: BOM, header row, one row per station', async () => {
    const json = (await get<RankingAnswer>(`/api/v1/planning/stations?from=${W0}&to=${W1}`)).body;
    const { raw } = await get(`/api/v1/planning/stations?from=${W0}&to=${W1}&format=csv`);
    expect(raw.headers['content-type']).toContain('text/csv');
    expect(raw.body.startsWith('\uFEFF')).toBe(true);
    const lines = raw.body.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe(RANKING_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    const first = (lines[1] ?? '').split(',');
    const col = (name: (typeof RANKING_COLUMNS)[number]) => first[RANKING_COLUMNS.indexOf(name)];
    expect(col('stationId')).toBe('st-001');
    expect(Number(col('nearFullShare'))).toBe(json.stations[0]?.nearFullShare);
    expect(Number(col('sessions'))).toBe(7);
    expect(Number(col('turnedAway'))).toBe(2);
    const heat = (await get(`/api/v1/planning/heatmap?station=st-001&metric=full_share&from=${W0}&to=${W1}&format=csv`)).raw.body;
    expect(heat.slice(1).split('\r\n')[1 + 11]).toBe(`station,st-001,full_share,Asia/Shanghai,0,11,1,12`);
  });

  it('answers the previous week as `previous` of the week after', async () => {
    const { body } = await get<RankingAnswer>(`/api/v1/planning/stations?from=${W1}&to=${W1 + 7 * DAY}`);
    const a = body.stations.find((s) => s.stationId === 'st-001');
    expect(a?.samples).toBe(0);
    expect(a?.previous.sessions).toBe(7);
    expect(a?.previous.nearFullShare).toBeCloseTo(TRUTH.a.full / TRUTH.a.samples, 12);
  });

  it('refuses a reversed range and an unknown parameter with the field named', async () => {
    type Err = { error: { code: string; message: string } };
    const r = await get<Err>(`/api/v1/planning/stations?from=${W1}&to=${W0}`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('from');
    const u = await get<Err>(`/api/v1/planning/heatmap?metric=cups`);
    expect(u.status).toBe(400);
    expect(u.body.error.message).toContain('metric');
  });
});
