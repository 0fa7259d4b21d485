/**
 * Where aedes keeps sessions, retained messages, wills and QoS 1/2 queues, and how brokers talk
 * to each other:
 * - default: in memory, one process (aedes-persistence + mqemitter), journalled to disk
 *   (broker/src/disk-state.ts) unless turned off;
 * - with a Redis URL: aedes-persistence-redis + mqemitter-redis, so several broker processes on
 *   the same Redis act as one broker (a client may reconnect to any of them and find its
 *   subscriptions, queued messages and the retained statuses).
 * Either way, each persistent session's queue is bounded (aedes-patches/queue-bound.ts).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface ClusterBackend {
  /** An aedes persistence (aedes-persistence-redis). */
  persistence: object;
  /** An mqemitter (mqemitter-redis). */
  mq: object;
  /** A connection of the broker's own, for what the persistence does not offer (queue lengths, the will list). */
  redis: RedisClient;
  /** Disconnect from Redis (after aedes is closed: aedes closes `mq` itself, not the persistence). */
  close(): Promise<void>;
}

/** The few Redis commands the broker sends itself (ioredis). */
export interface RedisClient {
  llen(key: string): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  disconnect(): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Seconds a queued QoS 1/2 message is kept in Redis for an absent client (7 days). */
export const DEFAULT_REDIS_PACKET_TTL_S = 7 * 24 * 3600;

/** Builds the Redis-backed persistence and emitter. Connection problems surface as aedes 'error' events and logs. */
export function redisBackend(url: string, opts: { packetTtlS?: number } = {}): ClusterBackend {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`Redis URL must start with redis:// or rediss://, got "${url}"`);
  // Both packages are CommonJS; ioredis accepts the URL as connectionString.
  const persistenceFactory = require('aedes-persistence-redis') as (o: Record<string, unknown>) => { destroy(): Promise<void> };
  const mqFactory = require('mqemitter-redis') as (o: Record<string, unknown>) => object;
  const ttl = opts.packetTtlS ?? DEFAULT_REDIS_PACKET_TTL_S;
  // maxSessionDelivery: how many queued messages a reconnecting session is sent (LRANGE 0..n of
  // its queue); -1 is the whole queue, read once at the reconnect. With the package's default
  // (1,000) the rest waited in Redis for further reconnects.
  const persistence = persistenceFactory({ ...redisOptions(u), packetTTL: () => ttl, maxSessionDelivery: -1 });
  const mq = mqFactory({ connectionString: url });
  const Redis = require('ioredis') as new (o: Record<string, unknown>) => RedisClient;
  const redis = new Redis(redisOptions(u));
  return {
    persistence,
    mq,
    redis,
    close: async () => {
      await persistence.destroy();
      redis.disconnect();
    },
  };
}

function redisOptions(u: URL): Record<string, unknown> {
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    db: Number.isInteger(db) ? db : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
