/**
 * Active faults across restarts, all real (influxd, aedes, the server): a station's dispenser fails
 * (heater_failure), the crew is paged once; the server restarts and still shows the fault, the
 * dispenser out of order and the alert firing under the same id, without paging anyone again. Then
 * the controller reboots without ever clearing the fault (the agent's next health reports an empty
 * set): the fault is gone from the live view, from InfluxDB's last state (what the "当前故障" panel
 * reads), and the alert resolves once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../server/src/alerts/types.js';
import type { StationLive } from '../../../server/src/state/schema.js';
import {
  FakeStation,
  publisher,
  startServer,
  startTestInflux,
  startHookReceiver,
  type HookReceiver,
  type Publisher,
  type StartedServer,
  type TestInflux,
} from '../helpers.js';
import { type PlainBroker, startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { readerHeaders } from '../auth-helpers.js';
import { stationFixture } from '../../helpers/station.js';

const ST = stationFixture('st-001');
const hooks: { status: string; alert: Alert }[] = [];
let hookReceiver: HookReceiver | undefined;
let hookUrl: string;
let influx: TestInflux;
let broker: PlainBroker;
let pub: Publisher;
let server: StartedServer | undefined;
/** The operations store's folder, kept across the restart as in production. */
const dataDir = mkdtempSync(join(tmpdir(), 'yizhan-restore-'));

const start = (): Promise<StartedServer> =>
  startServer({
    stations: [ST],
    mqttUrl: broker.url,
    influxUrl: influx.url,
    // One client id for both runs, as in production: the broker keeps the session in between.
    mqtt: { url: broker.url, clientId: 'yizhan-server-restart-test', reconnectPeriodMs: 200 },
    alerts: { webhook: { url: hookUrl } },
    dataDir,
  });
const live = async (): Promise<StationLive> =>
  (await server!.app.inject('/api/v1/stations/st-001')).json<StationLive>();
const firing = async (): Promise<Alert[]> =>
  (await server!.app.inject({ url: '/api/v1/alerts', headers: await readerHeaders(server!.app) })).json<{
    alerts: Alert[];
  }>().alerts;

beforeAll(async () => {
  hookReceiver = await startHookReceiver(hooks);
  hookUrl = hookReceiver.url;
  [influx, broker] = await Promise.all([startTestInflux(), startPlainBroker()]);
  pub = await publisher(broker.url);
});
afterAll(async () => {
  await pub?.close();
  await server?.close();
  await Promise.all([broker?.close(), influx?.cleanup()]);
  await hookReceiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('active faults survive a server restart and clear when the controller says so', () => {
  const st = new FakeStation('st-001');
  const t0 = Date.now() - 60_000;
  const health = (faults: unknown[], ts: number) => ({
    v: 1,
    stationId: 'st-001',
    bootId: st.bootId,
    seq: st.seq++,
    ts,
    agentVersion: '0.1.0',
    uptimeS: 60,
    rssBytes: 50_000_000,
    serial: { state: 'up', port: '/dev/ttyYZ0', lastFrameAgeMs: 100, framesGood: 10, framesBad: {} },
    faults,
  });

  it('after a restart: the fault, the dispenser out of order, the alert firing with its id, no second page', async () => {
    server = await start();
    await pub.pub(
      'st-001',
      'telemetry',
      st.telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 92 }], t0),
    );
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', true, t0 + 1000));
    await waitFor('paged once', () => hooks.length === 1);
    const before = (await firing())[0];
    expect(before).toMatchObject({ rule: 'dispenser_broken', status: 'firing' });
    await server.close(); // flushes InfluxDB

    server = await start();
    const after = await live();
    expect(after.faults).toEqual([{ sensor: 'heater', fault: 'heater_failure', since: t0 + 1000 }]);
    expect(after.water.state).toBe('fault');
    expect((await firing()).map((a) => ({ id: a.id, startsAt: a.startsAt }))).toEqual([
      { id: before?.id, startsAt: before?.startsAt },
    ]);
    // A reading after the restart does not make it "heating" again, and nobody is paged twice.
    await pub.pub(
      'st-001',
      'telemetry',
      st.telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 91 }], t0 + 5000),
    );
    await waitFor('reading applied', async () => (await live()).water.tempC === 91);
    expect((await live()).water.state).toBe('fault');
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.map((h) => h.status)).toEqual(['firing']);
    // The agent's report of the same active set changes nothing.
    await pub.pub(
      'st-001',
      'health',
      health([{ sensor: 'heater', fault: 'heater_failure', since: t0 + 1000 }], t0 + 6000),
    );
    await waitFor('health applied', async () => (await live()).health?.ts === t0 + 6000);
    expect((await live()).faults).toHaveLength(1);
    expect(hooks).toHaveLength(1);
  });

  it('a controller reboot without a clear event: cleared in the live view, InfluxDB and the alert', async () => {
    await pub.pub('st-001', 'events', {
      ...st.state('door', 'door', 0, t0 + 9000),
      event: { type: 'hello', firmware: '1.0.0', boardId: 'YZC-st-001', sensors: [] },
    });
    await pub.pub('st-001', 'health', health([], t0 + 10_000));
    await waitFor('fault cleared', async () => (await live()).faults.length === 0);
    expect((await live()).water.state).not.toBe('fault');
    await waitFor('resolved sent', () => hooks.length === 2);
    expect(hooks[1]).toMatchObject({ status: 'resolved', alert: { id: hooks[0]?.alert.id } });
    expect(await firing()).toEqual([]);

    await server!.app.influx.writer.flush();
    const q = `SELECT "active" FROM (SELECT last("active") AS "active" FROM "fault" GROUP BY "station", "sensor", "fault") WHERE "active" = 1`;
    const r = await fetch(`${influx.url}/query?db=yizhan&q=${encodeURIComponent(q)}`);
    expect(((await r.json()) as { results: [{ series?: unknown[] }] }).results[0].series).toBeUndefined();

    // And after yet another restart it stays cleared.
    await server!.close();
    server = await start();
    expect((await live()).faults).toEqual([]);
    expect(await firing()).toEqual([]);
  });
});
