/**
 * Wills across a two-node cluster (real Redis, 500 ms heartbeats): a dead node's wills are
 * published once and only for stations that did not come back; a node just started is not taken
 * for dead; nothing a station sends afterwards is discarded as a "duplicate".
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, connectInbox, inbox } from './helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { waitFor } from '../helpers/wait.js';

const HEARTBEAT_MS = 500;
const ONLINE = 'online';
const OFFLINE = 'offline';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster('yizhan-cluster-', [
    ...['st-001', 'st-002', 'st-003'].map((username) => ({ username, role: 'station' as const })),
    { username: 'server', role: 'server' },
  ]);
}, 60_000);
afterAll(async () => cluster?.stop());

/** A station as the agent connects: a retained offline will, then its retained online status. */
async function station(url: string, id: string): Promise<MqttClient> {
  const c = await connect(url, id, cluster.secret(id), {
    will: { topic: stationTopic(id, 'status'), payload: Buffer.from(OFFLINE), qos: 1, retain: true },
  });
  await c.publishAsync(stationTopic(id, 'status'), ONLINE, { qos: 1, retain: true });
  return c;
}

const statuses = (box: ReturnType<typeof inbox>, id: string, payload: string): number =>
  box.messages.filter((m) => m.topic === stationTopic(id, 'status') && m.payload === payload).length;

async function telemetry(c: MqttClient, id: string, n: number): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 1; i <= n; i++) {
    const p = `${id}-${Date.now()}-${i}`;
    sent.push(p);
    await c.publishAsync(stationTopic(id, 'telemetry'), p, { qos: 1 });
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS / 5));
  }
  return sent;
}

it("a dead node's wills: published for the station that stayed away, not for the one that reconnected; a node just started is alive", async () => {
  const b = await cluster.inProcessNode({ heartbeatMs: HEARTBEAT_MS });
  const a = await cluster.startNode('A', { env: { YIZHAN_BROKER_HEARTBEAT: `${HEARTBEAT_MS}ms` } });
  const { client: server, box } = await connectInbox(b.url, 'server', cluster.secret('server'), { clientId: 'server-main', clean: false });
  await server.subscribeAsync(['yizhan/v1/stations/+/status', 'yizhan/v1/stations/+/telemetry'], { qos: 1 });

  await Promise.all([station(a.url, 'st-001'), station(a.url, 'st-002')]);
  await waitFor('both online at the server', () => statuses(box, 'st-001', ONLINE) + statuses(box, 'st-002', ONLINE) >= 2, 10_000);

  // node A dies; st-001 is back on B at once, st-002 stays away
  a.proc.kill('SIGKILL');
  const st1 = await station(b.url, 'st-001');
  await waitFor("st-002's will at the server", () => statuses(box, 'st-002', OFFLINE) >= 1, 10 * HEARTBEAT_MS + 5_000);
  await new Promise((r) => setTimeout(r, 4 * HEARTBEAT_MS)); // further sweeps publish nothing more
  expect({ st1Offline: statuses(box, 'st-001', OFFLINE), st2Offline: statuses(box, 'st-002', OFFLINE) }).toEqual({ st1Offline: 0, st2Offline: 1 });

  // what a newcomer (the server after a restart, a screen) reads: st-001 online, st-002 offline
  const viewer = await connect(b.url, 'server', cluster.secret('server'), { clientId: 'server-viewer' });
  const vbox = inbox(viewer);
  await viewer.subscribeAsync('yizhan/v1/stations/+/status', { qos: 1 });
  await waitFor('two retained statuses', () => vbox.messages.length >= 2, 5_000);
  expect(Object.fromEntries(vbox.messages.map((m) => [m.topic, m.payload]))).toEqual({
    [stationTopic('st-001', 'status')]: ONLINE,
    [stationTopic('st-002', 'status')]: OFFLINE,
  });

  // a node started now is alive from its first message: its station is not declared offline, and
  // what the stations send afterwards all arrives
  const a2 = await cluster.inProcessNode({ heartbeatMs: HEARTBEAT_MS });
  const st3 = await station(a2.url, 'st-003');
  const sent = [...(await Promise.all([telemetry(st3, 'st-003', 20), telemetry(st1, 'st-001', 20)])).flat()];
  await waitFor('every reading at the server', () => sent.every((p) => box.messages.some((m) => m.payload === p)), 10_000).catch(() => undefined);
  expect(sent.filter((p) => !box.messages.some((m) => m.payload === p))).toEqual([]);
  expect(statuses(box, 'st-003', OFFLINE)).toBe(0);
  await Promise.all([st1.endAsync(), st3.endAsync(), viewer.endAsync(), server.endAsync()]);
}, 90_000);

it('after a Redis outage longer than 3 heartbeats, no node takes the others for dead: connected stations stay online', async () => {
  const [a, b] = await Promise.all([cluster.inProcessNode({ heartbeatMs: HEARTBEAT_MS }), cluster.inProcessNode({ heartbeatMs: HEARTBEAT_MS })]);
  const { client: server, box } = await connectInbox(b.url, 'server', cluster.secret('server'), { clientId: 'server-outage', clean: false });
  await server.subscribeAsync('yizhan/v1/stations/+/status', { qos: 1 });
  const st = await station(a.url, 'st-003');
  await waitFor('online at the server', () => statuses(box, 'st-003', ONLINE) >= 1, 10_000);

  await cluster.redisProc.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 8 * HEARTBEAT_MS));
  await cluster.redisProc.restart();
  await new Promise((r) => setTimeout(r, 10 * HEARTBEAT_MS)); // sweeps on both nodes
  expect(statuses(box, 'st-003', OFFLINE)).toBe(0);
  expect(st.connected).toBe(true);
  // what the server reads after its reconnect, or a screen: the retained status
  const viewer = await connect(b.url, 'server', cluster.secret('server'), { clientId: 'server-viewer-2' });
  const vbox = inbox(viewer);
  await viewer.subscribeAsync(stationTopic('st-003', 'status'), { qos: 1 });
  expect((await vbox.next(stationTopic('st-003', 'status'))).payload).toBe(ONLINE);
  await Promise.all([st.endAsync(), server.endAsync(), viewer.endAsync(), a.close(), b.close()]);
}, 60_000);
