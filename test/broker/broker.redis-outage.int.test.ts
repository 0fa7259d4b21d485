/**
 * The broker cluster and its Redis (real redis-server and broker processes): a Redis killed in the
 * middle of a QoS 1 stream ends no broker and loses no acknowledged message; a Redis restarted
 * with the repository's durable settings keeps sessions, queues and retained statuses; a Redis
 * without them is refused at start.
 */
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, connectInbox, inbox } from './helpers.js';
import { startCluster, type Cluster, type ClusterNode } from './cluster.js';
import { sleep, waitFor } from '../helpers/wait.js';

let cluster: Cluster;
const secret = (u: string): string => cluster.secret(u);

beforeAll(async () => {
  cluster = await startCluster('yizhan-redis-outage-', [
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'server', role: 'server' },
  ]);
}, 60_000);

afterAll(() => cluster?.stop());

/** A station as the agent behaves: persistent session, a retained offline will, reconnect and resend. */
function station(id: string, node: ClusterNode): MqttClient {
  const c = mqtt.connect(node.url, {
    clientId: id,
    username: id,
    password: secret(id),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 200,
    connectTimeout: 2_000,
    will: { topic: stationTopic(id, 'status'), payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  });
  c.on('error', () => {});
  return c;
}

const running = (n: ClusterNode): boolean => n.proc.exitCode === null && n.proc.signalCode === null;

it('Redis killed -9 for 3 s under a QoS 1 stream on two nodes: both brokers survive, every acknowledged message arrives, the stations get through after', async () => {
  const redis = await cluster.startRedis();
  const [a, b] = await Promise.all([cluster.startNode('A', { redisUrl: redis.url }), cluster.startNode('B', { redisUrl: redis.url })]);
  // what each node logged (warnings and errors), for a failure to say where messages went
  onTestFailed(() => {
    for (const n of [a, b]) process.stdout.write(`--- broker ${n.name} ---\n${n.output().slice(-8_000)}\n`);
  });

  // the server's persistent session on B, reconnecting as the server does
  const server = mqtt.connect(b.url, {
    clientId: 'server-main',
    username: 'server',
    password: secret('server'),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 200,
    connectTimeout: 2_000,
  });
  server.on('error', () => {});
  const box = inbox(server);
  await new Promise<void>((r) => server.once('connect', () => r()));
  await server.subscribeAsync(stationTopic('+', 'telemetry'), { qos: 1 });

  const stations = [station('st-001', a), station('st-002', b)];
  await Promise.all(stations.map((s) => new Promise<void>((r) => s.once('connect', () => r()))));
  const acked = new Set<string>();
  const sent: Promise<unknown>[] = [];
  let publishing = true;
  let seq = 0;
  const pump = (async () => {
    while (publishing) {
      seq++;
      for (const [i, s] of stations.entries()) {
        const payload = `st-00${i + 1}:${seq}`;
        sent.push(s.publishAsync(stationTopic(`st-00${i + 1}`, 'telemetry'), payload, { qos: 1 }).then(() => acked.add(payload)));
      }
      await sleep(50);
    }
  })();

  await waitFor('messages flowing before the outage', () => box.messages.length >= 20, 10_000);
  await redis.stop('SIGKILL');
  const during: string[] = [];
  for (const n of [a, b]) {
    const h = await waitFor(`node ${n.url} degraded while Redis is down`, async () => {
      const r = await n.health();
      return r.status === 'degraded' ? r : undefined;
    }, 10_000);
    during.push(h.problems.join('; '));
  }
  await sleep(3_000);
  await redis.restart();
  await sleep(2_000);
  publishing = false;
  await pump;

  // every message is acknowledged in the end (the stations resend what was not)
  await Promise.race([
    Promise.all(sent),
    sleep(60_000).then(() => {
      throw new Error(`only ${acked.size} of ${sent.length} messages acknowledged 60 s after Redis returned`);
    }),
  ]);
  await waitFor(`all ${acked.size} acknowledged messages at the server`, () => [...acked].every((p) => box.messages.some((m) => m.payload === p)), 60_000).catch(() => undefined);
  const got = new Set(box.messages.map((m) => m.payload));
  expect([...acked].filter((p) => !got.has(p))).toEqual([]);
  expect(acked.size).toBe(seq * 2);

  expect(running(a) && running(b)).toBe(true);
  for (const p of during) expect(p).toMatch(/Redis/);
  for (const n of [a, b]) await expect.poll(async () => (await n.health()).status, { timeout: 30_000 }).toBe('ok');
  await Promise.all([...stations, server].map((c) => c.endAsync(true)));
}, 180_000);

it("Redis stopped and started again with the repository's redis.conf keeps the server's session, its queued messages and the retained statuses", async () => {
  const redis = await cluster.startRedis();
  const node = await cluster.startNode('C', { redisUrl: redis.url });
  const server = await connect(node.url, 'server', secret('server'), { clientId: 'server-keep', clean: false });
  await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 1 });
  await server.endAsync();
  const st = await connect(node.url, 'st-001', secret('st-001'));
  await st.publishAsync(stationTopic('st-001', 'status'), '{"online":true}', { qos: 1, retain: true });
  for (let i = 1; i <= 5; i++) await st.publishAsync(stationTopic('st-001', 'telemetry'), `queued-${i}`, { qos: 1 });
  await st.endAsync();

  await redis.stop('SIGTERM');
  await sleep(2_000); // the brokers retry meanwhile
  await redis.restart();
  await expect.poll(async () => (await node.health()).status, { timeout: 30_000 }).toBe('ok');

  const back = await connectInbox(node.url, 'server', secret('server'), { clientId: 'server-keep', clean: false });
  expect((back.client as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent).toBe(true);
  await waitFor('the queued messages', () => back.box.messages.length >= 5, 10_000).catch(() => undefined);
  expect(back.box.messages.map((m) => m.payload).sort()).toEqual(['queued-1', 'queued-2', 'queued-3', 'queued-4', 'queued-5']);
  const viewer = await connect(node.url, 'server', secret('server'), { clientId: 'server-viewer' });
  const vbox = inbox(viewer);
  await viewer.subscribeAsync(stationTopic('st-001', 'status'), { qos: 1 });
  expect(await vbox.next(stationTopic('st-001', 'status'))).toMatchObject({ payload: '{"online":true}', retain: true });
  expect(running(node)).toBe(true);
  await Promise.all([back.client.endAsync(true), viewer.endAsync(true)]);
}, 90_000);

it("a node whose Redis subscription drops: the messages published through another node meanwhile reach its server session (it is made to reconnect and fetch them)", async () => {
  const redis = await cluster.startRedis();
  const [a, b] = await Promise.all([cluster.startNode('E', { redisUrl: redis.url }), cluster.startNode('F', { redisUrl: redis.url })]);
  const server = mqtt.connect(b.url, { clientId: 'server-gap', username: 'server', password: secret('server'), protocolVersion: 4, clean: false, reconnectPeriod: 200 });
  server.on('error', () => {});
  const box = inbox(server);
  await new Promise<void>((r) => server.once('connect', () => r()));
  await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 1 });
  const st = await connect(a.url, 'st-001', secret('st-001'));
  const acked: string[] = [];
  let i = 0;
  const pump = async (ms: number): Promise<void> => {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      const p = `gap-${++i}`;
      await st.publishAsync(stationTopic('st-001', 'telemetry'), p, { qos: 1 });
      acked.push(p);
      await sleep(10);
    }
  };
  await pump(500);
  // every subscribe connection is dropped (the nodes' routing); their other connections stay
  const admin = new Redis(redis.url);
  await admin.client('KILL', 'TYPE', 'pubsub');
  await pump(2_000);
  admin.disconnect();
  await waitFor('every acknowledged message at the server', () => acked.every((p) => box.messages.some((m) => m.payload === p)), 20_000).catch(() => undefined);
  const got = new Set(box.messages.map((m) => m.payload));
  expect(acked.filter((p) => !got.has(p))).toEqual([]);
  await Promise.all([st.endAsync(true), server.endAsync(true)]);
}, 90_000);

async function refusal(redisArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | NodeJS.Signals; stderr: string }> {
  const redis = await cluster.startRedis({ conf: null, args: redisArgs });
  const node = await cluster.spawnNode('R', { redisUrl: redis.url, env });
  const code = await Promise.race([node.exited, sleep(30_000).then(() => 'still running' as const)]);
  if (code === 'still running') node.proc.kill('SIGKILL');
  await redis.stop();
  return { code: code === 'still running' ? -1 : code, stderr: node.stderr() };
}

it('a Redis without the append-only file, or evicting keys, is refused at start with what to set', async () => {
  const noAof = await refusal(['--appendonly', 'no', '--save', '']);
  expect(noAof.code).toBe(1);
  expect(noAof.stderr).toContain('appendonly yes');
  expect(noAof.stderr).toContain('docs/broker.md');

  const evicting = await refusal(['--appendonly', 'yes', '--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru']);
  expect(evicting.code).toBe(1);
  expect(evicting.stderr).toContain('maxmemory-policy noeviction');
}, 90_000);

it('a Redis whose CONFIG command is unavailable is refused unless YIZHAN_REDIS_DURABILITY_CHECK=off acknowledges it', async () => {
  const hidden = ['--appendonly', 'yes', '--rename-command', 'CONFIG', ''];
  const refused = await refusal(hidden);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('YIZHAN_REDIS_DURABILITY_CHECK=off');

  const redis = await cluster.startRedis({ conf: null, args: hidden });
  const node = await cluster.startNode('S', { redisUrl: redis.url, env: { YIZHAN_REDIS_DURABILITY_CHECK: 'off' } });
  expect((await node.health()).status).toBe('ok');
  node.proc.kill('SIGTERM');
  await node.exited;
  await redis.stop();
}, 90_000);
