/**
 * End to end through the real parts: mqtt.js publishers → in-test aedes broker → server
 * (buildApp, listening) → real influxd; what lands in InfluxDB, what is refused and counted,
 * and what the HTTP API shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogger } from '@influxdata/influxdb-client';
import type { StationLive, StationSummary } from '../../server/src/state/schema.js';
import { FakeStation, metric, startStack, type Stack } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { stationFixture } from '../helpers/station.js';
import { readerHeaders } from './auth-helpers.js';

setLogger({ error: () => {}, warn: () => {} });

let s: Stack;

beforeAll(async () => {
  s = await startStack({
    stations: [
      stationFixture('st-001', { seats: 10, sockets: 4 }),
      stationFixture('st-002'),
      stationFixture('st-003'),
    ],
  });
});
afterAll(async () => {
  await s?.close();
});

describe('ingest to InfluxDB', () => {
  it('published telemetry lands in InfluxDB with exact values', async () => {
    const st = new FakeStation('st-001');
    const ts = Date.now() - 5000;
    await s.pub.pub(
      'st-001',
      'telemetry',
      st.telemetry(
        [
          { sensor: 'water-temp', kind: 'water_temp', value: 61.5 },
          { sensor: 'occupancy', kind: 'occupancy', value: 3 },
        ],
        ts,
      ),
    );
    const rows = await waitFor('water_temp in InfluxDB', async () => {
      const r = await s.ql.rows(`SELECT value FROM water_temp WHERE station='st-001'`, { epoch: 'ms' });
      return r.length ? r : undefined;
    });
    expect(rows).toEqual([{ time: ts, value: 61.5 }]);
    const tagged = await s.ql.rows(`SELECT value, sensor, township FROM occupancy WHERE station='st-001'`, {
      epoch: 'ms',
    });
    expect(tagged).toEqual([{ time: ts, value: 3, sensor: 'occupancy', township: '城关镇' }]);
  });

  it('bad payloads are rejected with the reason counted; good messages beside them land', async () => {
    const st = new FakeStation('st-002');
    const other = new FakeStation('st-003');
    const t0 = Date.now() - 60_000;
    const good = (i: number) =>
      st.telemetry([{ sensor: 'ambient', kind: 'ambient_temp', value: 20 + i / 10 }], t0 + i * 1000);
    const before = await s.metricsText();
    const count = (text: string, reason: string) =>
      metric(text, 'yizhan_ingest_rejected_total', { reason }) ?? 0;
    const bad: [reason: string, send: () => Promise<void>][] = [
      ['not_json', () => s.pub.pub('st-002', 'telemetry', '{"v":1, this is not json')],
      ['schema', () => s.pub.pub('st-002', 'telemetry', { ...good(99), readings: [] })],
      [
        'unknown_station',
        () =>
          s.pub.pub(
            'st-099',
            'telemetry',
            new FakeStation('st-099').telemetry([{ sensor: 'door', kind: 'door', value: 1 }]),
          ),
      ],
      [
        'unknown_sensor',
        () =>
          s.pub.pub(
            'st-002',
            'telemetry',
            st.telemetry([{ sensor: 'socket-99', kind: 'socket_state', value: 1 }]),
          ),
      ],
      [
        'station_mismatch',
        () => s.pub.pub('st-002', 'telemetry', other.telemetry([{ sensor: 'door', kind: 'door', value: 1 }])),
      ],
      [
        'kind_mismatch',
        () =>
          s.pub.pub('st-002', 'telemetry', st.telemetry([{ sensor: 'door', kind: 'water_temp', value: 1 }])),
      ],
      ['not_utf8', () => s.pub.pub('st-002', 'telemetry', Buffer.from([0xff, 0xfe, 0x7b]))],
      [
        'ts_future',
        () =>
          s.pub.pub(
            'st-002',
            'telemetry',
            st.telemetry([{ sensor: 'door', kind: 'door', value: 1 }], Date.now() + 3_600_000),
          ),
      ],
      [
        'ts_too_old',
        () =>
          s.pub.pub(
            'st-002',
            'telemetry',
            st.telemetry([{ sensor: 'door', kind: 'door', value: 1 }], Date.now() - 31 * 86_400_000),
          ),
      ],
      ['bad_topic', () => s.pub.pubTopic('yizhan/v1/stations/ST_BAD/telemetry', '{}')],
    ];
    for (let i = 0; i < bad.length; i++) {
      await s.pub.pub('st-002', 'telemetry', good(i));
      await bad[i]?.[1]();
    }
    await s.pub.pub('st-002', 'telemetry', good(bad.length));
    const rows = await waitFor('all good ambient readings', async () => {
      const r = await s.ql.rows(`SELECT value FROM ambient_temp WHERE station='st-002'`, { epoch: 'ms' });
      return r.length >= bad.length + 1 ? r : undefined;
    });
    expect(rows).toEqual(
      Array.from({ length: bad.length + 1 }, (_, i) => ({ time: t0 + i * 1000, value: 20 + i / 10 })),
    );
    const after = await s.metricsText();
    for (const [reason] of bad) expect(count(after, reason) - count(before, reason), reason).toBe(1);
    // Nothing from the refused messages reached InfluxDB or the live state.
    expect(await s.ql.rows(`SELECT * FROM socket_state WHERE station='st-002'`)).toEqual([]);
    expect(await s.ql.rows(`SELECT * FROM door WHERE station='st-099' OR station='st-003'`)).toEqual([]);
    const s2 = await s.getJson<StationLive>('/api/v1/stations/st-002');
    expect(s2.body.readings.door).toBeUndefined();
  });

  it('an MQTT redelivery (same station, bootId, seq) is applied once', async () => {
    const st = new FakeStation('st-003');
    const msg = st.state('door', 'door', 1, Date.now() - 1000);
    const before = metric(await s.metricsText(), 'yizhan_ingest_duplicates_total') ?? 0;
    await s.pub.pub('st-003', 'events', msg);
    await s.pub.pub('st-003', 'events', msg);
    await waitFor(
      'duplicate counted',
      async () => (metric(await s.metricsText(), 'yizhan_ingest_duplicates_total') ?? 0) === before + 1,
    );
    expect((await s.getJson<StationLive>('/api/v1/stations/st-003')).body.door.open).toBe(true);
  });
});

describe('live state over HTTP', () => {
  it('/api/v1/stations and /api/v1/stations/:id reflect status and readings', async () => {
    const st = new FakeStation('st-001');
    const ts = Date.now() - 2000;
    await s.pub.pub('st-001', 'status', st.status('online', ts - 100), { retain: true });
    await s.pub.pub(
      'st-001',
      'telemetry',
      st.telemetry(
        [
          { sensor: 'occupancy', kind: 'occupancy', value: 3 },
          { sensor: 'socket-1', kind: 'socket_state', value: 0 },
          { sensor: 'socket-2', kind: 'socket_state', value: 1 },
          { sensor: 'socket-3', kind: 'socket_state', value: 2 },
          { sensor: 'socket-4', kind: 'socket_state', value: 0 },
          { sensor: 'water-temp', kind: 'water_temp', value: 92.5 },
          { sensor: 'heater', kind: 'heater', value: 0 },
          { sensor: 'water-level', kind: 'water_level', value: 80 },
          { sensor: 'door', kind: 'door', value: 0 },
        ],
        ts,
      ),
    );
    const list = await waitFor('st-001 in the list', async () => {
      const { body } = await s.getJson<{ stations: StationSummary[] }>('/api/v1/stations');
      const one = body.stations.find((x) => x.id === 'st-001');
      return one?.lastSeen === ts ? one : undefined;
    });
    expect(list).toMatchObject({
      name: '测试001号驿站',
      township: '城关镇',
      location: { lat: 30, lon: 120 },
      online: true,
      seats: { total: 10, occupied: 3, free: 7 },
      sockets: { total: 4, free: 2, charging: 1, tripped: 1 },
      water: { tempC: 92.5, ready: true, state: 'ready', heaterOn: false, levelPct: 80 },
      door: { open: false, since: ts },
      activeAlerts: 1, // socket-3 tripped: socket_fault fires at once
    });
    const one = await s.getJson<StationLive>('/api/v1/stations/st-001');
    expect(one.status).toBe(200);
    expect(one.body.readings['socket-3']).toEqual({ kind: 'socket_state', value: 2, ts });
    expect(one.body.bootId).toBe(st.bootId);

    // The will carries the ts of the connection it belongs to (the online message's), and means
    // "lost now": the server dates the offline state by its arrival.
    const sent = Date.now();
    await s.pub.pub('st-001', 'status', st.status('offline', ts - 100, 'will'), { retain: true });
    const offline = await waitFor('offline', async () => {
      const { body } = await s.getJson<StationLive>('/api/v1/stations/st-001');
      return body.online === false ? body : undefined;
    });
    expect(offline.onlineSince).toBeGreaterThanOrEqual(sent);
    expect(metric(await s.metricsText(), 'yizhan_stations_online')).toBe(0);
    const statusRows = await waitFor('both status points', async () => {
      const r = await s.ql.rows(`SELECT online FROM station_status WHERE station='st-001'`, { epoch: 'ms' });
      return r.length >= 2 ? r : undefined;
    });
    expect(statusRows).toEqual([
      { time: ts - 100, online: 1 },
      { time: offline.onlineSince, online: 0 },
    ]);
  });

  it('unknown station: 404 with a Chinese message by default, English on request', async () => {
    const zh = await s.getJson<{ error: { code: string; message: string } }>('/api/v1/stations/st-999');
    expect(zh).toEqual({
      status: 404,
      body: { error: { code: 'station_not_found', message: '未找到驿站 "st-999"' } },
    });
    const en = await s.getJson<{ error: { message: string } }>('/api/v1/stations/st-999?lang=en');
    expect(en.body.error.message).toBe('No station with id "st-999"');
    const al = await s.getJson<{ error: { message: string } }>('/api/v1/stations/st-999', {
      headers: { 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(al.body.error.message).toBe('No station with id "st-999"');
    const nf = await s.getJson<{ error: { code: string } }>('/api/v1/nothing');
    expect(nf).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    // Who may ask is settled first: a stranger's bad query is refused for the login, a reader's for the query.
    const anon = await s.getJson<{ error: { code: string } }>('/api/v1/alerts?state=sometimes');
    expect(anon).toMatchObject({ status: 401, body: { error: { code: 'login_required' } } });
    const badq = await s.getJson<{ error: { code: string; message: string } }>(
      '/api/v1/alerts?state=sometimes',
      {
        headers: await readerHeaders(s.server.app),
      },
    );
    expect(badq).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(badq.body.error.message).toContain('state');
  });

  it('health, readiness and metrics', async () => {
    expect(await s.getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await s.getJson('/readyz')).toEqual({
      status: 200,
      body: { ready: true, checks: { mqtt: true, influx: true } },
    });
    const text = await s.metricsText();
    expect(metric(text, 'yizhan_mqtt_connected')).toBe(1);
    expect(metric(text, 'yizhan_influx_setup_done')).toBe(1);
    expect(metric(text, 'yizhan_influx_points_written_total')).toBeGreaterThan(0);
    expect(text).toContain('yizhan_influx_write_duration_seconds_bucket');
  });
});
