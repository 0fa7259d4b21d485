/**
 * A station whose connection is lost (network gone, board dead) goes dark on the server: the broker
 * publishes the agent's will, and the server must take it as "offline since now", not discard it
 * as older than the online message of the same connection. Real agent, aedes broker, server and
 * influxd; the broker drops the agent's TCP connection as a lost network would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import type { StationLive } from '../../server/src/state/schema.js';
import { FAST_BACKOFF, startTestBroker, type TestBroker } from '../edge/helpers.js';
import {
  metric,
  startServer,
  startTestInflux,
  stationFixture,
  waitFor,
  type StartedServer,
  type TestInflux,
} from '../server/helpers.js';
import { InfluxQLClient } from '../../server/src/influx/query.js';
import { createTransport } from '../../server/src/influx/transport.js';

const station = stationFixture('st-001');
let influx: TestInflux;
let broker: TestBroker;
let server: StartedServer;
let agent: Agent | undefined;

beforeAll(async () => {
  influx = await startTestInflux();
  broker = await startTestBroker();
  server = await startServer({ stations: [station], mqttUrl: broker.url, influxUrl: influx.url });
});
afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await broker?.close();
  await influx?.cleanup();
});

const live = async (): Promise<StationLive> =>
  (await server.app.inject({ url: `/api/v1/stations/${station.id}` })).json<StationLive>();

describe('a station that loses its connection', () => {
  it('goes offline by its will, dated when it was lost, and comes back online on reconnect', async () => {
    agent = await startAgent({
      station,
      mqttUrl: broker.url,
      password: 'unused-by-this-broker',
      serialPath: '/nonexistent/yizhan-no-serial',
      mqttBackoff: { ...FAST_BACKOFF, initialMs: 1500, maxMs: 1500, jitter: 0 },
      logger: pino({ level: 'silent' }),
    });
    const first = await waitFor('online', async () => ((await live()).online ? await live() : undefined));
    expect(metric(await (await fetch(`${server.url}/metrics`)).text(), 'yizhan_stations_online')).toBe(1);

    const lost = Date.now();
    expect(broker.killClient(station.id)).toBe(true);
    const dark = await waitFor('offline by will', async () => {
      const s = await live();
      return s.online === false ? s : undefined;
    });
    expect(dark.offlineReason).toBe('will');
    expect(dark.onlineSince).toBeGreaterThanOrEqual(lost);
    expect(metric(await (await fetch(`${server.url}/metrics`)).text(), 'yizhan_stations_online')).toBe(0);

    // The agent reconnects after its backoff: online again, with a later start.
    const back = await waitFor('online again', async () => {
      const s = await live();
      return s.online ? s : undefined;
    });
    expect(back.onlineSince).toBeGreaterThan(dark.onlineSince ?? Infinity);
    expect(back.bootId).toBe(first.bootId);

    // InfluxDB holds the whole story in order: online, offline when lost, online again.
    const ql = new InfluxQLClient(createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }), {
      db: 'yizhan',
    });
    const rows = await waitFor('three status points', async () => {
      const r = await ql.rows(`SELECT online FROM station_status WHERE station='${station.id}'`, {
        epoch: 'ms',
      });
      return r.length >= 3 ? r : undefined;
    });
    expect(rows.map((r) => r.online)).toEqual([1, 0, 1]);
    expect(rows[1]?.time).toBe(dark.onlineSince);
  });
});
