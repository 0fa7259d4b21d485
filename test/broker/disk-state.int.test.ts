/**
 * A broker restart loses nothing: the broker process (broker/src/main.ts, its state on disk by
 * default) is killed with SIGKILL or stopped with SIGTERM and started again on the same port and
 * data folder, with real mqtt.js stations and a server holding a persistent session.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { frame } from '../../broker/src/journal.js';
import { stationTopic } from '@yizhan/protocol';
import { freePort } from '../../scripts/lib/ports.js';
import { sumOf } from '../helpers/prom.js';
import { connect, connectInbox, inbox, spawnBroker, tempDir } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const STATIONS = ['st-001', 'st-002', 'st-003'];
let dir: string;
let cleanup: () => Promise<void>;
let secrets: Map<string, string>;
const procs: ChildProcess[] = [];
const clients: MqttClient[] = [];

interface Node {
  proc: ChildProcess;
  url: string;
  metrics(name: string): Promise<number>;
}

/** Start the broker process on `ports` with `dataDir`; resolves once it listens. */
async function startNode(
  dataDir: string,
  ports: { mqtt: number; metrics: number },
  env: NodeJS.ProcessEnv = {},
): Promise<Node> {
  const broker = spawnBroker({
    YIZHAN_DATA_DIR: dataDir,
    YIZHAN_CREDENTIALS_FILE: join(dir, 'credentials.json'),
    YIZHAN_MQTT_PORT: String(ports.mqtt),
    YIZHAN_BROKER_METRICS_PORT: String(ports.metrics),
    LOG_LEVEL: 'warn',
    ...env,
  });
  procs.push(broker.proc);
  await broker.listening([ports.mqtt, ports.metrics]);
  return {
    proc: broker.proc,
    url: `mqtt://127.0.0.1:${ports.mqtt}`,
    metrics: async (name) =>
      sumOf(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text(), name),
  };
}

function stop(node: Node, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) return resolve();
    node.proc.once('exit', () => resolve());
    node.proc.kill(signal);
  });
}

async function client(
  url: string,
  username: string,
  opts: Parameters<typeof connect>[3] = {},
): Promise<MqttClient> {
  const c = await connect(url, username, secrets.get(username), opts);
  clients.push(c);
  return c;
}

/** The server's session, its messages collected from the CONNACK on (the queue follows it at once). */
async function resumed(url: string): Promise<ReturnType<typeof inbox>> {
  const { client: c, box } = await connectInbox(url, 'server', secrets.get('server'), {
    clientId: 'server-main',
    clean: false,
  });
  clients.push(c);
  return box;
}

let runs = 0;
const freshData = async (): Promise<{ dataDir: string; ports: { mqtt: number; metrics: number } }> => ({
  dataDir: join(dir, `data-${runs++}`),
  ports: { mqtt: await freePort(), metrics: await freePort() },
});

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('yizhan-restart-'));
  secrets = await provisionAccounts(join(dir, 'credentials.json'), [
    ...STATIONS.map((username) => ({ username, role: 'station' as const })),
    { username: 'server', role: 'server' },
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

afterAll(async () => cleanup());

const TELEMETRY = (s: string): string => stationTopic(s, 'telemetry');

it('kill -9 of the broker: every message it acknowledged reaches the server, before and after the restart', async () => {
  const { dataDir, ports } = await freshData();
  // The stream before the kill is open-ended (at least 600 messages), so the session queue is sized
  // past it: the bound's own drops are the next test's subject, not this one's.
  const env = { YIZHAN_MQTT_SESSION_QUEUE: '100000' };
  let node = await startNode(dataDir, ports, env);
  // the server's persistent session, then the server goes away (as during its own restart)
  const server = await client(node.url, 'server', { clientId: 'server-main', clean: false });
  await server.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
  await server.endAsync();

  // stations publish QoS 1, 10 in flight each; the broker is killed in the middle of the stream
  const acked = new Set<string>();
  const stations = await Promise.all(STATIONS.map((s) => client(node.url, s)));
  let stopped = false;
  const pump = async (c: MqttClient, s: string): Promise<void> => {
    for (let i = 0; !stopped; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => `${s}/a${i + k}`);
      await Promise.all(
        batch.map((p) => c.publishAsync(TELEMETRY(s), p, { qos: 1 }).then(() => acked.add(p))),
      );
    }
  };
  const pumps = stations.map((c, i) => pump(c, STATIONS[i] ?? '').catch(() => undefined));
  await waitFor('600 acknowledged messages', () => acked.size >= 600, 20_000);
  await stop(node, 'SIGKILL');
  stopped = true;
  const ackedBeforeKill = acked.size;
  void pumps;

  // restarted; the stations come back and publish more before the server does
  node = await startNode(dataDir, ports, env);
  const again = await Promise.all(STATIONS.map((s) => client(node.url, s)));
  await Promise.all(
    again.map((c, i) =>
      Promise.all(
        Array.from({ length: 50 }, (_, k) => `${STATIONS[i]}/b${k}`).map((p) =>
          c.publishAsync(TELEMETRY(STATIONS[i] ?? ''), p, { qos: 1 }).then(() => acked.add(p)),
        ),
      ),
    ),
  );
  expect(acked.size).toBe(ackedBeforeKill + 150);

  const box = await resumed(node.url);
  const got = (): Set<string> => new Set(box.messages.map((m) => m.payload));
  await waitFor(
    'every acknowledged message at the server',
    () => [...acked].every((p) => got().has(p)),
    20_000,
  ).catch(() => undefined);
  const missing = [...acked].filter((p) => !got().has(p));
  expect({ missing: missing.length, first: missing.slice(0, 5) }).toEqual({ missing: 0, first: [] });
}, 120_000);

it("SIGTERM restart: retained statuses and the server's subscriptions survive; a torn journal tail is cut and counted", async () => {
  const { dataDir, ports } = await freshData();
  let node = await startNode(dataDir, ports);
  const server = await client(node.url, 'server', { clientId: 'server-main', clean: false });
  await server.subscribeAsync(['yizhan/v1/stations/+/telemetry', 'yizhan/v1/stations/+/events'], { qos: 1 });
  await server.endAsync();
  const st = await client(node.url, 'st-001');
  await st.publishAsync(stationTopic('st-001', 'status'), '{"online":true}', { qos: 1, retain: true });
  await st.endAsync();
  await stop(node, 'SIGTERM');

  // a crash in the middle of an append leaves part of a record at the end of the journal
  const torn = frame(Buffer.alloc(300, 7)).subarray(0, 120);
  await appendFile(join(dataDir, 'broker-state', 'journal'), torn);

  node = await startNode(dataDir, ports);
  expect(await node.metrics('yizhan_broker_journal_torn_bytes_total')).toBe(torn.length);
  // the retained status is served to a new subscriber
  const viewer = await client(node.url, 'server', { clientId: 'server-viewer' });
  const vbox = inbox(viewer);
  await viewer.subscribeAsync(stationTopic('st-001', 'status'), { qos: 1 });
  expect(await vbox.next(stationTopic('st-001', 'status'))).toMatchObject({
    payload: '{"online":true}',
    retain: true,
  });
  // the server's session kept both filters: it resumes without subscribing and gets both kinds
  const st2 = await client(node.url, 'st-002');
  await st2.publishAsync(TELEMETRY('st-002'), 'reading-after-restart', { qos: 1 });
  await st2.publishAsync(stationTopic('st-002', 'events'), 'event-after-restart', { qos: 1 });
  const box = await resumed(node.url);
  expect((await box.next(TELEMETRY('st-002'))).payload).toBe('reading-after-restart');
  expect((await box.next(stationTopic('st-002', 'events'))).payload).toBe('event-after-restart');
}, 120_000);

it('the session queue bound holds across a restart: what was queued counts, newer messages are dropped and counted', async () => {
  const { dataDir, ports } = await freshData();
  const env = { YIZHAN_MQTT_SESSION_QUEUE: '10' };
  let node = await startNode(dataDir, ports, env);
  const server = await client(node.url, 'server', { clientId: 'server-main', clean: false });
  await server.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
  await server.endAsync();
  const st = await client(node.url, 'st-001');
  for (let i = 0; i < 6; i++) await st.publishAsync(TELEMETRY('st-001'), `first-${i}`, { qos: 1 });
  await stop(node, 'SIGKILL');

  node = await startNode(dataDir, ports, env);
  expect(await node.metrics('yizhan_broker_queued_messages')).toBe(6);
  const st2 = await client(node.url, 'st-001');
  for (let i = 0; i < 10; i++) await st2.publishAsync(TELEMETRY('st-001'), `second-${i}`, { qos: 1 });
  expect(await node.metrics('yizhan_broker_queue_dropped_total')).toBe(6);
  expect(await node.metrics('yizhan_broker_queued_messages')).toBe(10);

  const box = await resumed(node.url);
  await waitFor('10 queued messages', () => box.messages.length >= 10, 10_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300)); // nothing beyond the bound follows
  expect(box.messages.map((m) => m.payload)).toEqual([
    ...Array.from({ length: 6 }, (_, i) => `first-${i}`),
    ...Array.from({ length: 4 }, (_, i) => `second-${i}`),
  ]);
}, 120_000);
