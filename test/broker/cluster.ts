/**
 * A broker cluster for tests: one real redis-server and broker processes (broker/src/main.ts) on it,
 * each on free ports, with the accounts a test asks for. What it started is killed by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { provisionAccounts, type AccountRequest } from '@yizhan/broker/credentials';
import { freePort, waitForPort } from '../../scripts/lib/ports.js';
import { sumOf } from '../helpers/prom.js';
import { ClusterProcesses } from './cluster-processes.js';
import { ROOT, spawnBroker, tempDir } from './helpers.js';

export interface ClusterNode {
  name: string;
  proc: ChildProcess;
  port: number;
  metricsPort: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` (what haproxy takes) */
  address: string;
  /** Authenticated clients of `role` connected to this node now (its /metrics). */
  connected(role: string): Promise<number>;
  /** SIGKILL, as a crash or an OOM kill; resolves when the process is gone. */
  kill(): Promise<void>;
}

export interface Cluster {
  dir: string;
  redisUrl: string;
  secret(username: string): string;
  startNode(name: string): Promise<ClusterNode>;
  /** Start another process of the test's (haproxy), killed by `stop()` too. */
  track(p: ChildProcess): ChildProcess;
  stop(): Promise<void>;
}

function killed(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGKILL');
  return gone;
}

/** redis-server with the repository's deploy/redis/redis.conf in a temp folder, the accounts provisioned in its credentials file. */
export async function startCluster(prefix: string, accounts: AccountRequest[]): Promise<Cluster> {
  const { dir, cleanup } = await tempDir(prefix);
  const children: ChildProcess[] = [];
  const track = (p: ChildProcess): ChildProcess => {
    children.push(p);
    return p;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(killed));
    await cleanup();
  };
  try {
    const redis = await new ClusterProcesses(dir).startRedis();
    track(redis.proc);
    const redisUrl = redis.url;
    const credentials = join(dir, 'credentials.json');
    const secrets = await provisionAccounts(credentials, accounts);
    return {
      dir,
      redisUrl,
      track,
      stop,
      secret(username) {
        const s = secrets.get(username);
        if (s === undefined) throw new Error(`no account ${username} in this cluster`);
        return s;
      },
      async startNode(name) {
        const [port, metricsPort] = [await freePort(), await freePort()];
        const b = spawnBroker({
          YIZHAN_CREDENTIALS_FILE: credentials,
          YIZHAN_MQTT_PORT: String(port),
          YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
          YIZHAN_REDIS_URL: redisUrl,
          LOG_LEVEL: 'warn',
          NODE_NAME: name,
        });
        track(b.proc);
        await b.listening([port, metricsPort]);
        return {
          name,
          proc: b.proc,
          port,
          metricsPort,
          url: `mqtt://127.0.0.1:${port}`,
          address: `127.0.0.1:${port}`,
          async connected(role) {
            const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
            return sumOf(await res.text(), 'yizhan_broker_connected_clients', { role });
          },
          kill: () => killed(b.proc),
        };
      },
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
export async function startHaproxy(cluster: Cluster, nodes: [ClusterNode, ClusterNode]): Promise<{ url: string }> {
  const port = await freePort();
  const p = cluster.track(
    spawn(HAPROXY, ['-db', '-f', join(ROOT, 'deploy/haproxy/haproxy.cfg')], {
      env: {
        ...process.env,
        YIZHAN_LB_BIND: `127.0.0.1:${port}`,
        YIZHAN_BROKER_1: nodes[0].address,
        YIZHAN_BROKER_2: nodes[1].address,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let err = '';
  p.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const failed = new Promise<never>((_, reject) => {
    p.once('error', (e) => reject(new Error(`cannot start haproxy (${e.message}); run scripts/setup-os.sh test`)));
    p.once('exit', (code) => reject(new Error(`haproxy exited (code ${code}):\n${err}`)));
  });
  failed.catch(() => {});
  await Promise.race([waitForPort(port), failed]);
  return { url: `mqtt://127.0.0.1:${port}` };
}
