/**
 * A broker cluster for tests: one real redis-server (durable, as docs/broker.md asks) and broker
 * nodes on it, in this process (startBroker) or as their own processes (broker/src/main.ts, to be
 * killed with SIGKILL), all on one credentials file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startBroker, type BrokerHandle, type BrokerOptions } from '../../broker/src/broker.js';
import { provisionAccounts, type AccountRequest } from '@yizhan/broker/credentials';
import { freePort, waitForPort } from '../../scripts/lib/ports.js';
import { ROOT, tempDir } from './helpers.js';

export interface TestCluster {
  dir: string;
  redisUrl: string;
  /** A client of the cluster's Redis, for looking at keys. */
  redis: Redis;
  secret(username: string): string;
  /** A node in this process. */
  node(extra?: Partial<Omit<BrokerOptions, 'credentialsFile' | 'redisUrl'>>): Promise<BrokerHandle>;
  /** A node in its own process; `env` adds settings. */
  processNode(env?: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string }>;
  stop(): Promise<void>;
}

export async function startCluster(accounts: AccountRequest[]): Promise<TestCluster> {
  const { dir, cleanup } = await tempDir('yizhan-cluster-');
  const children: ChildProcess[] = [];
  const nodes: BrokerHandle[] = [];
  const redisPort = await freePort();
  const redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--dir', dir], {
    stdio: 'ignore',
  });
  children.push(redisProc);
  await waitForPort(redisPort);
  const redisUrl = `redis://127.0.0.1:${redisPort}/0`;
  const redis = new Redis(redisPort, '127.0.0.1');
  const file = join(dir, 'credentials.json');
  const secrets = await provisionAccounts(file, accounts);
  const secret = (u: string): string => {
    const s = secrets.get(u);
    if (s === undefined) throw new Error(`no account ${u} in this test cluster`);
    return s;
  };
  return {
    dir,
    redisUrl,
    redis,
    secret,
    async node(extra = {}) {
      const b = await startBroker({ port: 0, credentialsFile: file, redisUrl, logger: pino({ level: 'silent' }), credentials: { pollIntervalMs: 100 }, ...extra });
      nodes.push(b);
      return b;
    },
    async processNode(env = {}) {
      const port = await freePort();
      const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'broker/src/main.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          YIZHAN_CREDENTIALS_FILE: file,
          YIZHAN_MQTT_PORT: String(port),
          YIZHAN_BROKER_METRICS_PORT: String(await freePort()),
          YIZHAN_REDIS_URL: redisUrl,
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(proc);
      await waitForPort(port);
      return { proc, url: `mqtt://127.0.0.1:${port}` };
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      redis.disconnect();
      await cleanup();
    },
  };
}
