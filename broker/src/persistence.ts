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
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import { openRedisLink, type RedisLink } from './redis.js';

const require = createRequire(import.meta.url);

export interface ClusterBackend {
  /** An aedes persistence (aedes-persistence-redis). */
  persistence: object;
  /** An mqemitter (mqemitter-redis). */
  mq: object;
  /** The Redis connections, watched (redis.ts): stats, /healthz problem, routing restored. */
  redis: RedisLink;
  /** Disconnect from Redis (after aedes is closed: aedes closes `mq` itself, not the persistence). */
  close(): Promise<void>;
}

/** The few Redis commands the broker's patches send themselves (queue lengths, the will list). */
export interface RedisClient {
  llen(key: string): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

/** Seconds a queued QoS 1/2 message is kept in Redis for an absent client (7 days). */
export const DEFAULT_REDIS_PACKET_TTL_S = 7 * 24 * 3600;

export interface RedisBackendOptions {
  packetTtlS?: number;
  log: Logger;
  /** Throttle of Redis error lines. */
  logIntervalMs: number;
  /** Check Redis' persistence settings at start (default on). */
  durabilityCheck?: boolean;
}

/**
 * Connects to Redis, checks that it keeps what it acknowledges (redis.ts; throws RedisStartError)
 * and builds the Redis-backed persistence and emitter on those connections. Outages are counted,
 * logged and shown in /healthz; the broker resumes when Redis is back.
 */
export async function redisBackend(url: string, opts: RedisBackendOptions): Promise<ClusterBackend> {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`Redis URL must start with redis:// or rediss://, got "${url}"`);
  const link = await openRedisLink(url, { log: opts.log, logIntervalMs: opts.logIntervalMs, durabilityCheck: opts.durabilityCheck ?? true });
  // Both packages are CommonJS; each takes the connections made above.
  const persistenceFactory = require('aedes-persistence-redis') as (o: Record<string, unknown>) => { destroy(): Promise<void> } & NodeJS.EventEmitter;
  const mqFactory = require('mqemitter-redis') as (o: Record<string, unknown>) => MqEmitterRedis;
  const ttl = opts.packetTtlS ?? DEFAULT_REDIS_PACKET_TTL_S;
  // maxSessionDelivery: how many queued messages a reconnecting session is sent (LRANGE 0..n of
  // its queue); -1 is the whole queue, read once at the reconnect. With the package's default
  // (1,000) the rest waited in Redis for further reconnects.
  const persistence = persistenceFactory({ conn: link.db, packetTTL: () => ttl, maxSessionDelivery: -1 });
  const mq = mqFactory({ pubConn: link.pub, subConn: link.sub });
  // mqemitter-redis re-emits its connections' errors on `state`, which has no listener: the process
  // would end on the first one. They are counted and logged where they happen (redis.ts).
  mq.state.on('error', () => undefined);
  // aedes-persistence's callback layer emits errors of its own set-up path; aedes does not use it
  persistence.on('error', (err: Error) => opts.log.error({ err }, 'Redis persistence error'));
  closeWithoutRedis(mq, link);
  return {
    persistence,
    mq,
    redis: link,
    close: async () => {
      await persistence.destroy().catch((err: unknown) => opts.log.warn({ err }, 'Redis persistence not closed cleanly'));
      link.disconnect();
    },
  };
}

interface MqEmitterRedis {
  state: NodeJS.EventEmitter;
  closing?: boolean;
  close(cb?: () => void): unknown;
  /** mqemitter's own close, kept by mqemitter-redis. */
  _close(cb: () => void): unknown;
}

/**
 * mqemitter-redis closes by QUIT on both connections and waits for their 'end': with a connection
 * down, QUIT fails (no offline queue) and 'end' never comes, so the broker would not close while
 * Redis is away. Then disconnect at once and close the emitter itself.
 */
function closeWithoutRedis(mq: MqEmitterRedis, link: RedisLink): void {
  const close = mq.close.bind(mq);
  mq.close = (cb) => {
    if (link.pub.status === 'ready' && link.sub.status === 'ready') return close(cb);
    mq.closing = true;
    link.pub.disconnect();
    link.sub.disconnect();
    return mq._close(cb ?? (() => undefined));
  };
}

/**
 * While this node's subscribe connection was down, messages published through other nodes were
 * queued in Redis for the persistent sessions connected here but not routed here. When it is back
 * (resubscribed), those sessions' connections are closed: they reconnect and aedes delivers their
 * queue from Redis.
 */
export function resumeRoutingAfterOutage(aedes: Aedes, backend: ClusterBackend, log: Logger): void {
  backend.redis.onRoutingRestored(() => {
    const persistent = Object.values((aedes as Aedes & { clients: Record<string, Client> }).clients).filter((c) => !c.clean);
    if (persistent.length === 0) return;
    log.warn({ clients: persistent.map((c) => c.id) }, 'Redis message routing is back: persistent sessions reconnect to fetch what was queued meanwhile');
    for (const c of persistent) c.close();
  });
}
