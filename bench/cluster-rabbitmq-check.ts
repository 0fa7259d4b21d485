/**
 * What a RabbitMQ cluster keeps of yizhan's MQTT traffic when a node dies: starts the engine of
 * bench/cluster-rabbitmq.ts with 3 stations and the server, drives mqtt.js clients through the ACL,
 * a persistent server session, a retained status and a SIGKILL of node-1, and prints each outcome.
 *   npx tsx bench/cluster-rabbitmq-check.ts [--nodes 2|3] [--quorum] [--keep]
 * --quorum: persistent QoS 1 sessions on quorum queues (mqtt.durable_queue_type) instead of classic;
 * --keep: leave the data and log folders behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { rabbitmqEngine } from './cluster-rabbitmq.js';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2' },
    quorum: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const NODES = Number(args.nodes);
const TOPIC = (id: string, leaf: string): string => `yizhan/v1/stations/${id}/${leaf}`;
const SERVER_ID = 'yizhan-server';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const report = (what: string, outcome: string): void => console.log(`- ${what}: ${outcome}`);

interface Session {
  c?: MqttClient;
  error?: string;
  ms: number;
  sessionPresent?: boolean;
  /** `topic payload` of every message received, from CONNACK on. */
  got: string[];
  closed: () => boolean;
}

/** Connect once (no automatic reconnect); the outcome and how long it took. */
function open(
  url: string,
  username: string,
  password: string,
  o: IClientOptions,
  timeoutMs = 30_000,
): Promise<Session> {
  const t0 = Date.now();
  const got: string[] = [];
  let closed = false;
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: timeoutMs, ...o });
    c.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    const done = (s: Partial<Session>): void => {
      c.removeAllListeners('connect');
      resolve({ ms: Date.now() - t0, got, closed: () => closed, ...s });
    };
    c.once('connect', (ack) => done({ c, sessionPresent: ack.sessionPresent }));
    c.once('error', (e) => {
      c.end(true);
      done({ error: e.message });
    });
    c.on('close', () => {
      if (!closed) done({ error: 'closed before CONNACK' });
      closed = true;
    });
  });
}

const describe = (s: Session): string =>
  s.error
    ? `refused/failed after ${s.ms} ms (${s.error})`
    : `accepted in ${s.ms} ms, sessionPresent=${s.sessionPresent}`;

/** Publish and wait for the PUBACK (QoS 1), the connection closing, or a timeout. */
async function pub(
  s: Session,
  topic: string,
  payload: string,
  retain = false,
  timeoutMs = 15_000,
): Promise<string> {
  if (!s.c || s.closed()) return 'not connected';
  const closed = new Promise<string>((r) => s.c!.once('close', () => r('connection closed by the broker')));
  const acked = s.c.publishAsync(topic, payload, { qos: 1, retain }).then(
    () => 'PUBACK',
    (e: Error) => `error ${e.message}`,
  );
  return Promise.race([acked, closed, sleep(timeoutMs).then(() => `no PUBACK within ${timeoutMs} ms`)]);
}

async function sub(s: Session, filter: string): Promise<string> {
  if (!s.c || s.closed()) return 'not connected';
  const closed = new Promise<string>((r) => s.c!.once('close', () => r('connection closed by the broker')));
  const granted = s.c.subscribeAsync(filter, { qos: 1 }).then(
    (g) => `SUBACK qos=${g.map((x) => x.qos).join(',')}`,
    (e: Error) => `error ${e.message}`,
  );
  return Promise.race([granted, closed, sleep(15_000).then(() => 'no SUBACK within 15000 ms')]);
}

async function close(s: Session | undefined): Promise<void> {
  if (s?.c && !s.closed()) await s.c.endAsync();
}

/** What a new subscriber to `filter` on `url` gets right after its SUBACK (the retained messages). */
async function retainedSeen(url: string, password: string, filter: string): Promise<string> {
  const w = await open(url, SERVER_ID, password, {
    clientId: `watcher-${Math.random().toString(16).slice(2, 8)}`,
  });
  if (w.error) return describe(w);
  const acked = await sub(w, filter);
  await sleep(1_000);
  await close(w);
  return `${acked}, got ${JSON.stringify(w.got)}`;
}

const engine = rabbitmqEngine({ nodes: NODES, durableQueueType: args.quorum ? 'quorum' : 'classic' });
const dir = mkdtempSync(join(tmpdir(), 'yz-rmq-check-'));
const sessions: Session[] = [];
const track = (s: Session): Session => (sessions.push(s), s);
try {
  console.log(
    `RabbitMQ ${NODES}-node cluster, persistent sessions on ${args.quorum ? 'quorum' : 'classic'} queues, in ${dir}`,
  );
  let t0 = Date.now();
  const secrets = await engine.start(dir, [
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'st-003', role: 'station' },
    { username: SERVER_ID, role: 'server' },
  ]);
  const [url1, url2] = engine.nodeUrls() as [string, string];
  const pw = (u: string): string => secrets.get(u)!;
  report('cluster start (every node serving MQTT and in cluster_status)', `${Date.now() - t0} ms`);

  report('wrong password', describe(track(await open(url1, 'st-001', 'nope', { clientId: 'st-001' }))));
  report('anonymous', describe(track(await open(url1, '', '', { clientId: 'anon' }))));

  let server = track(await open(url1, SERVER_ID, pw(SERVER_ID), { clientId: SERVER_ID, clean: false }));
  report('server on node-1, clean:false', describe(server));
  report('server subscribes yizhan/v1/stations/# QoS 1', await sub(server, 'yizhan/v1/stations/#'));

  const will = {
    topic: TOPIC('st-001', 'status'),
    payload: Buffer.from('offline (will)'),
    qos: 1 as const,
    retain: true,
  };
  let st1 = track(await open(url1, 'st-001', pw('st-001'), { clientId: 'st-001', will }));
  report('st-001 on node-1 with a will on its status', describe(st1));
  report('st-001 retained status "online"', await pub(st1, TOPIC('st-001', 'status'), 'online', true));
  report('st-001 telemetry t1', await pub(st1, TOPIC('st-001', 'telemetry'), 't1'));
  await sleep(1_000);
  report('server received', JSON.stringify(server.got));

  for (const [name, url] of [
    ['node-1', url1],
    ['node-2', url2],
  ] as const)
    for (const filter of [TOPIC('st-001', 'status'), 'yizhan/v1/stations/+/status', 'yizhan/v1/stations/#'])
      report(
        `retained, new subscriber on ${name} to ${filter} (all nodes up)`,
        await retainedSeen(url, pw(SERVER_ID), filter),
      );

  // ACL: a station outside its own subtree.
  const st2 = track(await open(url2, 'st-002', pw('st-002'), { clientId: 'st-002' }));
  report('st-002 publishes under st-003 (QoS 1)', await pub(st2, TOPIC('st-003', 'telemetry'), 'forged'));
  const st3 = track(await open(url2, 'st-003', pw('st-003'), { clientId: 'st-003' }));
  report('st-003 subscribes yizhan/v1/stations/#', await sub(st3, 'yizhan/v1/stations/#'));
  const st3b = track(await open(url2, 'st-003', pw('st-003'), { clientId: 'st-003' }));
  report('st-003 subscribes its own cmd', await sub(st3b, TOPIC('st-003', 'cmd')));
  const st3c = track(await open(url2, 'st-003', pw('st-003'), { clientId: 'st-003-other' }));
  report(
    'st-003 with client id "st-003-other" subscribes its own cmd',
    await sub(st3c, TOPIC('st-003', 'cmd')),
  );
  report(
    'st-003 publishes its own cmd (a server-only leaf)',
    await pub(st3b, TOPIC('st-003', 'cmd'), 'self-cmd'),
  );
  await sleep(1_000);
  report(
    'server received forged/self-cmd?',
    JSON.stringify(server.got.filter((m) => /forged|self-cmd/.test(m))),
  );

  // Client id takeover by another account.
  const hijack = track(await open(url2, 'st-002', pw('st-002'), { clientId: SERVER_ID, clean: true }));
  report('st-002 connects with the client id "yizhan-server", clean:true', describe(hijack));
  await sleep(2_000);
  report('server connection still open after that', String(!server.closed()));
  await close(hijack);
  if (server.closed()) {
    server = track(await open(url1, SERVER_ID, pw(SERVER_ID), { clientId: SERVER_ID, clean: false }));
    report('server reconnects on node-1', describe(server));
  }

  // The server goes away; its persistent session (on node-1) queues what stations send.
  await close(server);
  for (const n of ['a1', 'a2', 'a3'])
    report(`st-001 telemetry ${n} while the server is away`, await pub(st1, TOPIC('st-001', 'telemetry'), n));

  t0 = Date.now();
  await engine.kill('node-1');
  report('SIGKILL node-1', `exited in ${Date.now() - t0} ms`);
  await sleep(1_000);
  report('st-001 connection on node-1 closed', String(st1.closed()));

  st1 = track(await open(url2, 'st-001', pw('st-001'), { clientId: 'st-001', will }));
  report('st-001 reconnects on node-2 (node-1 down)', describe(st1));
  for (let i = 0; st1.error && i < 3; i++) {
    await sleep(5_000);
    st1 = track(await open(url2, 'st-001', pw('st-001'), { clientId: 'st-001', will }));
    report(`  retry ${i + 1}`, describe(st1));
  }
  report('st-001 telemetry d1 while node-1 is down', await pub(st1, TOPIC('st-001', 'telemetry'), 'd1'));
  report('st-001 telemetry d2 while node-1 is down', await pub(st1, TOPIC('st-001', 'telemetry'), 'd2'));

  report(
    'retained, new subscriber on node-2 to the exact status topic (node-1 down)',
    await retainedSeen(url2, pw(SERVER_ID), TOPIC('st-001', 'status')),
  );
  const dupA = track(await open(url2, 'st-002', pw('st-002'), { clientId: 'st-002' }));
  const dupB = track(await open(url2, 'st-002', pw('st-002'), { clientId: 'st-002' }));
  await sleep(2_000);
  report(
    'two connections with client id st-002 on node-2 (node-1 down)',
    `first: ${describe(dupA)}, still open=${!dupA.closed()}; second: ${describe(dupB)}, still open=${!dupB.closed()}`,
  );

  server = track(await open(url2, SERVER_ID, pw(SERVER_ID), { clientId: SERVER_ID, clean: false }));
  report('server reconnects on node-2, clean:false (its session queue lived on node-1)', describe(server));
  if (server.c && !server.closed()) {
    if (!server.sessionPresent) report('  server re-subscribes', await sub(server, 'yizhan/v1/stations/#'));
    await sleep(3_000);
    report('  server received while node-1 is down', JSON.stringify(server.got));
    report(
      'st-001 telemetry d3 with the server on node-2',
      await pub(st1, TOPIC('st-001', 'telemetry'), 'd3'),
    );
    await sleep(1_000);
    report('  server received', JSON.stringify(server.got));
    await close(server);
  }

  t0 = Date.now();
  await engine.restart('node-1');
  report('restart node-1 (serving MQTT and back in cluster_status)', `${Date.now() - t0} ms`);
  server = track(await open(url1, SERVER_ID, pw(SERVER_ID), { clientId: SERVER_ID, clean: false }));
  report('server reconnects on node-1, clean:false', describe(server));
  if (!server.error && !server.sessionPresent)
    report('  server re-subscribes', await sub(server, 'yizhan/v1/stations/#'));
  await sleep(3_000);
  report('  server received after node-1 is back', JSON.stringify(server.got));

  for (const [name, url] of [
    ['node-1', url1],
    ['node-2', url2],
  ] as const)
    report(
      `retained, new subscriber on ${name} to the exact status topic (node-1 restarted)`,
      await retainedSeen(url, pw(SERVER_ID), TOPIC('st-001', 'status')),
    );
} catch (e) {
  console.error('check failed:', e);
  process.exitCode = 1;
} finally {
  for (const s of sessions) s.c?.end(true);
  await engine.stop();
  if (process.exitCode || args.keep) console.log(`kept ${dir} for its logs`);
  else rmSync(dir, { recursive: true, force: true });
}
