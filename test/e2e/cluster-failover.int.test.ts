/**
 * Failover by several broker URLs (docs/broker.md#clients-and-failover): YIZHAN_MQTT_URL lists two
 * broker nodes on one real redis-server. The node a client is connected to is killed (SIGKILL);
 * the client is on the other node within 5 s and its QoS 1 messages keep arriving.
 *
 * - the edge agent process (edge/src/main.ts) on a socat PTY with the simulated controller;
 * - the server's MQTT client (MqttIngest, its persistent session), with the server's own reconnect
 *   period;
 * - a wrong entry in the list refuses the agent's start, naming the setting and the entry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { StationSimulator } from '@yizhan/edge/simulator';
import { stationTopic } from '@yizhan/protocol';
import { MqttIngest } from '../../server/src/ingest/mqtt.js';
import { createMetrics } from '../../server/src/metrics.js';
import { startPtyPair } from '../../scripts/lib/socat.js';
import { captureLogger, connect, inbox, type LogLine } from '../broker/helpers.js';
import { ROOT, runTs } from '../helpers/processes.js';
import { startCluster, type Cluster, type ClusterNode } from '../broker/cluster.js';
import { Cleanups } from '../helpers/cleanups.js';
import { stationFixture } from '../helpers/station.js';
import { sleep, waitFor } from '../helpers/wait.js';

const ID = 'st-611';
let cluster: Cluster;
/** What one test started (its nodes, agent, clients), stopped after it. */
const cleanups = new Cleanups();

beforeAll(async () => {
  cluster = await startCluster('yizhan-failover-', [
    { username: ID, role: 'station' },
    { username: 'server', role: 'server' },
  ]);
}, 60_000);

afterEach(() => cleanups.run());
afterAll(() => cluster?.stop());

/** This process's environment without YIZHAN_* (the agent refuses variables it does not know). */
function agentEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_')));
  return { ...env, ...extra };
}

/** The station's files: its YAML in `dir/stations`, its secret in `dir/pw`. */
function stationFiles(serialPath: string): { stations: string; pw: string } {
  const stations = join(cluster.dir, 'stations');
  mkdirSync(stations, { recursive: true });
  writeFileSync(join(stations, `${ID}.yaml`), stringify({ ...stationFixture(ID, { serialPath }), sample: undefined }));
  const pw = join(cluster.dir, 'pw');
  writeFileSync(pw, `${cluster.secret(ID)}\n`);
  return { stations, pw };
}

/** Two nodes of the cluster, killed after the test. */
async function twoNodes(): Promise<[ClusterNode, ClusterNode]> {
  const nodes: [ClusterNode, ClusterNode] = await Promise.all([cluster.startNode('A'), cluster.startNode('B')]);
  cleanups.add('nodes', () => Promise.all(nodes.map((n) => n.kill())));
  return nodes;
}

it('the edge agent with YIZHAN_MQTT_URL=A,B is on B within 5 s of A being killed; its telemetry keeps arriving', async () => {
  const [a, b] = await twoNodes();
  const pty = await startPtyPair(cluster.dir, 'f');
  cleanups.add('socat', () => pty.stop());
  const { stations, pw } = stationFiles(pty.agentPath);
  const agent: ChildProcess = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'edge/src/main.ts', '--station', ID, '--stations-dir', stations],
      ...['--password-file', pw, '--serial-path', pty.agentPath, '--state-dir', join(cluster.dir, 'state')],
    ],
    {
      cwd: ROOT,
      env: agentEnv({ YIZHAN_MQTT_URL: `${a.url},${b.url}`, LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cleanups.add('agent', () => {
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  });
  const lines: LogLine[] = [];
  createInterface({ input: agent.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
  });
  const connectedTo = () => lines.filter((l) => l.msg === 'mqtt connected').map((l) => l.url);

  const sim = new StationSimulator(stationFixture(ID, { serialPath: pty.agentPath }), { seed: 3, speed: 20 });
  cleanups.add('simulator', () => sim.stop());
  await sim.attachToPath(pty.devicePath);
  sim.start();

  const server = await connect(b.url, 'server', cluster.secret('server'), { clientId: 'server-watch' });
  cleanups.add('watcher', () => server.endAsync(true));
  const box = inbox(server);
  const telemetry = stationTopic(ID, 'telemetry');
  await server.subscribeAsync(telemetry, { qos: 1 });

  await waitFor('the agent connected to A, the first URL', () => connectedTo()[0] === a.url, 30_000);
  await waitFor('telemetry through A', () => box.messages.length >= 3, 15_000);
  expect(await a.connected('station')).toBe(1);

  const killedAt = Date.now();
  await a.kill();
  await waitFor('the agent connected to B', () => connectedTo()[1] === b.url, 5_000);
  const failoverMs = Date.now() - killedAt;
  expect(await b.connected('station')).toBe(1);

  const after = box.messages.length;
  await waitFor('telemetry through B', () => box.messages.length >= after + 3, 10_000);
  const lastLine = lines.findLast((l) => l.msg === 'mqtt connected');
  expect(lastLine).toMatchObject({ url: b.url, mqtt: `${a.url},${b.url}` });
  console.log(`agent failover: on B ${failoverMs} ms after A was killed`);
}, 60_000);

it("the server's MQTT client with A,B is on B within 5 s of A being killed; every QoS 1 message arrives", async () => {
  const [a, b] = await twoNodes();
  const { logger, lines } = captureLogger();
  const got = new Set<string>();
  const ingest = new MqttIngest(
    { url: `${a.url},${b.url}`, username: 'server', password: cluster.secret('server'), clientId: 'server-main' },
    (_topic, payload) => got.add(payload.toString('utf8')),
    createMetrics({ defaultMetrics: false }),
    logger,
  );
  ingest.start();
  cleanups.add('ingest', () => ingest.stop(0));
  await waitFor('the server subscribed through A', () => ingest.ready, 10_000);
  expect(await a.connected('server')).toBe(1);

  const station = await connect(b.url, ID, cluster.secret(ID));
  cleanups.add('station', () => station.endAsync(true));
  const topic = stationTopic(ID, 'telemetry');
  const sent: string[] = [];
  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const p = String(sent.length + 1);
      sent.push(p);
      await station.publishAsync(topic, p, { qos: 1 });
      await sleep(20);
    }
  };
  await send(20);
  await waitFor('messages through A', () => got.size >= 10, 10_000);

  const killedAt = Date.now();
  const killed = a.kill();
  await send(20);
  await killed;
  await waitFor('the server connected to B', () => lines.filter((l) => l.msg === 'mqtt connected').length === 2, 5_000);
  const failoverMs = Date.now() - killedAt;
  expect(lines.filter((l) => l.msg === 'mqtt connected').map((l) => l.url)).toEqual([a.url, b.url]);
  await expect.poll(() => b.connected('server'), { timeout: 5_000 }).toBe(1);
  await send(20);

  await waitFor(`all ${sent.length} messages at the server`, () => got.size >= sent.length, 10_000).catch(() => undefined);
  expect(sent.filter((p) => !got.has(p))).toEqual([]);
  console.log(`server client failover: on B ${failoverMs} ms after A was killed`);
}, 60_000);

it('a wrong entry in YIZHAN_MQTT_URL refuses the agent start, naming the setting and the entry', async () => {
  const r = await runTs('edge/src/main.ts', ['--station', ID, '--password-file', '/dev/null'], {
    env: agentEnv({ YIZHAN_MQTT_URL: 'mqtt://127.0.0.1:1883,mqtt//b:1883' }),
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('YIZHAN_MQTT_URL: entry 2 "mqtt//b:1883" is not a URL');
}, 30_000);
