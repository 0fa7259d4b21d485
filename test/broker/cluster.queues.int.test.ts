/**
 * The server's persistent session in a two-node cluster (real Redis): its queue is filled by the
 * node the stations are on and emptied by the node the server acknowledges on.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import type { BrokerHandle } from '../../broker/src/broker.js';
import type { inbox } from './helpers.js';
import { connect, connectInbox } from './helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { sumOf } from '../helpers/prom.js';
import { waitFor } from '../helpers/wait.js';

let cluster: Cluster;
const STATIONS = ['st-001', 'st-002', 'st-003'];

beforeAll(async () => {
  cluster = await startCluster('yizhan-cluster-', [...STATIONS.map((username) => ({ username, role: 'station' as const })), { username: 'server', role: 'server' }]);
}, 60_000);
afterAll(async () => cluster?.stop());

const serverSession = (url: string): Promise<{ client: MqttClient; box: ReturnType<typeof inbox> }> =>
  connectInbox(url, 'server', cluster.secret('server'), { clientId: 'server-main', clean: false });

/** Publish `n` QoS 1 messages `${tag}-1..n` from each station, all acknowledged. */
async function publishFrom(stations: MqttClient[], tag: string, n: number): Promise<string[]> {
  const payloads: string[] = [];
  await Promise.all(
    stations.map(async (s) => {
      const id = String(s.options.clientId);
      for (let i = 1; i <= n; i++) {
        const payload = `${id}/${tag}-${i}`;
        payloads.push(payload);
        await s.publishAsync(stationTopic(id, 'telemetry'), payload, { qos: 1 });
      }
    }),
  );
  return payloads;
}

/** Wait until `node` has heard of the server's subscription (nodes learn each other's through Redis). */
async function knownOn(node: BrokerHandle): Promise<void> {
  const persistence = (node.aedes as unknown as { persistence: unknown }).persistence as { subscriptionsByTopic(t: string): Promise<{ clientId: string }[]> };
  await expect.poll(async () => (await persistence.subscriptionsByTopic(stationTopic('st-001', 'telemetry'))).map((s) => s.clientId)).toContain('server-main');
}

const missing = (box: ReturnType<typeof inbox>, payloads: string[]): string[] => {
  const got = new Set(box.messages.map((m) => m.payload));
  return payloads.filter((p) => !got.has(p));
};

it('the queue bound counts down on the node the server acknowledges on: after 3× the bound of live traffic, a server outage loses nothing', async () => {
  const limits = { maxQueuedPerClient: 20, publishRate: { station: { perSecond: 10_000, burst: 10_000 } } };
  const [a, b] = await Promise.all([cluster.inProcessNode({ limits, metricsPort: 0 }), cluster.inProcessNode({ limits })]);
  const stations = await Promise.all(STATIONS.map((id) => connect(a.url, id, cluster.secret(id))));
  const first = await serverSession(b.url);
  await first.client.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
  await knownOn(a);

  // live traffic: 60 messages through A, acknowledged by the server on B
  const live = await publishFrom(stations, 'live', 20);
  await waitFor('live messages at the server', () => missing(first.box, live).length === 0, 10_000).catch(() => undefined);
  expect(missing(first.box, live)).toEqual([]);
  // A's view of the server's queue comes back to 0: what B cleared counts
  await expect.poll(async () => sumOf(await (await fetch(`http://127.0.0.1:${a.metricsPort}/metrics`)).text(), 'yizhan_broker_queued_messages'), { timeout: 15_000 }).toBe(0);

  // the server is away; what the stations send now waits in its queue (15 < the bound of 20)
  await first.client.endAsync();
  const away = await publishFrom(stations, 'away', 5);
  const back = await serverSession(b.url);
  await waitFor('queued messages at the server', () => missing(back.box, away).length === 0, 10_000).catch(() => undefined);
  expect(missing(back.box, away)).toEqual([]);
  await back.client.endAsync();

  // and nothing leaves a Redis key behind without an expiry (every queued packet expires; a key is
  // written before its expiry is set, so one being written may show none for a moment)
  const withoutExpiry = async (): Promise<string[]> => {
    const keys = await cluster.redis.keys('packet:*');
    const ttls = await Promise.all(keys.map(async (k) => [k, await cluster.redis.ttl(k)] as const));
    return ttls.filter(([, ttl]) => ttl === -1).map(([k]) => k);
  };
  await expect.poll(withoutExpiry, { timeout: 5_000 }).toEqual([]);
  await Promise.all(stations.map((s) => s.endAsync()));
  await Promise.all([a.close(), b.close()]);
}, 60_000);

it('a reconnecting session gets its whole queue on one connection (not 1,001 messages a reconnect)', async () => {
  const limits = { maxQueuedPerClient: 10_000, publishRate: { station: { perSecond: 10_000, burst: 10_000 } } };
  const [a, b] = await Promise.all([cluster.inProcessNode({ limits }), cluster.inProcessNode({ limits })]);
  const first = await serverSession(b.url);
  await first.client.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
  await knownOn(a);
  await first.client.endAsync();

  const stations = await Promise.all(STATIONS.map((id) => connect(a.url, id, cluster.secret(id))));
  const away = await publishFrom(stations, 'backlog', 800); // 2,400 queued
  const back = await serverSession(b.url);
  await waitFor('the whole backlog', () => missing(back.box, away).length === 0, 30_000).catch(() => undefined);
  expect(missing(back.box, away).length).toBe(0);
  await back.client.endAsync();
  await Promise.all(stations.map((s) => s.endAsync()));
  await Promise.all([a.close(), b.close()]);
}, 90_000);
