/** Shared helpers of the broker tests: temp stores, an in-process broker, real clients. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startBroker, type BrokerHandle, type BrokerOptions } from '../../broker/src/broker.js';
import { provisionAccounts, type AccountRequest, type EditOptions } from '@yizhan/broker/credentials';
import { sumOf } from '../helpers/prom.js';
import { ROOT, run, spawnProcess, type TestProcess } from '../helpers/processes.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger that keeps every line (parsed) in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export async function tempDir(
  prefix = 'yizhan-broker-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestBroker {
  broker: BrokerHandle;
  file: string;
  dir: string;
  secrets: Map<string, string>;
  logs: LogLine[];
  secret(username: string): string;
  stop(): Promise<void>;
}

/** Provision accounts into a fresh store and start a broker on free ports (file polled every 100 ms). */
export async function startTestBroker(
  accounts: AccountRequest[],
  extra: Partial<Omit<BrokerOptions, 'credentialsFile' | 'logger'>> = {},
  edit: EditOptions = {},
): Promise<TestBroker> {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'credentials.json');
  const secrets = await provisionAccounts(file, accounts, edit);
  const { logger, lines } = captureLogger();
  // state on disk, as in production (YIZHAN_BROKER_STATE_DIR); `stateDir: undefined` keeps it in memory
  const broker = await startBroker({
    port: 0,
    metricsPort: 0,
    credentialsFile: file,
    logger,
    credentials: { pollIntervalMs: 100 },
    stateDir: join(dir, 'broker-state'),
    ...extra,
  });
  return {
    broker,
    file,
    dir,
    secrets,
    logs: lines,
    secret(username) {
      const s = secrets.get(username);
      if (s === undefined) throw new Error(`no secret for ${username} in this test broker`);
      return s;
    },
    async stop() {
      await broker.close();
      await cleanup();
    },
  };
}

/** A test broker for one test file, and the mqtt.js clients its tests open (closed after each test). */
export interface BrokerSuite {
  /** The broker (started in beforeAll). */
  readonly tb: TestBroker;
  /** Connect as `username` with its own secret (or `password`), closed after the test. */
  as: (username: string, opts?: IClientOptions & { password?: string }) => Promise<MqttClient>;
  /** Close this client after the test too. */
  keep: (client: Promise<MqttClient>) => Promise<MqttClient>;
}

/** Registers beforeAll/afterEach/afterAll of a file whose tests share one broker. */
export function brokerSuite(
  accounts: AccountRequest[],
  extra: Partial<Omit<BrokerOptions, 'credentialsFile' | 'logger'>> = {},
): BrokerSuite {
  let tb: TestBroker | undefined;
  const clients: MqttClient[] = [];
  const started = (): TestBroker => {
    if (!tb) throw new Error('the test broker is started in beforeAll');
    return tb;
  };
  beforeAll(async () => {
    tb = await startTestBroker(accounts, extra);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => tb?.stop());
  const keep = async (c: Promise<MqttClient>) => {
    const client = await c;
    clients.push(client);
    return client;
  };
  return {
    get tb() {
      return started();
    },
    as: (username, { password, ...opts } = {}) =>
      keep(connect(started().broker.url, username, password ?? started().secret(username), opts)),
    keep,
  };
}

/** mqtt.js options of every test client: MQTT 3.1.1, client id = username, no automatic reconnect. */
const clientOptions = (username: string, password: string | undefined, opts: IClientOptions): IClientOptions => ({
  clientId: username,
  username,
  password,
  protocolVersion: 4,
  reconnectPeriod: 0,
  connectTimeout: 5_000,
  ...opts,
});

/** Connect with mqtt.js (MQTT 3.1.1, no automatic reconnect). */
export async function connect(
  url: string,
  username: string,
  password: string | undefined,
  opts: IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, clientOptions(username, password, opts));
  client.on('error', () => {}); // errors after connect surface as 'close', asserted by the tests
  return client;
}

/**
 * Connect with `inbox` collecting from the first packet on: a resumed session's queued messages
 * can arrive in the same TCP segment as the CONNACK, before `await connect(...)` returns.
 */
export async function connectInbox(
  url: string,
  username: string,
  password: string | undefined,
  opts: IClientOptions = {},
): Promise<{ client: MqttClient; box: ReturnType<typeof inbox> }> {
  const client = mqtt.connect(url, clientOptions(username, password, opts));
  const box = inbox(client);
  client.on('error', () => {}); // a refusal surfaces as the rejection below
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('close', () =>
      reject(new Error(`connection of ${String(opts.clientId ?? username)} closed before its CONNACK`)),
    );
  });
  return { client, box };
}

/** Connect and expect a refusal; resolves with the CONNACK return code. */
export async function connectRefused(
  url: string,
  username: string,
  password: string | undefined,
  opts: IClientOptions = {},
): Promise<number> {
  try {
    const c = await connect(url, username, password, opts);
    await c.endAsync(true);
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
  throw new Error(`connection of ${username} was accepted`);
}

/** Resolves when the client's connection is closed; rejects after timeoutMs. */
export function closed(client: MqttClient, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const t = setTimeout(
      () => reject(new Error(`connection of ${client.options.clientId} still open after ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Collect messages on a client: `next(topic)` waits for the next one on a topic. */
export function inbox(client: MqttClient): {
  messages: { topic: string; payload: string; retain: boolean }[];
  next(topic: string, timeoutMs?: number): Promise<{ topic: string; payload: string; retain: boolean }>;
} {
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  const waiters: { topic: string; resolve: (m: (typeof messages)[number]) => void }[] = [];
  client.on('message', (topic, payload, packet) => {
    const m = { topic, payload: payload.toString('utf8'), retain: packet.retain };
    messages.push(m);
    const i = waiters.findIndex((w) => w.topic === topic);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m);
  });
  return {
    messages,
    next(topic, timeoutMs = 5_000) {
      const seen = messages.find((m) => m.topic === topic);
      if (seen) {
        messages.splice(messages.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          topic,
          resolve: (m) => {
            clearTimeout(t);
            messages.splice(messages.indexOf(m), 1);
            resolve(m);
          },
        });
      });
    },
  };
}

/** Sum of the samples of a metric whose labels include `labels` (0 when none). */
export async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  if (!registry.getSingleMetric(name)) throw new Error(`no metric ${name}`);
  return sumOf(await registry.getSingleMetricAsString(name), name, labels);
}

/** Start broker/src/main.ts (as `npm start` runs it) with `env` on top of this process's environment. */
export function spawnBroker(env: NodeJS.ProcessEnv): TestProcess {
  return spawnProcess(
    'broker process',
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'broker/src/main.ts')],
    env,
  );
}

/** A self-signed P-256 certificate for 127.0.0.1/localhost, written to cert.pem/key.pem in `into`. */
export async function makeCert(into: string, cn: string): Promise<{ cert: string; key: string }> {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  const r = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

/** SUBSCRIBE and resolve with the SUBACK return codes (mqtt.js rejects on 0x80, the tests want the codes). */
export function subscribeCodes(
  client: MqttClient,
  filters: string | string[],
  qos: 0 | 1 | 2 = 1,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos }, (err, _granted, packet) => {
      if (packet && 'granted' in packet && Array.isArray(packet.granted))
        resolve(packet.granted.map((g) => (typeof g === 'number' ? g : -1)));
      else reject(err ?? new Error('no SUBACK'));
    });
  });
}
