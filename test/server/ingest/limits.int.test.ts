/**
 * Data that lies, published with Debian's mosquitto_pub against the real stack (aedes, server,
 * influxd): readings outside what their sensor can report are refused as `out_of_range` (logged with
 * station, sensor, value and the allowed range), never stored, never shown live, never seen by the
 * alert rules, while the good readings of the same message land; a ts beyond what a Date holds and
 * health counters that sum to Infinity get reasons of their own instead of `internal`.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationLive } from '../../../server/src/state/schema.js';
import { FakeStation, metric, startStack, type Stack } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { readerHeaders } from '../auth-helpers.js';
import { stationFixture } from '../../helpers/station.js';

const run = promisify(execFile);
const ST = stationFixture('st-001', { seats: 26, heatingTimeout: '1min' });
const logs: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  }),
);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stations: [ST], loggerInstance: logger });
});
afterAll(async () => {
  await stack?.close();
});

/** Publish one message with mosquitto_pub at QoS 1 (another client than the server's own). */
async function mosquittoPub(leaf: string, payload: unknown): Promise<void> {
  const u = new URL(stack.broker.url);
  await run('mosquitto_pub', [
    ...['-h', u.hostname, '-p', u.port, '-V', 'mqttv311', '-q', '1'],
    ...['-t', `yizhan/v1/stations/st-001/${leaf}`, '-m', JSON.stringify(payload)],
  ]);
}

const rejected = async (reason: string): Promise<number> =>
  metric(await stack.metricsText(), 'yizhan_ingest_rejected_total', { reason }) ?? 0;

describe('values a sensor cannot report', () => {
  it('are refused per reading as out_of_range; the good readings of the same message land', async () => {
    const st = new FakeStation('st-001');
    const ts = Date.now() - 10_000;
    await mosquittoPub(
      'telemetry',
      st.telemetry(
        [
          { sensor: 'occupancy', kind: 'occupancy', value: 100_316 },
          { sensor: 'door', kind: 'door', value: 7 },
          { sensor: 'water-level', kind: 'water_level', value: 1000 },
          { sensor: 'water-temp', kind: 'water_temp', value: 1200 },
          { sensor: 'socket-1', kind: 'socket_state', value: 1.5 },
          { sensor: 'ambient', kind: 'ambient_temp', value: 21.5 },
          { sensor: 'socket-2', kind: 'socket_state', value: 2 },
        ],
        ts,
      ),
    );
    await mosquittoPub('events', st.state('door', 'door', 7, ts + 1));
    await waitFor('six refusals counted', async () => (await rejected('out_of_range')) === 6);
    await stack.server.app.influx.writer.flush();
    const rows = await waitFor('the good readings stored', async () => {
      const r = await stack.ql.rows(
        `SELECT count("value") FROM /.*/ WHERE "station" = 'st-001' GROUP BY "sensor"`,
      );
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.sensor).sort()).toEqual(['ambient', 'socket-2']);

    const live = (await stack.getJson<StationLive>('/api/v1/stations/st-001')).body;
    expect(Object.keys(live.readings).sort()).toEqual(['ambient', 'socket-2']);
    expect(live.seats.occupied).toBeNull();
    expect(live.door.open).toBeNull();
    expect(live.water.levelPct).toBeNull();

    const line = logs.find((l) => l.reason === 'out_of_range' && String(l.detail).includes('occupancy'));
    expect(line).toMatchObject({ station: 'st-001' });
    expect(line?.detail).toBe(
      'sensor "occupancy" (occupancy) reported 100316; allowed 0..72 people (whole numbers)',
    );
  });

  it('a water temperature out of range does not feed the dispenser rule', async () => {
    const st = new FakeStation('st-001');
    const t0 = Date.now() - 5 * 60_000;
    await mosquittoPub('telemetry', st.telemetry([{ sensor: 'heater', kind: 'heater', value: 1 }], t0));
    await mosquittoPub(
      'telemetry',
      st.telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 40 }], t0 + 1000),
    );
    // A broken probe reading 6553.5 °C for two minutes: the water did not heat, whatever it says.
    for (let i = 1; i <= 4; i++)
      await mosquittoPub(
        'telemetry',
        st.telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 6553.5 }], t0 + 1000 + i * 30_000),
      );
    await mosquittoPub(
      'telemetry',
      st.telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 40.5 }], t0 + 150_000),
    );
    await waitFor('the last temperature applied', async () => {
      const live = (await stack.getJson<StationLive>('/api/v1/stations/st-001')).body;
      return live.water.tempC === 40.5;
    });
    const alerts = (
      await stack.getJson<{ alerts: { rule: string }[] }>('/api/v1/alerts', {
        headers: await readerHeaders(stack.server.app),
      })
    ).body.alerts;
    // Earlier cases of this file left other rules firing at st-001 (a socket charging at no power).
    expect(alerts.map((a) => a.rule).filter((r) => r === 'dispenser_broken')).toEqual(['dispenser_broken']);
  });
});

describe('payloads that pass the schema but cannot be stored', () => {
  it('a ts beyond what a JavaScript Date holds is ts_invalid, not internal', async () => {
    const st = new FakeStation('st-001');
    await mosquittoPub('telemetry', st.telemetry([{ sensor: 'door', kind: 'door', value: 1 }], 1e300));
    await mosquittoPub('status', st.status('online', 8.64e15 + 1));
    await waitFor('both counted', async () => (await rejected('ts_invalid')) === 2);
    expect(await rejected('internal')).toBe(0);
  });

  it('health counters that sum to Infinity are counter_overflow, not internal', async () => {
    const st = new FakeStation('st-001');
    const base = {
      agentVersion: '1.0.0',
      uptimeS: 10,
      rssBytes: 1000,
      serial: { state: 'up', port: '/dev/ttyYZ0', lastFrameAgeMs: 5, framesGood: 1, framesBad: {} },
    };
    const env = () => st.telemetry([], Date.now() - 1000);
    const health = (serial: Record<string, unknown>) => {
      const { readings: _r, ...e } = env();
      return { ...e, ...base, serial: { ...base.serial, ...serial } };
    };
    await mosquittoPub('health', health({ framesBad: { bad_crc: 1e308, garbage: 1e308 } }));
    await mosquittoPub('health', health({ framesGood: 1e300 }));
    await waitFor('both counted', async () => (await rejected('counter_overflow')) === 2);
    expect(await rejected('internal')).toBe(0);
    await mosquittoPub('health', health({ framesBad: { bad_crc: 3 } }));
    await waitFor('a sound health report still applies', async () => {
      const live = (await stack.getJson<StationLive>('/api/v1/stations/st-001')).body;
      return live.health?.framesBad === 3;
    });
  });
});
