/**
 * The ranking store's first sync in the real server process (server/src/main.ts) over a real
 * influxd whose daily rollups were written beforehand:
 *
 * - first start over 3 weeks of rollups (and a sessions-only row the day before), SQLite: a
 *   handful of InfluxDB queries (one for the oldest row and one per 7 days), not one per week back
 *   to the rollups' retention; the metric yizhan_ranking_store_sync_queries_total equals what a
 *   proxy in front of InfluxDB counted, and every row is copied.
 * - SIGKILL while the first backfill over 8 weeks × 100 stations runs (right after InfluxDB
 *   answered a chunk, while the server writes it), start again: every station's totals and every
 *   day's row count in the store equal InfluxDB's (no day missing, none doubled); on SQLite and on
 *   PostgreSQL.
 */
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../scripts/lib/ports.js';
import { openStore } from '../../server/src/store/open.js';
import { DailyStore } from '../../server/src/planning/daily-store.js';
import { influxDailyTotals } from '../../server/src/planning/analytics.js';
import { localDayStart } from '../../server/src/planning/zone.js';
import { InfluxQLClient } from '../../server/src/influx/query.js';
import { createTransport } from '../../server/src/influx/transport.js';
import {
  metric,
  serverMainEnv,
  serverMainReady,
  spawnServerMain,
  startTestInflux,
  type ServerProcess,
  type TestInflux,
} from './helpers.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt-broker.js';
import { stationFixture } from '../helpers/station.js';
import { tempDir, testEngines, type StoreLocation } from './store/engines.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';
const TODAY = localDayStart(Date.now(), TZ);
const TOMORROW = localDayStart(TODAY + 1.5 * DAY, TZ);
const TOWNSHIPS = ['城关镇', '新塘镇', '石桥镇'];

let influx: TestInflux;
let broker: PlainBroker;
let stationsDir: string;
const dirs: { remove(): void }[] = [];
const servers: ServerProcess[] = [];

/**
 * An HTTP proxy in front of influxd that counts the sync's reads of station_use_1d (GET SELECTs)
 * and can hold each answer back and call `after(n)` once the n-th has been sent.
 */
interface SyncProxy {
  url: string;
  count: number;
  delayMs: number;
  after?: (n: number) => void;
  close(): Promise<void>;
}

async function syncProxy(target: URL): Promise<SyncProxy> {
  const p: SyncProxy = {
    url: '',
    count: 0,
    delayMs: 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? '';
    const counted = req.method === 'GET' && /^SELECT .* FROM "rollup_2y"\."station_use_1d"/.test(q);
    const n = counted ? ++p.count : 0;
    const up = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const send = () => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            res.end(Buffer.concat(chunks), () => (n ? p.after?.(n) : undefined));
          };
          if (n && p.delayMs) setTimeout(send, p.delayMs);
          else send();
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}

/**
 * Day rows of `stations` stations for the `days` local days up to today, varied per station and
 * day; some without energy or heater. `sessionsBefore`: st-001 also has a row of sessions alone
 * (no samples) the day before (a closed station whose sockets were used).
 */
async function seed(db: string, stations: number, days: number, sessionsBefore = false): Promise<void> {
  const post = async (path: string, body: string) => {
    const r = await fetch(`${influx.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const text = await r.text();
    // InfluxQL answers a failed statement with 200 and the error inside the results.
    if (r.status >= 300 || /"error"/.test(text)) throw new Error(`${path}: ${r.status} ${text}`);
    return text;
  };
  await post('/query', `q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`);
  await post(
    '/query',
    `q=${encodeURIComponent(`CREATE RETENTION POLICY "rollup_2y" ON "${db}" DURATION 730d REPLICATION 1 SHARD DURATION 52w`)}`,
  );
  // A loaded influxd 1.6 once refused the first write with "retention policy not found" right after
  // the CREATE answered: write only once the policy is listed.
  await waitFor(
    'the rollup policy listed',
    async () =>
      (await post('/query', `q=${encodeURIComponent(`SHOW RETENTION POLICIES ON "${db}"`)}`)).includes('"rollup_2y"')
        ? true
        : undefined,
    10_000,
    100,
  );
  const lines: string[] = [];
  for (let i = 0; i < days; i++) {
    const day = localDayStart(TODAY - (days - 1 - i) * DAY + DAY / 2, TZ);
    for (let s = 1; s <= stations; s++) {
      const k = (i * 31 + s * 7) % 97;
      const fields = [
        `samples=${60 + k}`,
        `full_n=${k % 13}`,
        `near_full_n=${k % 17}`,
        `all_busy_n=${k % 5}`,
        `occupancy_sum=${2.5 * k}`,
        `sessions=${k % 9}`,
        `turned_away=${k % 4}`,
      ];
      if (k % 3) fields.push(`energy_wh=${1.25 * k}`);
      if (k % 4) fields.push(`heater_on_share=${(k % 50) / 100}`);
      lines.push(
        `station_use_1d,station=st-${String(s).padStart(3, '0')},township=${TOWNSHIPS[s % 3]} ${fields.join(',')} ${day}`,
      );
    }
  }
  if (sessionsBefore)
    lines.push(
      `station_use_1d,station=st-001,township=城关镇 sessions=3 ${localDayStart(TODAY - days * DAY + DAY / 2, TZ)}`,
    );
  for (let i = 0; i < lines.length; i += 5000)
    await post(`/write?db=${db}&rp=rollup_2y&precision=ms`, lines.slice(i, i + 5000).join('\n'));
}

beforeAll(async () => {
  [influx, broker] = await Promise.all([startTestInflux(), startPlainBroker()]);
  const d = tempDir('yz-stations-');
  dirs.push(d);
  stationsDir = d.dir;
  writeFileSync(
    join(stationsDir, 'st-001.yaml'),
    stringify(stationFixture('st-001', { township: '城关镇' })),
  );
}, 60_000);
afterAll(async () => {
  for (const s of servers) if (s.running) s.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.done));
  await Promise.all([broker?.close(), influx?.cleanup()]);
  for (const d of dirs) d.remove();
}, 60_000);

describe('the ranking store in the server process', () => {
  /** The server process on a free port (not yet ready: see {@link start}). */
  async function spawn(
    db: string,
    influxUrl: string,
    where: StoreLocation,
  ): Promise<{ server: ServerProcess; port: number }> {
    const port = await freePort();
    const server = spawnServerMain({
      ...serverMainEnv({
        port,
        mqttUrl: broker.url,
        clientId: `yizhan-ranking-${db}-${port}`,
        influxUrl,
        stationsDir,
      }),
      INFLUX_DB: db,
      YIZHAN_DATA_DIR: where.dataDir,
      ...(where.url ? { YIZHAN_DB_URL: where.url } : {}),
      LOG_LEVEL: 'warn',
    });
    servers.push(server);
    return { server, port };
  }
  async function start(
    db: string,
    influxUrl: string,
    where: StoreLocation,
  ): Promise<{ server: ServerProcess; port: number }> {
    const s = await spawn(db, influxUrl, where);
    await serverMainReady(s.port);
    return s;
  }
  const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const syncedTo = async (port: number) =>
    (metric(await metrics(port), 'yizhan_ranking_store_synced_to_seconds') ?? 0) * 1000;

  it('backfills 3 weeks on first start with a handful of InfluxDB queries', async () => {
    await seed('yz3w', 20, 21, true);
    const proxy = await syncProxy(new URL(influx.url));
    const data = tempDir('yz-rank-3w-');
    dirs.push(data);
    try {
      const { server, port } = await start('yz3w', proxy.url, { dataDir: data.dir });
      await waitFor(
        'the first sync to reach tomorrow',
        async () => (await syncedTo(port)) >= TOMORROW,
        60_000,
        200,
      );
      const queries = metric(await metrics(port), 'yizhan_ranking_store_sync_queries_total');
      // the oldest row, 19 days before the recent window in 3 chunks, the recent window
      expect(queries).toBe(proxy.count);
      expect(queries).toBeLessThanOrEqual(5);
      expect(metric(await metrics(port), 'yizhan_ranking_store_rows_synced_total')).toBe(20 * 21 + 1);
      server.kill('SIGTERM');
      expect((await server.done).code).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  describe.each(testEngines())('on $name', (engine) => {
    beforeAll(() => engine.setup(), 120_000);
    afterAll(() => engine.teardown(), 60_000);

    it('after SIGKILL mid-backfill and a restart holds exactly what InfluxDB holds', async () => {
      const stations = 100;
      const days = 56;
      const db = `yz8w_${engine.name}`;
      await seed(db, stations, days);
      const proxy = await syncProxy(new URL(influx.url));
      const where = await engine.fresh();
      try {
        proxy.delayMs = 300;
        let killed = -1;
        const { server: first } = await spawn(db, proxy.url, where);
        proxy.after = (n) => {
          // The 4th read is the 3rd chunk: kill while the server writes it.
          if (n !== 4) return;
          killed = n;
          setTimeout(() => first.kill('SIGKILL'), 15);
        };
        // Killed by the signal: no exit code.
        expect((await first.done).code, first.output()).toBeNull();
        expect(killed).toBe(4);
        const store = await openStore(where);
        try {
          const daily = new DailyStore(store.db, TZ);
          const mid = await daily.state();
          // Killed during the backfill: the progress (if any chunk was saved) is short of the recent window.
          expect(mid === undefined || mid.syncedTo < TODAY - 2 * DAY).toBe(true);
          proxy.delayMs = 0;
          proxy.after = undefined;
          const { server, port } = await start(db, proxy.url, where);
          await waitFor(
            'the sync to reach tomorrow after the restart',
            async () => (await syncedTo(port)) >= TOMORROW,
            60_000,
            200,
          );
          const from = localDayStart(TODAY - (days - 1) * DAY + DAY / 2, TZ);
          const ql = new InfluxQLClient(
            createTransport({ url: influx.url, api: 'v1', db, rp: 'rollup_2y' }),
            { db },
          );
          const want = await influxDailyTotals({ ql, rp: 'rollup_2y', timeZone: TZ }, 'all', from, TOMORROW);
          expect(want.size).toBe(stations);
          const got = await daily.totals('all', from, TOMORROW);
          expect(got.size).toBe(stations);
          for (const [station, t] of want) {
            const g = got.get(station);
            for (const [k, v] of Object.entries(t)) {
              const x = g?.[k as keyof typeof t];
              if (v === null) expect(x, `${station} ${k}`).toBeNull();
              else expect(x, `${station} ${k}`).toBeCloseTo(v, 6);
            }
          }
          const perDay = await store.db
            .selectFrom('planning_daily')
            .select(['day', (eb) => eb.fn.countAll<number>().as('n')])
            .groupBy('day')
            .orderBy('day')
            .execute();
          expect(perDay).toHaveLength(days);
          expect(perDay.every((r) => Number(r.n) === stations)).toBe(true);
          expect(perDay[0]?.day).toBe(from);
          server.kill('SIGTERM');
          expect((await server.done).code).toBe(0);
        } finally {
          await store.close();
        }
      } finally {
        await proxy.close();
      }
    }, 180_000);
  });
});
