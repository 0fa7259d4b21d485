/**
 * Faults under load, all real (influxd, aedes, mqtt.js, the server): InfluxDB is killed while five
 * stations publish (the outage outlasts the writer's small memory bound, so the disk spool must take
 * it), the server is stopped while InfluxDB is still down (spool non-empty, messages keep coming to
 * the broker), then InfluxDB and a new server come back: every reading is in InfluxDB exactly once,
 * despite forced MQTT redeliveries and edge replays of the same readings under a new boot.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd, type InfluxdHandle } from '../../../scripts/lib/influxd.js';
import { freePort } from '../../../scripts/lib/ports.js';
import { createTransport } from '../../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../../server/src/influx/query.js';
import {
  FakeStation,
  metric,
  publisher,
  startServer,
  type StartedServer,
} from '../helpers.js';
import { startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const STATIONS = ['st-001', 'st-002', 'st-003', 'st-004', 'st-005'].map((id) => stationFixture(id));
const SENSORS = (STATIONS[0]?.sensors ?? []).map((s) => ({ sensor: s.id, kind: s.kind }));
/** Reading times: 10 ms apart from ten minutes ago (inside retention, not in the future). */
const T0 = Date.now() - 600_000;

describe('fault: InfluxDB killed under load, server restarted with a non-empty spool', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'yz-fault-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every reading lands exactly once', async () => {
    const port = await freePort();
    const influxDir = join(tmp, 'influx');
    let influx: InfluxdHandle = await startInfluxd({ dir: influxDir, port });
    cleanups.push(() => influx.stop());
    const broker = await startPlainBroker();
    cleanups.push(() => broker.close());
    const dataDir = join(tmp, 'data');
    const boot = (): Promise<StartedServer> =>
      startServer({
        stations: STATIONS,
        mqttUrl: broker.url,
        influxUrl: influx.url,
        dataDir,
        mqtt: { url: broker.url, clientId: 'yizhan-server-fault', reconnectPeriodMs: 200 },
        influx: {
          url: influx.url,
          api: 'v1',
          db: 'yizhan',
          rp: 'raw',
          writer: {
            batchSize: 200,
            flushIntervalMs: 50,
            maxBufferLines: 500,
            minRetryDelayMs: 100,
            maxRetryDelayMs: 400,
          },
          setupBackoff: { minMs: 100, maxMs: 400 },
        },
      });
    let server = await boot();
    cleanups.push(() => server.close());
    const pub = await publisher(broker.url);
    cleanups.push(() => pub.close());

    const stations = STATIONS.map((s) => new FakeStation(s.id));
    let k = 0; // message index per station; reading ts = T0 + 10 ms · k
    /** One telemetry message per station (all sensors), `rounds` times, awaited. */
    const send = async (rounds: number) => {
      for (let r = 0; r < rounds; r++, k++) {
        const ts = T0 + k * 10;
        const values = SENSORS.map((s, i) => ({ ...s, value: (k * 7 + i) % 2 }));
        await Promise.all(stations.map((st) => pub.pub(st.id, 'telemetry', st.telemetry(values, ts))));
      }
    };
    const metricsOf = async (s: StartedServer) => (await s.app.inject('/metrics')).body;

    // 1. Load with InfluxDB up.
    await send(100);
    // 2. Kill InfluxDB (SIGKILL) and keep the load on: 5 × 14 lines per round, far beyond 500 in memory.
    influx.process.kill('SIGKILL');
    await new Promise((r) => influx.process.once('exit', r));
    await send(150);
    // Forced MQTT redeliveries: the same messages (same boot and seq) again.
    const again = stations.map((st) =>
      st.telemetry(
        SENSORS.map((s) => ({ ...s, value: 1 })),
        T0 + k * 10,
      ),
    );
    k++;
    for (let i = 0; i < 3; i++)
      await Promise.all(stations.map((st, j) => pub.pub(st.id, 'telemetry', again[j])));
    await waitFor(
      'spooling',
      async () => (metric(await metricsOf(server), 'yizhan_influx_points_spooled_total') ?? 0) > 2000,
    );
    await waitFor(
      'redeliveries seen',
      async () => metric(await metricsOf(server), 'yizhan_ingest_duplicates_total') === 10,
    );
    const during = await metricsOf(server);
    expect(metric(during, 'yizhan_influx_up')).toBe(0);
    expect(metric(during, 'yizhan_influx_queue_lines')).toBeLessThanOrEqual(500);
    expect(metric(during, 'yizhan_ingest_duplicates_total')).toBe(10);

    // 3. Stop the server with InfluxDB still down: what was not written stays in the spool.
    await server.close();
    expect(readdirSync(join(dataDir, 'influx-spool')).some((f) => f.endsWith('.log'))).toBe(true);
    // Messages published while the server is away wait in its persistent session at the broker.
    await send(20);
    // Edge replay: a rebooted station sends old readings again under a new boot id (not an MQTT duplicate).
    const replayer = new FakeStation('st-001', 'boot-replay');
    for (let j = 0; j < 20; j++)
      await pub.pub('st-001', 'telemetry', {
        ...replayer.telemetry(
          SENSORS.map((s, i) => ({ ...s, value: (j * 7 + i) % 2 })),
          T0 + j * 10,
        ),
        historical: true,
      });

    // 4. InfluxDB back on the same data and port; a new server on the same data dir replays the spool.
    influx = await startInfluxd({ dir: influxDir, port });
    server = await boot();
    const ql = new InfluxQLClient(createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }), {
      db: 'yizhan',
    });
    const total = k; // distinct reading times per station
    const counts = async () => {
      const rows = await ql.rows('SELECT count("value") FROM /.*/ GROUP BY "station", "sensor"');
      return rows;
    };
    await waitFor(
      'all readings stored',
      async () => {
        const rows = await counts();
        return rows.length === STATIONS.length * SENSORS.length && rows.every((r) => r.count === total);
      },
      30_000,
      200,
    );
    const rows = await counts();
    expect(rows).toHaveLength(STATIONS.length * SENSORS.length);
    for (const r of rows) expect(r.count).toBe(total); // once per reading: no second point, none missing
    const after = await metricsOf(server);
    expect(metric(after, 'yizhan_influx_points_replayed_total')).toBeGreaterThan(2000);
    await waitFor(
      'spool empty',
      async () => metric(await metricsOf(server), 'yizhan_influx_spool_bytes') === 0,
    );
    // Delivered segments are deleted: only the one taking appends is left.
    expect(readdirSync(join(dataDir, 'influx-spool')).filter((f) => f.endsWith('.log')).length).toBeLessThanOrEqual(1);
    for (const s of [during, after]) {
      const text = s.split('\n').filter((l) => l.startsWith('yizhan_influx_points_dropped_total{'));
      expect(text).toEqual([]);
    }
  }, 90_000);
});
