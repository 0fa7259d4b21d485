/**
 * Start and stop: not ready while InfluxDB is away (points are held, then written once it is
 * set up), the writer is flushed on close, and main.ts refuses bad settings and exits cleanly on
 * SIGTERM after flushing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import pino from 'pino';
import { setLogger } from '@influxdata/influxdb-client';
import { freePort } from '../../scripts/lib/ports.js';
import { buildApp } from '@yizhan/server';
import { createTransport } from '../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../server/src/influx/query.js';
import {
  FakeStation,
  publisher,
  serverMainEnv,
  serverMainReady,
  spawnServerMain,
  startTestInflux,
  type TestInflux,
} from './helpers.js';
import { type PlainBroker, startPlainBroker } from '../helpers/mqtt-broker.js';
import { waitFor } from '../helpers/wait.js';
import { stationFixture } from '../helpers/station.js';

setLogger({ error: () => {}, warn: () => {} });

let broker: PlainBroker;
beforeAll(async () => {
  broker = await startPlainBroker();
});
afterAll(async () => {
  await broker?.close();
});

const rowsOf = (url: string, q: string) =>
  new InfluxQLClient(createTransport({ url, api: 'v1', db: 'yizhan', rp: 'raw' }), { db: 'yizhan' }).rows(q, {
    epoch: 'ms',
  });

describe('readiness and flushing', () => {
  it('/readyz is 503 until InfluxDB is set up; readings published meanwhile land afterwards', async () => {
    const influxPort = await freePort();
    const app = await buildApp({
      stations: [stationFixture('st-001')],
      mqtt: { url: broker.url, clientId: 'yizhan-server-life1', reconnectPeriodMs: 200 },
      influx: {
        url: `http://127.0.0.1:${influxPort}`,
        api: 'v1',
        db: 'yizhan',
        rp: 'raw',
        writer: { flushIntervalMs: 50 },
        setupBackoff: { minMs: 50, maxMs: 200 },
      },
      loggerInstance: pino({ level: 'silent' }),
      defaultMetrics: false,
    });
    let influx: TestInflux | undefined;
    const pub = await publisher(broker.url);
    try {
      await app.ready();
      await waitFor('mqtt up', () => app.ingest.mqtt.ready);
      const r = await app.inject('/readyz');
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ ready: false, checks: { mqtt: true, influx: false } });
      const ts = Date.now() - 1000;
      await pub.pub(
        'st-001',
        'telemetry',
        new FakeStation('st-001').telemetry([{ sensor: 'water-temp', kind: 'water_temp', value: 77.7 }], ts),
      );
      await waitFor('live state has it', () => app.store.live('st-001')?.water.tempC === 77.7);
      influx = await startTestInflux(influxPort);
      await waitFor('ready', async () => (await app.inject('/readyz')).statusCode === 200);
      const url = influx.url;
      const rows = await waitFor('held point written', async () => {
        const r2 = await rowsOf(url, `SELECT value FROM water_temp WHERE station='st-001'`);
        return r2.length ? r2 : undefined;
      });
      expect(rows).toEqual([{ time: ts, value: 77.7 }]);
    } finally {
      await pub.close();
      await app.close();
      await influx?.cleanup();
    }
  });

  it('close() flushes points still in the batch', async () => {
    const influx = await startTestInflux();
    const app = await buildApp({
      stations: [stationFixture('st-001')],
      mqtt: { url: broker.url, clientId: 'yizhan-server-life2', reconnectPeriodMs: 200 },
      // A flush interval far longer than the test: only close() can send the batch.
      influx: { url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw', writer: { flushIntervalMs: 3_600_000 } },
      loggerInstance: pino({ level: 'silent' }),
      defaultMetrics: false,
    });
    const pub = await publisher(broker.url);
    try {
      await app.ready();
      await waitFor('ready', async () => (await app.inject('/readyz')).statusCode === 200);
      const ts = Date.now() - 1000;
      await pub.pub(
        'st-001',
        'telemetry',
        new FakeStation('st-001').telemetry([{ sensor: 'door', kind: 'door', value: 1 }], ts),
      );
      await waitFor('ingested', () => app.store.live('st-001')?.door.open === true);
      expect(await rowsOf(influx.url, 'SELECT value FROM door')).toEqual([]);
      await app.close();
      expect(await rowsOf(influx.url, 'SELECT value FROM door')).toEqual([{ time: ts, value: 1 }]);
    } finally {
      await pub.close();
      await influx.cleanup();
    }
  });
});

describe('main.ts', () => {
  it('refuses to start on bad settings, naming each', async () => {
    const { done } = spawnServerMain({ YIZHAN_HTTP_PORT: 'eighty', YIZHAN_INFLUX_FLUSH_INTERVL: '1s' });
    const r = await done;
    expect(r.code).toBe(2);
    expect(r.err).toContain('refusing to start');
    expect(r.err).toMatch(/YIZHAN_HTTP_PORT: .*"eighty"/);
    expect(r.err).toContain(
      'YIZHAN_INFLUX_FLUSH_INTERVL: unknown setting; did you mean YIZHAN_INFLUX_FLUSH_INTERVAL?',
    );
  });

  it('starts from env, serves, and on SIGTERM flushes and exits 0', async () => {
    const influx = await startTestInflux();
    const dir = mkdtempSync(join(tmpdir(), 'yz-stations-'));
    writeFileSync(join(dir, 'st-001.yaml'), stringify(stationFixture('st-001')));
    const port = await freePort();
    const main = spawnServerMain({
      ...serverMainEnv({
        port,
        mqttUrl: broker.url,
        clientId: 'yizhan-server-main',
        influxUrl: influx.url,
        stationsDir: dir,
      }),
      YIZHAN_INFLUX_FLUSH_INTERVAL: '1h',
      LOG_LEVEL: 'warn',
    });
    const pub = await publisher(broker.url);
    try {
      await serverMainReady(port);
      const ts = Date.now() - 1000;
      await pub.pub(
        'st-001',
        'telemetry',
        new FakeStation('st-001').telemetry([{ sensor: 'occupancy', kind: 'occupancy', value: 5 }], ts),
      );
      await waitFor('ingested', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/stations/st-001`);
        return ((await r.json()) as { seats: { occupied: number | null } }).seats.occupied === 5;
      });
      main.kill('SIGTERM');
      const r = await main.done;
      expect(r.code, r.err + r.out).toBe(0);
      expect(await rowsOf(influx.url, 'SELECT value FROM occupancy')).toEqual([{ time: ts, value: 5 }]);
    } finally {
      main.kill('SIGKILL');
      await pub.close();
      await influx.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
