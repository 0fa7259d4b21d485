/**
 * The broker side of bench:cluster: one MQTT broker engine run as a cluster of processes on this
 * machine. `yizhan` is the project's broker: redis-server with durable settings (append-only file;
 * deploy/redis/redis.conf when the project has one) and N broker nodes (broker/src/main.ts) with
 * YIZHAN_REDIS_URL, each with its own MQTT and metrics port. Other engines (RabbitMQ's MQTT plugin:
 * bench/cluster-rabbitmq.ts) implement the same interface and are loaded by loadEngine().
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { sleep } from '../test/helpers/wait.js';
import { baseEnv, FAST_SCRYPT } from './faults-stack.js';
import { nodeProc, plainProc, type Proc } from './ingest-procs.js';

/** One MQTT broker engine run as a cluster of processes on this machine, for bench:cluster. */
export interface ClusterAccount {
  username: string;
  role: 'station' | 'server';
}
export interface ClusterEngine {
  /** e.g. 'yizhan' (aedes nodes on Redis), 'rabbitmq' (RabbitMQ MQTT plugin). */
  readonly name: string;
  /** Start every process under `dir` (its own data folders there), create the accounts (station ACL: publish only
   *  yizhan/v1/stations/<username>/#, subscribe its own …/cmd and …/config/desired; server: subscribe
   *  yizhan/v1/stations/#, publish cmd and config/desired). Resolves with each account's secret once every node serves MQTT. */
  start(dir: string, accounts: ClusterAccount[]): Promise<Map<string, string>>;
  /** mqtt://127.0.0.1:PORT of each broker node, in node order. */
  nodeUrls(): string[];
  /** Names of the processes the matrix may kill: the nodes ('node-1', 'node-2', …) and any backend ('redis'). */
  parts(): string[];
  /** Send `signal` (default SIGKILL) to that part and resolve when the process has exited. */
  kill(part: string, signal?: NodeJS.Signals): Promise<void>;
  /** Start that part again with its data folder; resolve when it serves again (and, for a node, has rejoined the cluster). */
  restart(part: string): Promise<void>;
  /** Stop everything (SIGKILL is fine) and leave `dir` to the caller. Safe to call twice. */
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');
const REDIS_CONF = join(ROOT, 'deploy/redis/redis.conf');

/** Wait until `port` takes connections; fails at once when `p` exits first, and after `timeoutMs`. */
export async function serving(p: Proc, port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(
        `${what} exited (${p.child.exitCode ?? p.child.signalCode}) before serving on port ${port}`,
      );
    if (
      await waitForPort(port, '127.0.0.1', 500).then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`${what}: port ${port} not open after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** SIGKILL (or `signal`) a process and wait for its exit. */
export async function killProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  await exited;
}

export interface YizhanClusterOptions {
  nodes: number;
  /** YIZHAN_MQTT_SESSION_QUEUE of every node. */
  sessionQueue: number;
}

/** The yizhan broker: N aedes nodes on one redis-server. */
export class YizhanCluster implements ClusterEngine {
  readonly name = 'yizhan';
  private dir = '';
  private redisPort = 0;
  private readonly mqttPorts: number[] = [];
  /** Each node's side HTTP port (/metrics, /healthz). */
  readonly metricsPorts: number[] = [];
  private readonly procs = new Map<string, Proc>();
  /** Parts that exited without being killed, with their exit code or signal, not taken yet. */
  private crashed: string[] = [];

  constructor(private readonly o: YizhanClusterOptions) {}

  async start(dir: string, accounts: ClusterAccount[]): Promise<Map<string, string>> {
    this.dir = dir;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    this.redisPort = await freePort();
    for (let i = 0; i < this.o.nodes; i++) {
      this.mqttPorts.push(await freePort());
      this.metricsPorts.push(await freePort());
    }
    const secrets = await provisionAccounts(join(dir, 'credentials.json'), accounts, { params: FAST_SCRYPT });
    await this.restart('redis');
    await Promise.all(this.nodeNames().map((n) => this.restart(n)));
    return secrets;
  }

  nodeUrls(): string[] {
    return this.mqttPorts.map((p) => `mqtt://127.0.0.1:${p}`);
  }

  parts(): string[] {
    return [...this.nodeNames(), 'redis'];
  }

  /** Where redis keeps its append-only file, and how it was configured. */
  redisConfig(): string {
    return existsSync(REDIS_CONF)
      ? REDIS_CONF
      : 'appendonly yes, appendfsync everysec (no deploy/redis/redis.conf)';
  }

  async kill(part: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.check(part);
    const p = this.procs.get(part);
    this.procs.delete(part);
    await killProc(p, signal);
  }

  /** The parts that exited by themselves since the last call ('node-1 (exit 1)'); they stay down until restarted. */
  takeCrashes(): string[] {
    return this.crashed.splice(0);
  }

  private watch(part: string, p: Proc): void {
    this.procs.set(part, p);
    p.child.once('exit', (code, sig) => {
      if (this.procs.get(part) !== p) return;
      this.procs.delete(part);
      this.crashed.push(`${part} (${code === null ? sig : `exit ${code}`})`);
    });
  }

  async restart(part: string): Promise<void> {
    this.check(part);
    const logs = join(this.dir, 'logs');
    if (part === 'redis') {
      const data = join(this.dir, 'redis');
      mkdirSync(data, { recursive: true });
      const conf = existsSync(REDIS_CONF)
        ? [REDIS_CONF]
        : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
      const args = [
        ...conf,
        '--port',
        String(this.redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        data,
        '--daemonize',
        'no',
      ];
      const p = plainProc('redis', 'redis-server', args, baseEnv(), logs);
      this.watch(part, p);
      await serving(p, this.redisPort, 'redis-server');
      return;
    }
    const i = this.nodeNames().indexOf(part);
    const env = {
      ...baseEnv(),
      LOG_LEVEL: 'info',
      YIZHAN_MQTT_HOST: '127.0.0.1',
      YIZHAN_MQTT_PORT: String(this.mqttPorts[i]),
      YIZHAN_BROKER_METRICS_PORT: String(this.metricsPorts[i]),
      YIZHAN_DATA_DIR: join(this.dir, part),
      YIZHAN_CREDENTIALS_FILE: join(this.dir, 'credentials.json'),
      YIZHAN_REDIS_URL: `redis://127.0.0.1:${this.redisPort}/0`,
      YIZHAN_MQTT_SESSION_QUEUE: String(this.o.sessionQueue),
    };
    mkdirSync(join(this.dir, part), { recursive: true });
    const p = nodeProc(part, join(ROOT, 'broker/src/main.ts'), [], env, logs);
    this.watch(part, p);
    await serving(p, this.mqttPorts[i] ?? 0, `broker ${part}`);
  }

  async stop(): Promise<void> {
    const procs = [...this.procs.values()];
    this.procs.clear();
    await Promise.all(procs.map((p) => killProc(p)));
  }

  private nodeNames(): string[] {
    return Array.from({ length: this.o.nodes }, (_, i) => `node-${i + 1}`);
  }

  private check(part: string): void {
    if (!this.parts().includes(part))
      throw new Error(`${this.name}: no part "${part}" (parts: ${this.parts().join(', ')})`);
  }
}

/** A binary on PATH or in /usr/sbin (Debian puts some servers there). */
export function hasBinary(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/lib/rabbitmq/bin'];
  return dirs.some((d) => d && existsSync(join(d, name)));
}

export type EngineOrSkip = { engine: ClusterEngine } | { skip: string };

/**
 * The engine named `name`: 'yizhan' here; 'rabbitmq' from bench/cluster-rabbitmq.ts when that file
 * and rabbitmq-server are there (two nodes, RabbitMQ's defaults: classic session queues).
 * Otherwise `skip` says why.
 */
export async function loadEngine(name: string, o: YizhanClusterOptions): Promise<EngineOrSkip> {
  if (name === 'yizhan') return { engine: new YizhanCluster(o) };
  if (name !== 'rabbitmq') return { skip: `unknown engine "${name}" (yizhan or rabbitmq)` };
  const file = join(ROOT, 'bench/cluster-rabbitmq.ts');
  if (!existsSync(file))
    return { skip: `rabbitmq: ${file} is not there (no RabbitMQ engine on this branch)` };
  if (!hasBinary('rabbitmq-server'))
    return { skip: 'rabbitmq: rabbitmq-server is not installed (apt-get install rabbitmq-server)' };
  const mod = (await import(file)) as { rabbitmqEngine?: (x: { nodes?: number }) => ClusterEngine };
  if (typeof mod.rabbitmqEngine !== 'function') return { skip: `rabbitmq: ${file} exports no rabbitmqEngine()` };
  return { engine: mod.rabbitmqEngine({ nodes: 2 }) };
}
