/**
 * A broker cluster for tests: one real redis-server (deploy/redis/redis.conf) and broker nodes on
 * it, in this process (startBroker) or as their own processes (cluster-processes.ts, to be killed
 * with SIGKILL), all on one credentials file.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startBroker, type BrokerHandle, type BrokerOptions } from '../../broker/src/broker.js';
import { provisionAccounts, type AccountRequest } from '@yizhan/broker/credentials';
import { ClusterProcesses, type BrokerNode, type RedisProc } from './cluster-processes.js';
import { tempDir } from './helpers.js';

export interface TestCluster {
  dir: string;
  redisUrl: string;
  /** The redis-server process (stop, restart). */
  redisProc: RedisProc;
  /** A client of the cluster's Redis, for looking at keys. */
  redis: Redis;
  secret(username: string): string;
  /** A node in this process. */
  node(extra?: Partial<Omit<BrokerOptions, 'credentialsFile' | 'redisUrl'>>): Promise<BrokerHandle>;
  /** A node in its own process; `env` adds settings. */
  processNode(env?: NodeJS.ProcessEnv): Promise<BrokerNode>;
  stop(): Promise<void>;
}

export async function startCluster(accounts: AccountRequest[]): Promise<TestCluster> {
  const { dir, cleanup } = await tempDir('yizhan-cluster-');
  const procs = new ClusterProcesses(dir);
  const nodes: BrokerHandle[] = [];
  const redisProc = await procs.startRedis();
  const redis = new Redis(redisProc.port, '127.0.0.1');
  redis.on('error', () => undefined); // a test that stops Redis asserts what the brokers do
  const file = join(dir, 'credentials.json');
  const secrets = await provisionAccounts(file, accounts);
  let n = 0;
  return {
    dir,
    redisUrl: redisProc.url,
    redisProc,
    redis,
    secret(u) {
      const s = secrets.get(u);
      if (s === undefined) throw new Error(`no account ${u} in this test cluster`);
      return s;
    },
    async node(extra = {}) {
      const b = await startBroker({ port: 0, credentialsFile: file, redisUrl: redisProc.url, logger: pino({ level: 'silent' }), credentials: { pollIntervalMs: 100 }, ...extra });
      nodes.push(b);
      return b;
    },
    processNode: (env = {}) => procs.startNode(`node-${++n}`, redisProc.url, env),
    async stop() {
      await Promise.all(nodes.map((b) => b.close().catch(() => undefined)));
      procs.killAll();
      redis.disconnect();
      await cleanup();
    },
  };
}
