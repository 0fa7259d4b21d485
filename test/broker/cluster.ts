/**
 * A broker cluster for tests: real redis-servers (the repository's deploy/redis/redis.conf unless
 * told otherwise, each with its own data folder) and broker nodes on them, all on free ports and on
 * one credentials file with the accounts a test asks for. A node runs as its own process
 * (broker/src/main.ts, to be killed with SIGKILL) or in this process (startBroker). What a cluster
 * started is ended by `stop()`. `startHaproxy` puts deploy/haproxy/haproxy.cfg in front of two nodes.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { provisionAccounts, type AccountRequest } from '@yizhan/broker/credentials';
import { startBroker, type BrokerHandle, type BrokerOptions } from '../../broker/src/broker.js';
import { freePort } from '../../scripts/lib/ports.js';
import { sumOf } from '../helpers/prom.js';
import { spawnBroker, tempDir } from './helpers.js';
import { ROOT, spawnProcess, type TestProcess } from '../helpers/processes.js';

const REDIS_CONF = join(ROOT, 'deploy/redis/redis.conf');

/** A process of the cluster. */
export interface Proc {
  proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything it wrote to stdout and stderr so far (its log). */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
}

export interface RedisProc extends Proc {
  port: number;
  /** `redis://127.0.0.1:<port>/0` */
  url: string;
  /** Send `signal` and wait until redis-server has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start redis-server again on the same port and folder (the append-only file is reloaded). */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** Its configuration file (default: deploy/redis/redis.conf); null: none, redis-server's defaults. */
  conf?: string | null;
  /** Arguments after the configuration file. */
  args?: string[];
}

/** A broker process (broker/src/main.ts). */
export interface ClusterNode extends Proc {
  name: string;
  port: number;
  metricsPort: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` (what haproxy takes) */
  address: string;
  /** GET /healthz, parsed. */
  health(): Promise<{ status: string; problems: string[]; [key: string]: unknown }>;
  /** Authenticated clients of `role` connected to this node now (its /metrics). */
  connected(role: string): Promise<number>;
  /** SIGKILL, as a crash or an OOM kill; resolves when the process is gone. */
  kill(): Promise<void>;
}

export interface NodeOptions {
  /** Its Redis (default: the cluster's). */
  redisUrl?: string;
  /** Settings on top of the cluster's. */
  env?: NodeJS.ProcessEnv;
}

/** Options of a node in this process, besides the cluster's credentials file and Redis. */
export type InProcessOptions = Partial<Omit<BrokerOptions, 'credentialsFile' | 'redisUrl'>>;

export interface Cluster {
  dir: string;
  /** The cluster's redis-server (stop, restart). */
  redisProc: RedisProc;
  /** A client of the cluster's Redis, for looking at keys (connected on first use). */
  readonly redis: Redis;
  secret(username: string): string;
  /** Another redis-server, for nodes given its URL. */
  startRedis(opts?: RedisOptions): Promise<RedisProc>;
  /** A broker process; resolves once its MQTT and metrics ports accept connections. */
  startNode(name: string, opts?: NodeOptions): Promise<ClusterNode>;
  /** A broker process, not waited for (e.g. one expected to refuse to start). */
  spawnNode(name: string, opts?: NodeOptions): Promise<ClusterNode>;
  /** A node in this process (MQTT on a free port, the credentials file polled every 100 ms). */
  inProcessNode(extra?: InProcessOptions): Promise<BrokerHandle>;
  /** Start another process of the test's (haproxy), killed by `stop()` too. */
  track(p: ChildProcess): ChildProcess;
  stop(): Promise<void>;
}

const running = (p: ChildProcess): boolean => p.exitCode === null && p.signalCode === null;

function killed(p: ChildProcess): Promise<void> {
  if (!running(p)) return Promise.resolve();
  const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGKILL');
  return gone;
}

/** The processes of one cluster: every one started is tracked, and killed by `killAll()`. */
class ClusterProcesses {
  private readonly children: ChildProcess[] = [];

  /** `dir`: the folder of the credentials file and of Redis' data. */
  constructor(private readonly dir: string) {}

  track(p: ChildProcess): ChildProcess {
    this.children.push(p);
    return p;
  }

  private spawned(p: TestProcess): TestProcess {
    this.track(p.proc);
    return p;
  }

  async startRedis(opts: RedisOptions = {}): Promise<RedisProc> {
    const port = await freePort();
    const conf = opts.conf === undefined ? REDIS_CONF : opts.conf;
    const dataDir = join(this.dir, `redis-${port}`); // its own folder: a restart finds its own files only
    await mkdir(dataDir, { recursive: true });
    const args = [
      ...(conf ? [conf] : []),
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dataDir,
      ...(opts.args ?? []),
    ];
    const run = async (): Promise<TestProcess> => {
      const p = this.spawned(spawnProcess('redis-server', 'redis-server', args));
      await p.listening([port], 15_000);
      return p;
    };
    let cur = await run();
    return {
      port,
      url: `redis://127.0.0.1:${port}/0`,
      get proc() {
        return cur.proc;
      },
      stderr: () => cur.stderr(),
      output: () => cur.output(),
      get exited() {
        return cur.exited;
      },
      async stop(signal = 'SIGTERM') {
        cur.proc.kill(signal);
        await cur.exited;
      },
      async restart() {
        cur = await run();
      },
    };
  }

  /** A broker process on `redisUrl`, and `listening()` to wait until its ports accept connections. */
  async spawnNode(
    name: string,
    redisUrl: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ node: ClusterNode; listening: () => Promise<void> }> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const b = this.spawned(
      spawnBroker({
        YIZHAN_CREDENTIALS_FILE: join(this.dir, 'credentials.json'),
        YIZHAN_MQTT_PORT: String(port),
        YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
        YIZHAN_REDIS_URL: redisUrl,
        YIZHAN_LANG: 'en',
        LOG_LEVEL: 'warn',
        NODE_NAME: name,
        ...env,
      }),
    );
    const side = `http://127.0.0.1:${metricsPort}`;
    const node: ClusterNode = {
      name,
      proc: b.proc,
      stderr: () => b.stderr(),
      output: () => b.output(),
      exited: b.exited,
      port,
      metricsPort,
      url: `mqtt://127.0.0.1:${port}`,
      address: `127.0.0.1:${port}`,
      async health() {
        const res = await fetch(`${side}/healthz`);
        return (await res.json()) as Awaited<ReturnType<ClusterNode['health']>>;
      },
      async connected(role) {
        const res = await fetch(`${side}/metrics`);
        return sumOf(await res.text(), 'yizhan_broker_connected_clients', { role });
      },
      kill: () => killed(b.proc),
    };
    return { node, listening: () => b.listening([port, metricsPort]) };
  }

  async killAll(): Promise<void> {
    await Promise.all(this.children.map(killed));
  }
}

/**
 * A temp folder (`prefix`), the accounts provisioned in its credentials file and the cluster's
 * redis-server (deploy/redis/redis.conf); nodes are started by the test.
 */
export async function startCluster(prefix: string, accounts: AccountRequest[]): Promise<Cluster> {
  const { dir, cleanup } = await tempDir(prefix);
  const procs = new ClusterProcesses(dir);
  const inProcess: BrokerHandle[] = [];
  let client: Redis | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(inProcess.map((b) => b.close().catch(() => undefined)));
    await procs.killAll();
    client?.disconnect();
    await cleanup();
  };
  try {
    const redisProc = await procs.startRedis();
    const credentials = join(dir, 'credentials.json');
    const secrets = await provisionAccounts(credentials, accounts);
    const spawnNode = (name: string, { redisUrl = redisProc.url, env }: NodeOptions = {}) =>
      procs.spawnNode(name, redisUrl, env);
    return {
      dir,
      redisProc,
      get redis() {
        if (!client) {
          client = new Redis(redisProc.port, '127.0.0.1');
          client.on('error', () => undefined); // a test that stops Redis asserts what the brokers do
        }
        return client;
      },
      secret(username) {
        const s = secrets.get(username);
        if (s === undefined) throw new Error(`no account ${username} in this cluster`);
        return s;
      },
      startRedis: (opts) => procs.startRedis(opts),
      spawnNode: async (name, opts) => (await spawnNode(name, opts)).node,
      async startNode(name, opts) {
        const { node, listening } = await spawnNode(name, opts);
        await listening();
        return node;
      },
      async inProcessNode(extra = {}) {
        const b = await startBroker({
          port: 0,
          credentialsFile: credentials,
          redisUrl: redisProc.url,
          logger: pino({ level: 'silent' }),
          credentials: { pollIntervalMs: 100 },
          ...extra,
        });
        inProcess.push(b);
        return b;
      },
      track: (p) => procs.track(p),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Debian installs haproxy in /usr/sbin, which a non-root PATH may lack. */
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

/**
 * haproxy in the foreground with the repository's deploy/haproxy/haproxy.cfg, unchanged: its
 * addresses from the environment (a free port to bind, the two nodes). Resolves when it listens.
 */
export async function startHaproxy(
  cluster: Cluster,
  nodes: [ClusterNode, ClusterNode],
): Promise<{ url: string }> {
  const port = await freePort();
  const h = spawnProcess(
    'haproxy (scripts/setup-os.sh test installs it)',
    HAPROXY,
    ['-db', '-f', join(ROOT, 'deploy/haproxy/haproxy.cfg')],
    {
      YIZHAN_LB_BIND: `127.0.0.1:${port}`,
      YIZHAN_BROKER_1: nodes[0].address,
      YIZHAN_BROKER_2: nodes[1].address,
    },
  );
  cluster.track(h.proc);
  await h.listening([port], 15_000);
  return { url: `mqtt://127.0.0.1:${port}` };
}
