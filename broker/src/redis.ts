/**
 * The broker's three Redis connections (persistence, publish, subscribe: persistence.ts hands them
 * to aedes-persistence-redis and mqemitter-redis), watched so that a Redis outage never ends the
 * process and loses nothing:
 * - every connection error and every failed command is counted and logged (throttled); a failed
 *   command's error is remembered, so main.ts can tell the rejections that aedes and
 *   aedes-persistence-redis leave unhandled (e.g. aedes' storeWill `.finally`, the persistence's
 *   unawaited LREMs) from real bugs;
 * - persistence and publish fail at once while Redis is unreachable (no offline queue): a station's
 *   QoS 1 PUBLISH then fails to store, its PUBACK is never sent (aedes-patches/ack-gate.ts) and
 *   aedes closes the connection; the station keeps the message and sends it again. Memory stays
 *   bounded (nothing piles up), and a command sent but unanswered (a Redis hung rather than gone)
 *   fails after `commandTimeoutMs` in the same way;
 * - subscribe keeps ioredis' offline queue (a few SUBSCRIBEs, one per topic filter) and resubscribes
 *   by itself when Redis is back; then `onRoutingRestored` runs, because the messages published
 *   while this node was not subscribed were queued in Redis but never routed here;
 * - `problem()` names Redis in /healthz while a connection is down.
 * The start checks that Redis keeps what it acknowledges (checkDurability).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { LogThrottle } from '@yizhan/common/log-throttle';

/** Where the Redis requirements are explained. */
export const REDIS_DOCS = 'docs/broker.md#redis-what-it-must-keep';

/** A command not answered within this time fails (its PUBACK is not sent; the station resends). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Longest wait between two attempts to reconnect to Redis, ms: after an outage, nodes are back within this of one another. */
export const REDIS_RETRY_MAX_MS = 1_000;
/** How long the start waits for Redis before refusing. */
const START_TIMEOUT_MS = 15_000;

export type RedisRole = 'persistence' | 'publish' | 'subscribe';

export interface RedisStats {
  /** Connections not ready now. */
  down: RedisRole[];
  connectionErrors: number;
  failedCommands: number;
}

/** Redis cannot be used at start: unreachable, or not configured to keep what it acknowledges. */
export class RedisStartError extends Error {
  override name = 'RedisStartError';
}

/** Errors of failed Redis commands (see the module comment). */
const commandErrors = new WeakSet<object>();

/** True when `err` is a Redis command's failure, already counted and logged. */
export function isRedisFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && commandErrors.has(err);
}

export interface RedisLinkOptions {
  log: Logger;
  /** Throttle of the error lines, per connection. */
  logIntervalMs: number;
  commandTimeoutMs?: number;
  /** Check Redis' persistence settings at start (off: the operator vouches for them). */
  durabilityCheck: boolean;
}

export interface RedisLink {
  db: Redis;
  pub: Redis;
  sub: Redis;
  /** Where Redis is, without credentials (for messages). */
  where: string;
  stats(): RedisStats;
  /** For /healthz: what is wrong with Redis now, if anything. */
  problem(): string | undefined;
  /** Run `fn` each time the subscribe connection is back after an outage (resubscribed). */
  onRoutingRestored(fn: () => void): void;
  disconnect(): void;
}

/** Connect the three connections, check Redis (durabilityCheck), and watch them. Throws RedisStartError. */
export async function openRedisLink(url: string, opts: RedisLinkOptions): Promise<RedisLink> {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
  const base: RedisOptions = {
    ...connectionOptions(u),
    lazyConnect: true,
    // retry forever, at least once a second: the broker resumes by itself when Redis is back
    retryStrategy: (times) => Math.min(times * 100, REDIS_RETRY_MAX_MS),
  };
  const failFast: RedisOptions = { ...base, enableOfflineQueue: false, commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS };
  const clients: Record<RedisRole, Redis> = {
    persistence: new Redis(failFast),
    publish: new Redis(failFast),
    // SUBSCRIBEs wait for Redis (never dropped, so none is forgotten on resubscription)
    subscribe: new Redis({ ...base, maxRetriesPerRequest: null }),
  };
  const throttle = new LogThrottle(opts.logIntervalMs);
  const stats = { connectionErrors: 0, failedCommands: 0 };
  let downSince: number | undefined;
  let lastError = '';
  const restored: (() => void)[] = [];
  let started = false;
  for (const [role, c] of Object.entries(clients) as [RedisRole, Redis][]) {
    c.on('error', (err: Error) => {
      stats.connectionErrors++;
      lastError = err.message;
      const suppressed = throttle.pass(`connection:${role}`);
      if (started && suppressed !== undefined)
        opts.log.error({ redis: where, connection: role, err: err.message, ...(suppressed ? { suppressed } : {}) }, 'Redis connection error; retrying (stations are not acknowledged meanwhile)');
    });
    c.on('close', () => {
      if (started && downSince === undefined) {
        downSince = Date.now();
        opts.log.error({ redis: where, connection: role }, 'Redis connection lost; QoS 1 messages are not acknowledged and connections fail until it is back');
      }
    });
    c.on('ready', () => {
      if (!started) return;
      if (role === 'subscribe') for (const fn of restored) fn();
      if (downSince !== undefined && Object.values(clients).every((x) => x.status === 'ready')) {
        opts.log.warn({ redis: where, downMs: Date.now() - downSince }, 'Redis reachable again');
        downSince = undefined;
      }
    });
    countFailedCommands(c, () => {
      stats.failedCommands++;
    }, (command, err) => {
      const suppressed = throttle.pass(`command:${role}`);
      if (started && suppressed !== undefined)
        opts.log.warn({ redis: where, connection: role, command, err: err.message, ...(suppressed ? { suppressed } : {}) }, 'Redis command failed');
    });
  }
  const all = Object.values(clients);
  try {
    await waitReady(all, where, () => lastError);
    if (opts.durabilityCheck) reportDurability(await checkDurability(clients.persistence, where), where, opts.log);
    else opts.log.warn({ redis: where, docs: REDIS_DOCS }, 'Redis persistence settings not checked (YIZHAN_REDIS_DURABILITY_CHECK=off): it must run with appendonly yes and maxmemory-policy noeviction');
  } catch (err) {
    for (const c of all) c.disconnect();
    throw err;
  }
  started = true;
  const down = (): RedisRole[] => (Object.keys(clients) as RedisRole[]).filter((r) => clients[r].status !== 'ready');
  return {
    db: clients.persistence,
    pub: clients.publish,
    sub: clients.subscribe,
    where,
    stats: () => ({ ...stats, down: down() }),
    problem() {
      const d = down();
      if (d.length === 0) return undefined;
      const since = downSince !== undefined ? ` since ${new Date(downSince).toISOString()}` : '';
      return `Redis ${where} unreachable${since} (${d.join(', ')} connection${d.length > 1 ? 's' : ''} down${lastError ? `: ${lastError}` : ''}); QoS 1 messages are not acknowledged until it is back`;
    },
    onRoutingRestored: (fn) => void restored.push(fn),
    disconnect: () => all.forEach((c) => c.disconnect()),
  };
}

/** Count (and remember) every failed command of this connection; callers still get the rejection. */
function countFailedCommands(c: Redis, count: () => void, log: (command: string, err: Error) => void): void {
  type Send = (command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => unknown;
  const client = c as unknown as { sendCommand: Send };
  const send = client.sendCommand.bind(c);
  client.sendCommand = (command, ...rest) => {
    command.promise.catch((err: unknown) => {
      if (typeof err === 'object' && err !== null) commandErrors.add(err);
      count();
      log(command.name, err instanceof Error ? err : new Error(String(err)));
    });
    return send(command, ...rest);
  };
}

function waitReady(clients: Redis[], where: string, lastError: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new RedisStartError(`Redis ${where} not reachable within ${START_TIMEOUT_MS / 1000} s${lastError() ? ` (${lastError()})` : ''}; check YIZHAN_REDIS_URL and that redis-server runs`)),
      START_TIMEOUT_MS,
    );
    let left = clients.length;
    for (const c of clients) {
      c.once('ready', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.connect().catch(() => undefined); // failures are 'error' events; ioredis retries
    }
  });
}

interface Durability {
  appendfsync: string;
  maxmemory: string;
}

/**
 * Refuse a Redis that could forget what the broker acknowledged: without the append-only file a
 * restart loses every session, queued message, retained status and will; an evicting Redis drops
 * them when full. Throws RedisStartError saying what to set.
 */
export async function checkDurability(db: Redis, where: string): Promise<Durability> {
  const get = async (name: string): Promise<string> => {
    const r = (await db.config('GET', name)) as string[];
    return r[1] ?? '';
  };
  let conf: Record<'appendonly' | 'appendfsync' | 'maxmemory' | 'maxmemoryPolicy', string>;
  try {
    conf = { appendonly: await get('appendonly'), appendfsync: await get('appendfsync'), maxmemory: await get('maxmemory'), maxmemoryPolicy: await get('maxmemory-policy') };
  } catch (err) {
    throw new RedisStartError(
      `Redis ${where} does not allow CONFIG GET (${(err as Error).message}), so the broker cannot check that it keeps what it acknowledges. ` +
        `Make sure it runs with appendonly yes, appendfsync everysec (or always) and maxmemory-policy noeviction (deploy/redis/redis.conf, ${REDIS_DOCS}), ` +
        'then set YIZHAN_REDIS_DURABILITY_CHECK=off to start without the check',
    );
  }
  const problems: string[] = [];
  if (conf.appendonly !== 'yes')
    problems.push(`appendonly is "${conf.appendonly}": set appendonly yes with appendfsync everysec or always (without it a Redis restart loses every session, queued message, retained status and will)`);
  if (conf.maxmemory !== '0' && conf.maxmemoryPolicy !== 'noeviction')
    problems.push(`maxmemory-policy is "${conf.maxmemoryPolicy}" with maxmemory ${conf.maxmemory}: set maxmemory-policy noeviction (an evicting Redis drops queued messages silently when full)`);
  if (problems.length)
    throw new RedisStartError(`Redis ${where} would lose acknowledged messages: ${problems.join('; ')}. Settings: deploy/redis/redis.conf, ${REDIS_DOCS}`);
  return { appendfsync: conf.appendfsync, maxmemory: conf.maxmemory };
}

function reportDurability(d: Durability, where: string, log: Logger): void {
  if (d.appendfsync === 'no')
    log.warn({ redis: where, appendfsync: d.appendfsync, docs: REDIS_DOCS }, 'Redis appendfsync no: a power cut loses up to about 30 s of acknowledged messages; use everysec or always');
  else log.info({ redis: where, appendonly: 'yes', appendfsync: d.appendfsync, maxmemory: d.maxmemory }, 'Redis keeps what it acknowledges');
}

function connectionOptions(u: URL): RedisOptions {
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
