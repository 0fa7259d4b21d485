/**
 * `npm run bench:broker`: the yizhan broker (authentication + ACLs on) against Debian's mosquitto
 * (password file + ACL file), same load generator, same run. For 1,000 and 10,000 connected
 * station clients: messages/s at QoS 0 and QoS 1, p50/p99 latency, broker memory (RSS).
 * Writes bench/results/broker.json; the figures are recorded in docs/benchmarks.md.
 *
 * Settings (environment): BENCH_CLIENTS (1000,10000), BENCH_SECONDS (8, measured per phase),
 * BENCH_WORKERS (2), BENCH_WINDOW (messages in flight per worker, 1000), BENCH_PERSISTENT_SERVER
 * (1: the subscribing servers keep persistent sessions, as the yizhan server does; default clean),
 * BENCH_BROKER_STATE_DIR (`memory`: the yizhan broker keeps no state on disk; default: on disk in
 * the run's temp folder), YIZHAN_MQTT_SESSION_QUEUE (the yizhan broker's bound per persistent
 * session; default here 10 × BENCH_WINDOW, see SESSION_QUEUE).
 *
 * The closed loop counts a message in flight until the subscriber receives it, so a message the
 * broker drops is never returned to the window: the run fails, naming the drops
 * (`yizhan_broker_queue_dropped_total`), instead of reporting a throughput that fell to 0.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { valueOf } from '../test/helpers/prom.js';
import type { FromWorker, ToWorker } from './broker-worker.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1000,10000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1000);
const PAYLOAD_BYTES = 128;
/**
 * The yizhan broker counts a persistent session's messages sent and not yet acknowledged in its
 * queue bound (YIZHAN_MQTT_SESSION_QUEUE, default 1,000), and a worker keeps BENCH_WINDOW (1,000)
 * in flight to its subscriber plus the PUBACKs on their way back: at the default bound a
 * persistent subscriber loses messages from the first second (the run fell to 0 msgs/s). The bench
 * measures throughput, not the bound, so the bound is sized well above the window. mosquitto's
 * `max_queued_messages 1000` does not count its in-flight messages (max_inflight_messages 20).
 */
const SESSION_QUEUE = process.env.YIZHAN_MQTT_SESSION_QUEUE ?? String(10 * WINDOW);
/** Total open-loop rate for the latency phase, msgs/s. */
const PACED_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 5000);
const MAX_CLIENTS = Math.max(...CLIENTS);

type BrokerName = 'yizhan' | 'mosquitto';
interface Figures {
  /** Closed loop (BENCH_WINDOW messages in flight per worker): what the broker passes on this machine. */
  qos0MsgsPerSec: number;
  qos1MsgsPerSec: number;
  /** QoS 1 latency station → server at a fixed open-loop load of PACED_RATE msgs/s (below both brokers' capacity). */
  p50Ms: number;
  p99Ms: number;
  /** Broker CPU use during the closed-loop QoS 1 phase (100 = one core). */
  qos1CpuPct: number;
  /** Broker CPU time per QoS 1 message (closed loop), in microseconds: capacity per core ≈ 1e6 / this. */
  qos1CpuUsPerMsg: number;
  rssMb: number;
  connectS: number;
}

const stationId = (i: number): string => `bs-${String(i).padStart(5, '0')}`;
const servers = Array.from({ length: WORKERS }, (_, w) => `bench-server-${w}`);

/** One shared secret for the mosquitto password file (hashed per user with its own salt). */
function mosquittoHash(secret: string): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(secret, salt, 101, 64, 'sha512');
  return `$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function setup(dir: string): Promise<Map<string, string>> {
  const file = join(dir, 'credentials.json');
  process.stdout.write(`provisioning ${MAX_CLIENTS} station accounts (scrypt N=2^10 for the bench; production uses 2^15)… `);
  const secrets = await provisionAccounts(
    file,
    [...Array.from({ length: MAX_CLIENTS }, (_, i) => ({ username: stationId(i), role: 'station' as const })), ...servers.map((username) => ({ username, role: 'server' as const }))],
    { params: { algo: 'scrypt', N: 2 ** 10, r: 8, p: 1, keyLen: 32 } },
  );
  // mosquitto: the same secrets in its password file (PBKDF2-SHA512, its own format) and the same rules in its ACL file
  const lines = [...secrets].map(([u, s]) => `${u}:${mosquittoHash(s)}`);
  await writeFile(join(dir, 'mosquitto.passwd'), lines.join('\n') + '\n', { mode: 0o600 });
  const acl = [
    ...servers.flatMap((u) => [`user ${u}`, 'topic read yizhan/v1/stations/+/#', 'topic write yizhan/v1/stations/+/cmd', 'topic write yizhan/v1/stations/+/config/desired', '']),
    ...['status', 'telemetry', 'events', 'health', 'config/reported', 'cmd/result'].map((l) => `pattern write yizhan/v1/stations/%u/${l}`),
    'pattern read yizhan/v1/stations/%u/cmd',
    'pattern read yizhan/v1/stations/%u/config/desired',
  ];
  await writeFile(join(dir, 'mosquitto.acl'), acl.join('\n') + '\n');
  console.log('done');
  return secrets;
}

interface Running {
  proc: ChildProcess;
  port: number;
  /** The yizhan broker's /metrics URL (mosquitto: none). */
  metricsUrl?: string;
  stop(): Promise<void>;
}

async function startBroker(name: BrokerName, dir: string): Promise<Running> {
  const port = await freePort();
  let proc: ChildProcess;
  let metricsUrl: string | undefined;
  if (name === 'yizhan') {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    // BENCH_BROKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the broker under load
    const nodeArgs = (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'broker/src/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        YIZHAN_CREDENTIALS_FILE: join(dir, 'credentials.json'),
        YIZHAN_DATA_DIR: dir, // the broker's state journal goes to <dir>/broker-state (BENCH_BROKER_STATE_DIR=memory: none)
        ...(process.env.BENCH_BROKER_STATE_DIR ? { YIZHAN_BROKER_STATE_DIR: process.env.BENCH_BROKER_STATE_DIR } : {}),
        YIZHAN_MQTT_PORT: String(port),
        YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
        YIZHAN_MQTT_SESSION_QUEUE: SESSION_QUEUE,
        YIZHAN_MQTT_STATION_RATE: '1000', // the default 100/s (burst 1,000) could throttle 1,000 stations in a long closed-loop run
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else {
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${join(dir, 'mosquitto.passwd')}`,
        `acl_file ${join(dir, 'mosquitto.acl')}`,
        'max_connections -1',
        'persistence false',
        'max_queued_messages 1000',
        'set_tcp_nodelay true',
        'log_dest stderr',
        'log_type error',
        // as root, mosquitto would switch to user "mosquitto", who cannot read this run's 0600 files
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        '',
      ].join('\n'),
    );
    proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  await waitForPort(port, '127.0.0.1', 30_000).catch((e: unknown) => {
    proc.kill('SIGKILL');
    throw e;
  });
  return {
    proc,
    port,
    metricsUrl,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** CPU seconds (user + system) used so far by a process. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN) * 100) / 100 : NaN;
}

/** Wait for one message of a kind from every worker. */
function fromAll<T extends FromWorker['type']>(workers: ChildProcess[], type: T): Promise<Extract<FromWorker, { type: T }>[]> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
          const on = (m: FromWorker): void => {
            if (m.type === 'error') reject(new Error(`worker: ${m.message}`));
            else if (m.type === type) {
              w.off('message', on);
              resolve(m as Extract<FromWorker, { type: T }>);
            }
          };
          w.on('message', on);
        }),
    ),
  );
}

/** The yizhan broker's persistent-session queues: messages dropped so far, messages queued now. */
async function queueFigures(broker: Running): Promise<{ drops: number; queued: number }> {
  if (!broker.metricsUrl) return { drops: 0, queued: 0 };
  const text = await (await fetch(broker.metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  return { drops: valueOf(text, 'yizhan_broker_queue_dropped_total') ?? 0, queued: valueOf(text, 'yizhan_broker_queued_messages') ?? 0 };
}

/** A dropped message never leaves the closed loop's window: fail with the count rather than print a stalled rate. */
async function failOnDrops(broker: Running, qos: 0 | 1, rate?: number): Promise<void> {
  const { drops, queued } = await queueFigures(broker);
  // the phase ends 1.5 s after the last publish: what is still queued then was never acknowledged
  if (queued > 0) process.stdout.write(`(${queued} QoS 1 messages still queued after the QoS ${qos} phase) `);
  if (drops > 0)
    throw new Error(
      `the yizhan broker dropped ${drops} QoS 1 messages for the subscribers' full session queues (yizhan_broker_queue_dropped_total) ` +
        `in the QoS ${qos}${rate ? ` @${rate}/s` : ''} phase; YIZHAN_MQTT_SESSION_QUEUE=${SESSION_QUEUE} is below what is in flight ` +
        `(BENCH_WINDOW=${WINDOW} per worker plus PUBACKs under way), so the closed loop stalls and its rate means nothing: raise it`,
    );
}

async function measure(name: BrokerName, clients: number, dir: string, secrets: Map<string, string>): Promise<Figures> {
  const broker = await startBroker(name, dir);
  const workers = Array.from({ length: WORKERS }, () => fork(join(ROOT, 'bench/broker-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
  try {
    const secret = (u: string): string => secrets.get(u) ?? '';
    const t0 = Date.now();
    const ready = fromAll(workers, 'ready');
    workers.forEach((w, k) => {
      const ids = Array.from({ length: clients }, (_, i) => i).filter((i) => i % WORKERS === k).map(stationId);
      const init: ToWorker = {
        type: 'init',
        port: broker.port,
        stations: ids.map((id) => [id, secret(id)]),
        server: [servers[k] ?? '', secret(servers[k] ?? '')],
        localNet: 2 + k,
        window: WINDOW,
        payloadBytes: PAYLOAD_BYTES,
      };
      w.send(init);
    });
    await ready;
    const connectS = (Date.now() - t0) / 1000;
    const phase = async (qos: 0 | 1, rate?: number): Promise<{ rate: number; p50: number; p99: number; cpuPct: number }> => {
      const results = fromAll(workers, 'result');
      const cpu0 = await cpuSeconds(broker.proc.pid);
      const t = Date.now();
      for (const w of workers) w.send({ type: 'run', qos, warmupMs: 2_000, measureMs: SECONDS * 1000, ...(rate ? { rate: rate / WORKERS } : {}) } satisfies ToWorker);
      const rs = await results;
      await failOnDrops(broker, qos, rate);
      const cpuPct = Math.round((((await cpuSeconds(broker.proc.pid)) - cpu0) / ((Date.now() - t) / 1000)) * 100);
      const got = rs.reduce((s, r) => s + r.received / (r.measureMs / 1000), 0);
      const lat = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      return { rate: Math.round(got), p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), cpuPct };
    };
    const q0 = await phase(0);
    const q1 = await phase(1);
    const paced = await phase(1, PACED_RATE);
    const rss = await rssMb(broker.proc.pid);
    return { qos0MsgsPerSec: q0.rate, qos1MsgsPerSec: q1.rate, p50Ms: paced.p50, p99Ms: paced.p99, qos1CpuPct: q1.cpuPct, qos1CpuUsPerMsg: Math.round((q1.cpuPct / 100 / q1.rate) * 1e6 * 10) / 10, rssMb: rss, connectS };
  } finally {
    for (const w of workers) if (w.connected) w.send({ type: 'stop' } satisfies ToWorker);
    await new Promise((r) => setTimeout(r, 500));
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await broker.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'yizhan-bench-broker-'));
try {
  const secrets = await setup(dir);
  const out: Record<string, Record<BrokerName, Figures>> = {};
  for (const n of CLIENTS) {
    const row = {} as Record<BrokerName, Figures>;
    for (const name of ['yizhan', 'mosquitto'] as const) {
      process.stdout.write(`${name}, ${n} clients… `);
      row[name] = await measure(name, n, dir, secrets);
      console.log(JSON.stringify(row[name]));
    }
    out[`clients${n}`] = row;
  }
  console.log(`\nclients  broker     QoS0 msg/s  QoS1 msg/s  QoS1 CPU %  CPU µs/msg  p50 ms @${PACED_RATE}/s  p99 ms  RSS MB  connect s`);
  for (const [k, row] of Object.entries(out))
    for (const [name, f] of Object.entries(row))
      console.log(
        `${k.replace('clients', '').padEnd(8)} ${name.padEnd(10)} ${String(f.qos0MsgsPerSec).padStart(10)}  ${String(f.qos1MsgsPerSec).padStart(10)}  ${String(f.qos1CpuPct).padStart(10)}  ${String(f.qos1CpuUsPerMsg).padStart(10)}  ${String(f.p50Ms).padStart(14)}  ${String(f.p99Ms).padStart(6)}  ${String(f.rssMb).padStart(6)}  ${f.connectS.toFixed(1).padStart(9)}`,
      );
  for (const [k, row] of Object.entries(out))
    console.log(
      `${k}: yizhan/mosquitto QoS 1 throughput ratio ${(row.yizhan.qos1MsgsPerSec / row.mosquitto.qos1MsgsPerSec).toFixed(2)}, QoS 0 ${(row.yizhan.qos0MsgsPerSec / row.mosquitto.qos0MsgsPerSec).toFixed(2)}; ` +
        `CPU per QoS 1 message ${(row.yizhan.qos1CpuUsPerMsg / row.mosquitto.qos1CpuUsPerMsg).toFixed(2)}× mosquitto's`,
    );
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(join(ROOT, 'bench/results/broker.json'), JSON.stringify({ generatedAt: new Date().toISOString(), seconds: SECONDS, latencyRate: PACED_RATE, workers: WORKERS, window: WINDOW, payloadBytes: PAYLOAD_BYTES, ...out }, null, 2) + '\n');
  console.log('written bench/results/broker.json');
} finally {
  await rm(dir, { recursive: true, force: true });
}
