/**
 * A fault cleared while its clear could not reach InfluxDB yet (InfluxDB down, or a server killed
 * within the writer's flush interval): the clear waits in the server's spool. After a restart on the
 * same data folder the fault must stay cleared: the active faults are read from InfluxDB only once
 * the spool's lines are in, so the station's next report of the same fault pages the crew again.
 * All real: influxd (stopped and started on its data), aedes, the server with its spool and store.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../../scripts/lib/influxd.js';
import { freePort } from '../../../scripts/lib/ports.js';
import type { WebhookBody } from '../../../server/src/alerts/webhook.js';
import type { StationLive } from '../../../server/src/state/schema.js';
import {
  FakeStation,
  publisher,
  startHookReceiver,
  startServer,
  type HookReceiver,
  type Publisher,
  type StartedServer,
} from '../helpers.js';
import { startPlainBroker, type PlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { readerHeaders } from '../auth-helpers.js';
import { stationFixture } from '../../helpers/station.js';

const tmp = mkdtempSync(join(tmpdir(), 'yz-restore-spool-'));
const influxDir = join(tmp, 'influx');
const dataDir = join(tmp, 'data');
const hooks: WebhookBody[] = [];
let influxPort: number;
let influx: InfluxdHandle | undefined;
let broker: PlainBroker;
let hook: HookReceiver;
let pub: Publisher;
let server: StartedServer | undefined;

const start = (): Promise<StartedServer> =>
  startServer({
    stations: [stationFixture('st-001')],
    mqttUrl: broker.url,
    influxUrl: `http://127.0.0.1:${influxPort}`,
    dataDir,
    mqtt: { url: broker.url, clientId: 'yizhan-server-restore-spool', reconnectPeriodMs: 200 },
    influx: {
      url: `http://127.0.0.1:${influxPort}`,
      api: 'v1',
      db: 'yizhan',
      rp: 'raw',
      writer: { flushIntervalMs: 50, minRetryDelayMs: 100, maxRetryDelayMs: 400 },
      setupBackoff: { minMs: 100, maxMs: 400 },
    },
    alerts: { webhook: { url: hook.url } },
  });
const live = async (): Promise<StationLive> =>
  (await server!.app.inject('/api/v1/stations/st-001')).json<StationLive>();
const firing = async (): Promise<unknown[]> =>
  (await server!.app.inject({ url: '/api/v1/alerts', headers: await readerHeaders(server!.app) })).json<{
    alerts: unknown[];
  }>().alerts;

beforeAll(async () => {
  influxPort = await freePort();
  [influx, broker, hook] = await Promise.all([
    startInfluxd({ dir: influxDir, port: influxPort }),
    startPlainBroker(),
    startHookReceiver(hooks),
  ]);
  pub = await publisher(broker.url);
}, 60_000);
afterAll(async () => {
  await pub?.close();
  await server?.close();
  await Promise.all([broker?.close(), influx?.stop(), hook?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('a fault cleared while its clear waits in the spool', () => {
  it('stays cleared after a restart, and the fault coming back pages the crew again', async () => {
    const st = new FakeStation('st-001');
    const t0 = Date.now() - 60_000;
    server = await start();
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', true, t0));
    await waitFor('paged', () => hooks.length === 1);
    await server.app.influx.writer.flush();

    // InfluxDB goes away; the fault clears (the crew is told), its clear stays in the spool.
    await influx!.stop();
    influx = undefined;
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', false, t0 + 1000));
    await waitFor('resolve sent', () => hooks.length === 2);
    await server.close();
    server = undefined;
    expect(readdirSync(join(dataDir, 'influx-spool')).some((f) => f.endsWith('.log'))).toBe(true);

    // InfluxDB back on its data (it still says "active"), a new server on the same data folder.
    influx = await startInfluxd({ dir: influxDir, port: influxPort });
    server = await start();
    expect((await live()).faults).toEqual([]);
    expect(await firing()).toEqual([]);

    // The dispenser fails again: a new alert, and the crew hears of it.
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', true, t0 + 2000));
    await waitFor('paged again', () => hooks.length === 3);
    expect(hooks.map((h) => h.status)).toEqual(['firing', 'resolved', 'firing']);
    expect(hooks[2]?.alert.id).not.toBe(hooks[0]?.alert.id);
    expect((await live()).faults).toEqual([{ sensor: 'heater', fault: 'heater_failure', since: t0 + 2000 }]);
  }, 90_000);
});
