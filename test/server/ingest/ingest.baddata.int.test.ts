/**
 * Bad data against the real stack (aedes, server, influxd): each malformed or unwelcome message is
 * refused with its reason, counted, and sampled to the dead-letter log with its topic, while good
 * traffic from the same station keeps landing in full. Random station ids do not create series.
 * A line InfluxDB refuses (field type conflict) costs only that line: the good lines in the same
 * batch land, the bad one is dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeStation, metric, startStack, type Stack } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const STATIONS = [stationFixture('st-001'), stationFixture('st-002')];
const SENSORS = (STATIONS[0]?.sensors ?? []).map((s) => ({ sensor: s.id, kind: s.kind }));
const NOW = Date.now();
const good = new FakeStation('st-001');
const other = new FakeStation('st-002');
const env = (ts = NOW) => ({
  v: 1,
  stationId: 'st-001',
  bootId: 'boot-bad',
  seq: Math.floor(Math.random() * 1e9),
  ts,
});
const T = (leaf: string, id = 'st-001') => `yizhan/v1/stations/${id}/${leaf}`;

/** name, topic, payload, reason counted. */
const CASES: [string, string, string | Buffer, string][] = [
  ['truncated JSON', T('telemetry'), '{"v":1,"stationId":"st-001",', 'not_json'],
  ['bytes that are not UTF-8', T('telemetry'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'not_utf8'],
  ['readings missing', T('telemetry'), JSON.stringify(env()), 'schema'],
  [
    'value is a string',
    T('telemetry'),
    JSON.stringify({ ...env(), readings: [{ sensor: 'door', kind: 'door', value: 'open' }] }),
    'schema',
  ],
  ['70 kB payload', T('telemetry'), JSON.stringify({ ...env(), pad: 'x'.repeat(70_000) }), 'too_large'],
  ['station id with capitals', T('telemetry', 'ST-001'), JSON.stringify(env()), 'bad_topic'],
  [
    'unknown station',
    T('telemetry', 'st-999'),
    JSON.stringify({ ...env(), stationId: 'st-999', readings: [{ sensor: 'door', kind: 'door', value: 1 }] }),
    'unknown_station',
  ],
  [
    'payload names another station',
    T('telemetry'),
    JSON.stringify({ ...env(), stationId: 'st-002', readings: [{ sensor: 'door', kind: 'door', value: 1 }] }),
    'station_mismatch',
  ],
  [
    'a day in the future',
    T('telemetry'),
    JSON.stringify({ ...env(NOW + 86_400_000), readings: [{ sensor: 'door', kind: 'door', value: 1 }] }),
    'ts_future',
  ],
  [
    'older than the retention',
    T('telemetry'),
    JSON.stringify({ ...env(NOW - 40 * 86_400_000), readings: [{ sensor: 'door', kind: 'door', value: 1 }] }),
    'ts_too_old',
  ],
  [
    'sensor not in the config',
    T('telemetry'),
    JSON.stringify({ ...env(NOW - 5), readings: [{ sensor: 'socket-99', kind: 'socket_state', value: 1 }] }),
    'unknown_sensor',
  ],
  [
    'sensor of another kind',
    T('telemetry'),
    JSON.stringify({ ...env(NOW - 6), readings: [{ sensor: 'door', kind: 'occupancy', value: 3 }] }),
    'kind_mismatch',
  ],
];

describe('bad data', () => {
  let stack: Stack;
  const dataDir = mkdtempSync(join(tmpdir(), 'yz-bad-'));
  beforeAll(async () => {
    stack = await startStack({ stations: STATIONS, dataDir });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('each malformed payload is refused with its reason and sampled with its topic; good traffic lands in full', async () => {
    // An integer "ambient_temp" in today's shard: every float ambient line now conflicts in InfluxDB.
    const pre = await fetch(`${stack.influx.url}/write?db=yizhan&rp=raw&precision=ms`, {
      method: 'POST',
      body: `ambient_temp,sensor=x,station=st-000,township=x value=1i ${NOW - 1000}`,
    });
    expect(pre.status).toBe(204);
    const ROUNDS = 20;
    for (let r = 0; r < ROUNDS; r++) {
      const ts = NOW - 60_000 + r * 1000;
      // Values every kind can report (0 or 1): out-of-range readings have their own test.
      const values = SENSORS.map((s, i) => ({ ...s, value: (r + i) % 2 }));
      await stack.pub.pub('st-001', 'telemetry', good.telemetry(values, ts));
      const bad = CASES[r % CASES.length];
      if (bad) await stack.pub.pubTopic(bad[1], bad[2]);
    }
    // Random station ids (an attacker or a misconfigured fleet): none may create a series.
    for (let i = 0; i < 30; i++) {
      const id = `st-r${i}${Math.random().toString(36).slice(2, 8)}`;
      await stack.pub.pub(id, 'telemetry', {
        ...new FakeStation(id).telemetry([{ sensor: 'door', kind: 'door', value: 1 }]),
      });
    }
    await stack.pub.pub(
      'st-002',
      'telemetry',
      other.telemetry([{ sensor: 'door', kind: 'door', value: 1 }], NOW - 500),
    );
    await stack.server.app.influx.writer.flush();

    const want = new Map<string, number>();
    for (let r = 0; r < ROUNDS; r++) {
      const reason = CASES[r % CASES.length]?.[3] ?? '';
      want.set(reason, (want.get(reason) ?? 0) + 1);
    }
    want.set('unknown_station', (want.get('unknown_station') ?? 0) + 30);
    await waitFor('every rejection counted', async () => {
      const text = await stack.metricsText();
      return [...want].every(([reason, n]) => metric(text, 'yizhan_ingest_rejected_total', { reason }) === n);
    });
    const text = await stack.metricsText();
    for (const [reason, n] of want)
      expect(metric(text, 'yizhan_ingest_rejected_total', { reason }), reason).toBe(n);

    // Good traffic: all 14 sensors × 20 readings of st-001 — except ambient_temp, refused by InfluxDB.
    const rows = await waitFor('good readings stored', async () => {
      const r = await stack.ql.rows(
        `SELECT count("value") FROM /.*/ WHERE "station" = 'st-001' GROUP BY "sensor"`,
      );
      return r.length === SENSORS.length - 1 && r.every((x) => x.count === ROUNDS) ? r : undefined;
    });
    expect(rows.map((r) => r.sensor).sort()).toEqual(
      SENSORS.map((s) => s.sensor)
        .filter((s) => s !== 'ambient')
        .sort(),
    );
    await waitFor(
      'refused lines counted',
      async () =>
        metric(await stack.metricsText(), 'yizhan_influx_points_dropped_total', { reason: 'rejected' }) ===
        ROUNDS,
    );

    // Series: only the two configured stations (and the pre-written conflict) exist. (Asked by tag:
    // series without one, such as the hourly township rollups written at the top of an hour, are not
    // stations'.)
    const tagged = await stack.ql.rows('SHOW TAG VALUES WITH KEY = "station"');
    const stationsInSeries = new Set(tagged.map((t) => String(t.value)));
    expect([...stationsInSeries].sort()).toEqual(['st-000', 'st-001', 'st-002']);

    // The dead-letter log: a sample per reason, with topic and payload.
    const dead = readFileSync(join(dataDir, 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            source: string;
            reason: string;
            topic?: string;
            payload?: string;
            encoding?: string;
          },
      );
    for (const [name, topic, payload, reason] of CASES) {
      const sample = Buffer.isBuffer(payload) ? payload.toString('base64') : payload.slice(0, 4096);
      const e = dead.find(
        (d) => d.source === 'mqtt' && d.reason === reason && d.topic === topic && d.payload === sample,
      );
      expect(e, name).toMatchObject({ encoding: Buffer.isBuffer(payload) ? 'base64' : 'utf8' });
    }
    const refused = dead.filter((d) => d.source === 'influx');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ reason: 'influx_refused', topic: 'ambient_temp' });
    expect(refused[0]?.payload).toMatch(/^ambient_temp,sensor=ambient,station=st-001/);
  });
});
