/**
 * Two broker processes on one real redis-server act as one broker: a station on node A and the
 * server on node B; A is killed (SIGKILL) mid-stream; the station reconnects to B and no QoS 1
 * message is lost; retained statuses and the server's queued messages survive.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { INGEST_FILTERS } from '../../server/src/ingest/mqtt.js';
import { connect, connectInbox, inbox } from './helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster('yizhan-cluster-', [
    { username: 'st-001', role: 'station' },
    { username: 'server', role: 'server' },
  ]);
}, 60_000);

afterAll(() => cluster?.stop());

const secret = (u: string): string => cluster.secret(u);

it('station on A, server on B; A is killed; the station fails over to B and no QoS 1 message is lost', async () => {
  const [a, b] = await Promise.all([cluster.startNode('A'), cluster.startNode('B')]);
  const urlB = `mqtt://127.0.0.1:${b.port}`;

  // the server keeps a persistent session on B
  const server = await connect(urlB, 'server', secret('server'), { clientId: 'server-main', clean: false });
  const box = inbox(server);
  await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 1 });

  // the station knows both nodes (mqtt.js `servers` failover) and keeps its session across them
  const station: MqttClient = mqtt.connect({
    servers: [
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ],
    clientId: 'st-001',
    username: 'st-001',
    password: secret('st-001'),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 200,
    connectTimeout: 2_000,
  });
  station.on('error', () => {});
  await new Promise<void>((resolve) => station.once('connect', () => resolve()));
  expect((station.options as { port?: number }).port).toBe(a.port);
  await station.publishAsync(stationTopic('st-001', 'status'), '{"online":true}', { qos: 1, retain: true });

  // a steady stream of QoS 1 telemetry; A dies in the middle of it
  const total = 60;
  const sent: Promise<unknown>[] = [];
  for (let i = 1; i <= total; i++) {
    sent.push(station.publishAsync(stationTopic('st-001', 'telemetry'), String(i), { qos: 1 }));
    if (i === 20) {
      await waitFor('first messages through A → Redis → B', () => box.messages.length >= 5, 5_000);
      void a.kill();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(sent); // every PUBACK arrives, from A before its death or from B after
  // on timeout, the assertion below names the missing messages
  await waitFor(
    `all ${total} messages at the server`,
    () => new Set(box.messages.map((m) => m.payload)).size >= total,
    15_000,
  ).catch(() => undefined);
  const got = new Set(box.messages.map((m) => m.payload));
  expect([...Array(total).keys()].map((i) => String(i + 1)).filter((p) => !got.has(p))).toEqual([]);
  expect((station.options as { port?: number }).port).toBe(b.port);

  // the retained status stored through A is served by B
  const viewer = await connect(urlB, 'server', secret('server'), { clientId: 'server-viewer' });
  const vbox = inbox(viewer);
  await viewer.subscribeAsync(stationTopic('st-001', 'status'), { qos: 1 });
  const status = await vbox.next(stationTopic('st-001', 'status'));
  expect(status).toMatchObject({ payload: '{"online":true}', retain: true });

  // the server's persistent session: messages published while it is away are queued in Redis
  await server.endAsync();
  for (let i = 1; i <= 5; i++)
    await station.publishAsync(stationTopic('st-001', 'telemetry'), `away-${i}`, { qos: 1 });
  const c = await cluster.startNode('C'); // a replacement node; the server returns through it
  const { client: back, box: bbox } = await connectInbox(
    `mqtt://127.0.0.1:${c.port}`,
    'server',
    secret('server'),
    {
      clientId: 'server-main',
      clean: false,
    },
  );
  await waitFor(
    'queued messages after reconnect',
    () => bbox.messages.filter((m) => m.payload.startsWith('away-')).length >= 5,
    10_000,
  ).catch(() => undefined);
  expect(
    [...new Set(bbox.messages.map((m) => m.payload).filter((p) => p.startsWith('away-')))].sort(),
  ).toEqual(['away-1', 'away-2', 'away-3', 'away-4', 'away-5']);
  await Promise.all([back.endAsync(true), viewer.endAsync(true), station.endAsync(true)]);
}, 90_000);

it('a persistent session subscribing to several filters in one SUBSCRIBE gets its SUBACK (the server subscribes to five at once)', async () => {
  const n = await cluster.startNode('D');
  const server = await connect(`mqtt://127.0.0.1:${n.port}`, 'server', secret('server'), {
    clientId: 'server-multi',
    clean: false,
  });
  try {
    const filters = INGEST_FILTERS.map((f) => f);
    const granted = await Promise.race([
      server.subscribeAsync(filters, { qos: 1 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no SUBACK within 5 s')), 5_000)),
    ]);
    expect(granted.map((g) => g.qos)).toEqual(filters.map(() => 1));
  } finally {
    await server.endAsync(true);
  }
}, 30_000);
