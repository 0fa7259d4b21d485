/**
 * Real processes of the broker cluster tests: redis-servers (the repository's deploy/redis/redis.conf
 * unless told otherwise, each with its own data folder) and broker processes (broker/src/main.ts) on it,
 * all on free ports, all killed by `killAll()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../scripts/lib/ports.js';
import { ROOT } from './helpers.js';

export const REDIS_CONF = join(ROOT, 'deploy/redis/redis.conf');

export interface Proc {
  proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
}

export interface RedisProc extends Proc {
  port: number;
  url: string;
  /** Send `signal` and wait until redis-server has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start redis-server again on the same port and folder (the append-only file is reloaded). */
  restart(): Promise<void>;
}

export interface BrokerNode extends Proc {
  port: number;
  metricsPort: number;
  url: string;
  /** GET /healthz, parsed. */
  health(): Promise<{ status: string; problems: string[]; [key: string]: unknown }>;
}

export class ClusterProcesses {
  private readonly children: ChildProcess[] = [];

  /** `dir`: the folder of the credentials file and of Redis' data. */
  constructor(private readonly dir: string) {}

  start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stdout?.resume();
    proc.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const exited = new Promise<number | NodeJS.Signals>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    this.children.push(proc);
    return { proc, stderr: () => err, exited };
  }

  /** redis-server with `conf` (default: deploy/redis/redis.conf) and `args` after it. */
  async startRedis(opts: { conf?: string | null; args?: string[] } = {}): Promise<RedisProc> {
    const port = await freePort();
    const conf = opts.conf === undefined ? REDIS_CONF : opts.conf;
    const dataDir = join(this.dir, `redis-${port}`); // its own folder: a restart finds its own files only
    await mkdir(dataDir, { recursive: true });
    const args = [...(conf ? [conf] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, ...(opts.args ?? [])];
    const run = async (): Promise<Proc> => {
      const p = this.start('redis-server', args);
      await waitForPort(port);
      return p;
    };
    let cur = await run();
    const redis: RedisProc = {
      port,
      url: `redis://127.0.0.1:${port}/0`,
      get proc() {
        return cur.proc;
      },
      stderr: () => cur.stderr(),
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
    return redis;
  }

  /** A broker process on `redisUrl`; resolves once its MQTT port accepts connections. */
  async startNode(name: string, redisUrl: string, env: NodeJS.ProcessEnv = {}): Promise<BrokerNode> {
    const node = this.spawnNode(name, redisUrl, env, await freePort(), await freePort());
    await Promise.race([
      waitForPort(node.port, '127.0.0.1', 30_000),
      node.exited.then((code) => {
        throw new Error(`broker ${name} exited (${code}) before listening: ${node.stderr()}`);
      }),
    ]);
    return node;
  }

  /** A broker process, not waited for (e.g. one expected to refuse to start). */
  spawnNode(name: string, redisUrl: string, env: NodeJS.ProcessEnv, port: number, metricsPort: number): BrokerNode {
    const p = this.start(process.execPath, ['--import', 'tsx', join(ROOT, 'broker/src/main.ts')], {
      YIZHAN_CREDENTIALS_FILE: join(this.dir, 'credentials.json'),
      YIZHAN_MQTT_PORT: String(port),
      YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
      YIZHAN_REDIS_URL: redisUrl,
      YIZHAN_LANG: 'en',
      LOG_LEVEL: 'warn',
      NODE_NAME: name,
      ...env,
    });
    return {
      ...p,
      port,
      metricsPort,
      url: `mqtt://127.0.0.1:${port}`,
      async health() {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
        return (await res.json()) as Awaited<ReturnType<BrokerNode['health']>>;
      },
    };
  }

  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
