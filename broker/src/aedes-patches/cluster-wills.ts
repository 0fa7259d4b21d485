/**
 * With Redis: the wills of a node that died are published by the others, once, and never for a
 * client that is connected again.
 *
 * aedes (aedes.js `_clearWills`) checks every 4 heartbeats and publishes the wills of a node not
 * heard for 3 heartbeats, and a node counts as heard only from its first heartbeat on. With its 60 s
 * heartbeat a dead node's wills came 275–306 s after its death, long after its stations had
 * reconnected to another node, so their retained status said offline while they were online; and
 * a node restarted less than a heartbeat ago was taken for dead, so the wills of its live clients
 * were published too.
 *
 * Here aedes' sweep is replaced. Every heartbeat, each node reads the will list and, for each will
 * of a node not heard (heartbeat or birth message) for 3 heartbeats:
 * - drops it without publishing when its client is connected again: connected here, or holding a
 *   will on a live node (a station always sets one);
 * - otherwise takes it from Redis (the node that gets it publishes it) and publishes it as a new
 *   message of this node.
 * A node it has never heard of counts as heard when this node started, so a node just started
 * gives the others 3 heartbeats before it judges them. A node that has not heard its own heartbeat
 * for 2 heartbeats (Redis away, its subscription broken) judges nobody, and once it hears itself
 * again gives everyone 3 heartbeats from then, plus the longest Redis reconnect delay (the others'
 * connections come back up to that much later than its own): otherwise every live node's stations
 * would be declared offline after each Redis outage.
 */
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { Logger } from 'pino';
import type { RedisClient } from '../persistence.js';
import { REDIS_RETRY_MAX_MS } from '../redis.js';

/** aedes-persistence-redis' will list and key layout: `will:<brokerId>:<encoded client id>`. */
const WILLS_LIST = 'will';

/** A node not heard for this many heartbeats is dead (aedes' own rule). */
const HEARTBEATS_TO_DEATH = 3;

interface WillPersistence {
  delWill(client: { id: string; brokerId: string }): Promise<AedesPublishPacket | null>;
}

interface ClusterAedes {
  id: string;
  clients: Record<string, Client | undefined>;
  persistence: WillPersistence;
  mq: { on(topic: string, fn: (packet: { payload: Buffer | string }, done: () => void) => void): void };
  _clearWillInterval?: NodeJS.Timeout;
  authorizePublish: (client: Client | null, packet: AedesPublishPacket, cb: (err?: Error | null) => void) => void;
  publish: (packet: Partial<AedesPublishPacket>, cb: (err?: Error) => void) => void;
}

export interface WillSweepOptions {
  redis: RedisClient;
  heartbeatMs: number;
  log: Logger;
  /** A will was published for a client of a dead node. */
  onPublished?: (clientId: string) => void;
  /** How much later than this node's own the others' Redis connections may come back, ms. Default {@link REDIS_RETRY_MAX_MS}. */
  reconnectSlackMs?: number;
  now?: () => number;
}

/** Install on a broker running on Redis, after aedes has started (its sweep timer exists). */
export function sweepWillsOfDeadNodes(aedes: Aedes, opts: WillSweepOptions): { sweep(): Promise<void>; stop(): void } {
  const a = aedes as unknown as ClusterAedes;
  const now = opts.now ?? Date.now;
  clearInterval(a._clearWillInterval);
  const hearing = new Hearing(a.id, opts.heartbeatMs, opts.reconnectSlackMs ?? REDIS_RETRY_MAX_MS, now);
  const hear = (packet: { payload: Buffer | string }, done: () => void): void => {
    hearing.hear(packet.payload.toString());
    done();
  };
  a.mq.on('$SYS/+/heartbeat', hear);
  a.mq.on('$SYS/+/birth', hear);
  const alive = (brokerId: string): boolean => hearing.alive(brokerId);

  const publish = async (will: AedesPublishPacket): Promise<void> => {
    await new Promise<void>((resolve, reject) => a.authorizePublish(null, will, (err) => (err ? reject(err) : resolve())));
    const fresh = { cmd: 'publish' as const, topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, dup: false };
    await new Promise<void>((resolve, reject) => a.publish(fresh, (err) => (err ? reject(err) : resolve())));
  };

  const sweep = async (): Promise<void> => {
    if (!hearing.mayJudge()) return;
    const wills = (await opts.redis.lrange(WILLS_LIST, 0, -1)).map(parseWillKey).filter((w) => w !== undefined);
    const liveHolders = new Set(wills.filter((w) => alive(w.brokerId)).map((w) => w.clientId));
    for (const w of wills) {
      if (alive(w.brokerId)) continue;
      const connectedAgain = a.clients[w.clientId] !== undefined || liveHolders.has(w.clientId);
      const will = await a.persistence.delWill({ id: w.clientId, brokerId: w.brokerId });
      if (!will || connectedAgain) continue;
      try {
        await publish(will);
        opts.onPublished?.(w.clientId);
        opts.log.info({ clientId: w.clientId, deadBroker: w.brokerId, topic: will.topic }, 'published the will of a client of a broker node that stopped');
      } catch (err) {
        opts.log.error({ err, clientId: w.clientId, deadBroker: w.brokerId }, 'could not publish the will of a client of a stopped broker node');
      }
    }
  };

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .catch((err: unknown) => opts.log.warn({ err }, 'could not read the wills of other broker nodes; trying again at the next heartbeat'))
      .finally(() => (running = false));
  }, opts.heartbeatMs);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}

/**
 * When each node was last heard, and from when on this node may judge them: its start, or the end
 * of a time in which it heard nobody, itself included (Redis away, its subscription broken): the
 * others' heartbeats were not lost then, only not heard.
 */
class Hearing {
  private readonly heard = new Map<string, number>();
  private readonly startedAt: number;
  private graceFrom: number;
  private wasDeaf = false;

  constructor(
    private readonly self: string,
    private readonly heartbeatMs: number,
    private readonly slackMs: number,
    private readonly now: () => number,
  ) {
    this.startedAt = this.graceFrom = now();
  }

  hear(brokerId: string): void {
    this.heard.set(brokerId, this.now());
  }

  alive(brokerId: string): boolean {
    return brokerId === this.self || Math.max(this.heard.get(brokerId) ?? 0, this.graceFrom) + HEARTBEATS_TO_DEATH * this.heartbeatMs >= this.now();
  }

  /**
   * False while this node has not heard itself for 2 heartbeats, and at the first sweep after it
   * has again (which starts the others' grace). Deafness is judged by its own heartbeat alone, so a
   * long outage stays one deafness however often it is swept.
   */
  mayJudge(): boolean {
    const t = this.now();
    if ((this.heard.get(this.self) ?? this.startedAt) + 2 * this.heartbeatMs < t) {
      this.wasDeaf = true;
      return false;
    }
    if (!this.wasDeaf) return true;
    this.wasDeaf = false;
    this.graceFrom = t + this.slackMs;
    return false;
  }
}

/** `will:<brokerId>:<encoded client id>` → its parts (broker ids are UUIDs, without colons). */
export function parseWillKey(key: string): { brokerId: string; clientId: string } | undefined {
  const m = /^will:([^:]+):(.+)$/.exec(key);
  if (!m?.[1] || !m[2]) return undefined;
  try {
    return { brokerId: m[1], clientId: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}
