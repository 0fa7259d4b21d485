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
  /** Disconnect from Redis (after aedes is closed: aedes closes `mq` itself, not the persistence). */
  close(): Promise<void>;
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
  const persistence = persistenceFactory({ ...redisOptions(u), packetTTL: () => ttl, maxSessionDelivery: 1000 });
  const mq = mqFactory({ connectionString: url });
  return {
    persistence,
    mq,
    close: async () => {
      await persistence.destroy();
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
