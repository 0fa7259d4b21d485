/**
 * /readyz follows InfluxDB: 503 (checks.influx false) once a write fails because influxd is gone,
 * 200 again once writes succeed; /healthz stays 200 throughout. Nothing published meanwhile is lost.
 */
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd, type InfluxdHandle } from '../../../scripts/lib/influxd.js';
import { createTransport } from '../../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../../server/src/influx/query.js';
import { FakeStation, publisher, startServer } from '../helpers.js';
import { startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const tmp = mkdtempSync(join(tmpdir(), 'yz-readyz-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

it('/readyz is 503 while InfluxDB cannot be written, 200 once it can again; /healthz stays 200', async () => {
  let influx: InfluxdHandle = await startInfluxd({ dir: join(tmp, 'influx') });
  const port = influx.port;
  cleanups.push(() => influx.stop());
  const broker = await startPlainBroker();
  cleanups.push(() => broker.close());
  const server = await startServer({
    stations: [stationFixture('st-001')],
    mqttUrl: broker.url,
    influxUrl: influx.url,
    dataDir: join(tmp, 'data'),
    influx: {
      url: influx.url,
      api: 'v1',
      db: 'yizhan',
      rp: 'raw',
      writer: { flushIntervalMs: 50, minRetryDelayMs: 100, maxRetryDelayMs: 300 },
    },
  });
  cleanups.push(() => server.close());
  const pub = await publisher(broker.url);
  cleanups.push(() => pub.close());
  const st = new FakeStation('st-001');
  const send = (value: number, ts: number) =>
    pub.pub('st-001', 'telemetry', st.telemetry([{ sensor: 'occupancy', kind: 'occupancy', value }], ts));
  const ready = async () => {
    const r = await server.app.inject('/readyz');
    return { status: r.statusCode, body: r.json<{ checks: { influx: boolean } }>() };
  };
  const T = Date.now() - 60_000;
  await send(1, T);
  expect((await ready()).status).toBe(200);

  influx.process.kill('SIGKILL');
  await new Promise((r) => influx.process.once('exit', r));
  await send(2, T + 1000); // a write that fails
  await waitFor('readyz 503', async () => (await ready()).status === 503);
  expect((await ready()).body.checks.influx).toBe(false);
  expect((await server.app.inject('/healthz')).statusCode).toBe(200);

  influx = await startInfluxd({ dir: join(tmp, 'influx'), port });
  await waitFor('readyz 200 again', async () => (await ready()).status === 200, 15_000);
  const ql = new InfluxQLClient(createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }), {
    db: 'yizhan',
  });
  const rows = await waitFor('both readings stored', async () => {
    const r = await ql.rows(`SELECT value FROM occupancy WHERE station='st-001'`, { epoch: 'ms' });
    return r.length === 2 ? r : undefined;
  });
  expect(rows).toEqual([
    { time: T, value: 1 },
    { time: T + 1000, value: 2 },
  ]);
}, 60_000);
