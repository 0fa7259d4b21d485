/**
 * Live outputs through the real parts (aedes, influxd, server): the SSE stream (filtering,
 * heartbeat, slow-client drop) and alerts end to end, with a real HTTP webhook receiver.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Socket } from 'node:net';
import { setLogger } from '@influxdata/influxdb-client';
import type { StationLive, StationSummary } from '../../../server/src/state/schema.js';
import type { Alert } from '../../../server/src/alerts/types.js';
import {
  FakeStation,
  metric,
  startHookReceiver,
  startStack,
  type HookReceiver,
  type Stack,
} from '../helpers.js';
import { openSse, type SseClient } from '../../helpers/sse.js';
import { waitFor } from '../../helpers/wait.js';
import { readerHeaders } from '../auth-helpers.js';
import { stationFixture } from '../../helpers/station.js';

setLogger({ error: () => {}, warn: () => {} });
const MIN = 60_000;

let s: Stack;
/** Session of a county-wide viewer: the alerts API needs a login. */
let reader: Record<string, string>;
let hookReceiver: HookReceiver | undefined;
const hooks: { status: string; alert: Alert & { labels: Record<string, string> } }[] = [];

beforeAll(async () => {
  hookReceiver = await startHookReceiver(hooks);
  const hookUrl = hookReceiver.url;
  s = await startStack({
    stations: [stationFixture('st-001'), stationFixture('st-002'), stationFixture('st-003')],
    alerts: { webhook: { url: hookUrl } },
    // maxPerAddress: the 2,000 clients below all connect from 127.0.0.1.
    sse: { heartbeatMs: 200, maxBufferBytes: 64 * 1024, maxPerAddress: 2100 },
  });
  reader = await readerHeaders(s.server.app);
});
afterAll(async () => {
  await s?.close();
  await hookReceiver?.close();
});

describe('SSE /api/v1/events', () => {
  it('sends a snapshot, then a door change of the station asked for (and not of others)', async () => {
    const es: SseClient = await openSse(`${s.server.url}/api/v1/events?station=st-003`);
    try {
      await waitFor('snapshot', () => es.events.find((e) => e.event === 'station'));
      const st = new FakeStation('st-003');
      const n = es.events.length;
      await s.pub.pub('st-001', 'events', new FakeStation('st-001').state('door', 'door', 1));
      await s.pub.pub('st-003', 'events', st.state('door', 'door', 0));
      const ev = await waitFor('door change', () =>
        es.events
          .slice(n)
          .find((e) => e.event === 'station' && (JSON.parse(e.data) as StationLive).door.open === false),
      );
      expect((JSON.parse(ev.data) as StationLive).id).toBe('st-003');
      expect(
        es.events
          .slice(n)
          .every((e) => e.event !== 'station' || (JSON.parse(e.data) as StationLive).id === 'st-003'),
      ).toBe(true);
      // The heartbeat is an event (comments are invisible to EventSource), carrying the server time.
      const hb = await waitFor('heartbeat event', () => es.events.find((e) => e.event === 'heartbeat'));
      expect(Math.abs(Number(hb.data) - Date.now())).toBeLessThan(5000);
    } finally {
      es.close();
    }
  });

  it('unknown station filter: 404 JSON', async () => {
    const r = await s.getJson<{ error: { code: string } }>('/api/v1/events?station=st-404');
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'station_not_found' } } });
  });

  it('a client that does not read is dropped and counted; a reading client stays', async () => {
    const reader = await openSse(`${s.server.url}/api/v1/events`);
    const port = Number(new URL(s.server.url).port);
    const slow = connect(port, '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n');
    slow.pause();
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    const before = metric(await s.metricsText(), 'yizhan_sse_clients_dropped_total') ?? 0;
    await waitFor(
      'both connected',
      async () => (metric(await s.metricsText(), 'yizhan_sse_clients') ?? 0) >= 2,
    );
    try {
      // Many state changes, in small batches so the reading client keeps up between them.
      for (let i = 0; i < 400 && !slowClosed; i++) {
        for (let j = 0; j < 20; j++) s.server.app.store.touch('st-002');
        await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(
        'slow client dropped',
        async () => (metric(await s.metricsText(), 'yizhan_sse_clients_dropped_total') ?? 0) === before + 1,
      );
      expect(reader.closed).toBe(false);
      const n = reader.events.length;
      s.server.app.store.touch('st-001');
      await waitFor('reader still gets events', () => reader.events.length > n);
    } finally {
      slow.destroy();
      reader.close();
    }
  });
});

describe('SSE with 2,000 clients', () => {
  it('encodes each change once, however many clients get it', async () => {
    const port = Number(new URL(s.server.url).port);
    const N = 2000;
    const marker = 'event: station\ndata: {"id":"st-002"';
    const got = new Array<number>(N).fill(0);
    const socks: Socket[] = [];
    try {
      for (let i = 0; i < N; i++) {
        // Half watch st-002 only (a station screen), half watch everything (a list page).
        const path = i % 2 ? '/api/v1/events?station=st-002' : '/api/v1/events';
        const sock = connect(port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
        let tail = '';
        sock.on('data', (b: Buffer) => {
          const text = tail + b.toString('latin1');
          for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) got[i]!++;
          tail = text.slice(-marker.length);
        });
        socks.push(sock);
        // Connect in batches of 200: each batch has its snapshot before the next one starts.
        if (i % 200 === 199)
          await waitFor('clients connected', () => got.slice(0, i + 1).every((n) => n >= 1), 60_000);
      }
      await waitFor('every snapshot', () => got.every((n) => n >= 1), 30_000);
      const spy = vi.spyOn(JSON, 'stringify');
      const changes = 10;
      try {
        for (let k = 0; k < changes; k++) s.server.app.store.touch('st-002');
        await waitFor('every change at every client', () => got.every((n) => n >= 1 + changes), 30_000);
        const encodings = spy.mock.calls.filter(([v]) => {
          const o = v as Partial<StationLive> | null;
          return typeof o === 'object' && o !== null && o.id === 'st-002' && 'readings' in o;
        }).length;
        expect(encodings).toBe(changes);
      } finally {
        spy.mockRestore();
      }
      expect((await fetch(`${s.server.url}/healthz`)).status).toBe(200);
    } finally {
      for (const sock of socks) sock.destroy();
    }
    await waitFor(
      'clients gone',
      async () => (metric(await s.metricsText(), 'yizhan_sse_clients') ?? 0) === 0,
      30_000,
    );
  }, 90_000);
});

describe('alerts', () => {
  it('heater_failure fault fires and resolves; the webhook gets both; API and station count follow', async () => {
    const st = new FakeStation('st-003');
    const t = Date.now() - 30_000;
    hooks.length = 0;
    await s.pub.pub('st-003', 'events', st.fault('heater', 'heater_failure', true, t));
    const firing = await waitFor(
      'firing alert',
      async () =>
        (await s.getJson<{ alerts: Alert[] }>('/api/v1/alerts', { headers: reader })).body.alerts[0],
    );
    expect(firing).toMatchObject({
      rule: 'dispenser_broken',
      stationId: 'st-003',
      status: 'firing',
      startsAt: new Date(t).toISOString(),
    });
    expect((await s.getJson<StationSummary>('/api/v1/stations/st-003')).body.activeAlerts).toBe(1);
    await s.pub.pub('st-003', 'events', st.fault('heater', 'heater_failure', false, t + 5000));
    await waitFor('two webhook posts', () => hooks.length >= 2);
    expect(hooks.map((h) => [h.status, h.alert.id])).toEqual([
      ['firing', firing.id],
      ['resolved', firing.id],
    ]);
    expect(hooks[0]?.alert.labels).toEqual({
      alertname: 'dispenser_broken',
      station: 'st-003',
      township: '城关镇',
      severity: 'critical',
    });
    const resolved = (
      await s.getJson<{ alerts: Alert[] }>('/api/v1/alerts?state=resolved', { headers: reader })
    ).body.alerts;
    expect(resolved.find((a) => a.id === firing.id)).toMatchObject({
      status: 'resolved',
      endsAt: new Date(t + 5000).toISOString(),
    });
    expect((await s.getJson<{ alerts: Alert[] }>('/api/v1/alerts', { headers: reader })).body.alerts).toEqual(
      [],
    );
    await waitFor(
      'both counted as sent',
      async () =>
        metric(await s.metricsText(), 'yizhan_outbox_sent_total', { channel: 'alert-webhook' }) === 2,
    );
  });

  it('readings only (heater on, water flat over simulated time) fires, then resolves when the water heats', async () => {
    const st = new FakeStation('st-002');
    const t0 = Date.now() - 30 * MIN;
    hooks.length = 0;
    const step = (m: number, heater: number, temp: number) =>
      s.pub.pub(
        'st-002',
        'telemetry',
        st.telemetry(
          [
            { sensor: 'heater', kind: 'heater', value: heater },
            { sensor: 'water-temp', kind: 'water_temp', value: temp },
          ],
          t0 + m * MIN,
        ),
      );
    await step(0, 1, 40);
    await step(5, 1, 40.5);
    await step(10, 1, 41);
    const firing = await waitFor('readings alert', async () =>
      (await s.getJson<{ alerts: Alert[] }>('/api/v1/alerts', { headers: reader })).body.alerts.find(
        (a) => a.stationId === 'st-002',
      ),
    );
    expect(firing).toMatchObject({
      startsAt: new Date(t0 + 10 * MIN).toISOString(),
      evidence: { cause: 'readings', fromC: 40, toC: 41 },
    });
    await step(12, 1, 44);
    // Only heater and water report here, so sensor_silent also fires for the station's other sensors.
    const dispenser = () => hooks.filter((h) => h.alert.rule === 'dispenser_broken');
    await waitFor('two webhook posts', () => dispenser().length >= 2);
    expect(dispenser().map((h) => [h.status, h.alert.stationId])).toEqual([
      ['firing', 'st-002'],
      ['resolved', 'st-002'],
    ]);
  });
});
