/**
 * A bound on each persistent session's queue of QoS 1/2 messages, and the deliveries of the
 * messages it dropped skipped (aedes-persistence's outgoing methods and aedes' authorizeForward
 * wrapped).
 */
import type { Aedes, Client } from 'aedes';

/** Messages dropped for absent clients remembered, to recognise their deliveries (a connected client's is taken at once). */
const DROP_MARKS = 100_000;

interface QueueingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: Numbered): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: Numbered): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
}

export interface QueueBound {
  /** Messages queued for persistent sessions and not yet acknowledged (with Redis: the cluster's, as last read). */
  depth(): number;
  /** Whether this message was dropped for this client (not queued for it); asks once per delivery. */
  droppedFor(packet: Numbered, clientId: string): boolean;
  /** Stop refreshing queue lengths (Redis). */
  stop(): void;
  /** Remember the drops another node marked on this message (carryDropMarks). */
  learn(packet: Numbered): void;
}

interface Numbered {
  brokerId?: string;
  brokerCounter?: number;
  /** Client ids the publishing node dropped this message for; travels with it to the other nodes (Redis). */
  yizhanDroppedFor?: string[];
}

/**
 * How long a queue length read from Redis is used before it is read again; meanwhile this node
 * adds what it queues. Other nodes' additions are seen at the next read, so a cluster overshoots
 * the bound by at most what the other nodes queue in this time.
 */
export const DEFAULT_REDIS_LENGTH_TTL_MS = 500;

/** The queue length of each session, and whether one more message fits. */
interface Lengths {
  admit(clientId: string): boolean | Promise<boolean>;
  cleared(clientId: string): void;
  depth(): number;
  stop(): void;
}

/**
 * One process: counts what this broker enqueued and saw cleared (a PUBACK or a clean session);
 * the queue is in this process, so the count is exact.
 */
function localLengths(max: number, initial: ReadonlyMap<string, number>): Lengths {
  const counts = new Map(initial);
  let total = 0;
  for (const n of counts.values()) total += n;
  return {
    admit(clientId) {
      const n = counts.get(clientId) ?? 0;
      if (n >= max) return false;
      counts.set(clientId, n + 1);
      total++;
      return true;
    },
    cleared(clientId) {
      const n = counts.get(clientId);
      if (n === undefined) return;
      total--;
      if (n <= 1) counts.delete(clientId);
      else counts.set(clientId, n - 1);
    },
    depth: () => total,
    stop: () => undefined,
  };
}

/**
 * Redis: a session's queue is filled by the node its publishers are on and emptied by the node
 * it is connected to, so no node can count it; its length is the Redis list's (LLEN), read at
 * most every `ttlMs` per session, plus what this node queued since. A message that would not fit
 * by that count is judged on a fresh read. Every length known here is read again in the
 * background every `refreshMs` (the depth metric is the cluster's).
 */
function redisLengths(max: number, lengthOf: (clientId: string) => Promise<number>, ttlMs: number, refreshMs: number): Lengths {
  const known = new Map<string, { n: number; at: number; reading?: Promise<number> }>();
  const read = (clientId: string): Promise<number> => {
    let e = known.get(clientId);
    if (!e) known.set(clientId, (e = { n: 0, at: 0 }));
    const entry = e;
    entry.reading ??= lengthOf(clientId).then(
      (n) => {
        entry.n = n;
        entry.at = Date.now();
        entry.reading = undefined;
        return n;
      },
      (err: unknown) => {
        entry.reading = undefined;
        throw err;
      },
    );
    return entry.reading;
  };
  const refresh = setInterval(() => {
    for (const clientId of known.keys()) read(clientId).catch(() => undefined);
  }, refreshMs);
  refresh.unref();
  const take = (clientId: string): boolean => {
    const e = known.get(clientId);
    if (!e || e.n >= max) return false;
    e.n++;
    return true;
  };
  return {
    admit(clientId) {
      const e = known.get(clientId);
      // a drop is decided on a fresh length only: the other nodes empty the queue meanwhile
      if (e && Date.now() - e.at < ttlMs && e.n < max) return take(clientId);
      // a length that cannot be read admits the message: the store that follows fails the same way
      // and the PUBACK is withheld (ack-gate), so nothing is acknowledged and then dropped
      return read(clientId).then(
        () => take(clientId),
        () => true,
      );
    },
    cleared(clientId) {
      const e = known.get(clientId);
      if (e && e.n > 0) e.n--;
    },
    depth() {
      let total = 0;
      for (const e of known.values()) total += e.n;
      return total;
    },
    stop: () => clearInterval(refresh),
  };
}

/** Where queue lengths come from: this process, or the Redis list each session's queue is. */
export type QueueLengthSource =
  | { kind: 'local'; initial?: ReadonlyMap<string, number> }
  | { kind: 'redis'; lengthOf: (clientId: string) => Promise<number>; ttlMs?: number; refreshMs?: number };

/**
 * Caps the QoS 1/2 messages queued per persistent-session client at `max`: beyond it, new
 * messages for that client are dropped (`onDrop`, counted by the caller), oldest kept. Patches the
 * live persistence object aedes uses. A dropped message must also not be sent to the client if it
 * is connected, on this node or (Redis) another one: see skipDroppedDeliveries and carryDropMarks.
 * The node that drops a message marks it (`yizhanDroppedFor`), and the mark travels with it.
 */
export function boundQueues(persistence: unknown, max: number, onDrop: (clientId: string) => void, source: QueueLengthSource = { kind: 'local' }): QueueBound {
  const p = persistence as QueueingPersistence;
  if (typeof p.outgoingEnqueueCombi !== 'function' || typeof p.outgoingClearMessageId !== 'function' || typeof p.outgoingEnqueue !== 'function')
    throw new Error('persistence has no outgoingEnqueueCombi/outgoingEnqueue/outgoingClearMessageId; cannot bound queues');
  const lengths =
    source.kind === 'local'
      ? localLengths(max, source.initial ?? new Map())
      : redisLengths(max, source.lengthOf, source.ttlMs ?? DEFAULT_REDIS_LENGTH_TTL_MS, Math.max(source.ttlMs ?? DEFAULT_REDIS_LENGTH_TTL_MS, 5_000));
  const marks = new DropMarks();
  const drop = (clientId: string, packet: Numbered): void => {
    marks.add(packet, clientId);
    (packet.yizhanDroppedFor ??= []).push(clientId);
    onDrop(clientId);
  };
  const admitAll = async (subs: { clientId: string }[], packet: Numbered): Promise<{ clientId: string }[]> => {
    const kept: { clientId: string }[] = [];
    for (const s of subs) {
      const ok = lengths.admit(s.clientId);
      if (ok === true || (ok !== false && (await ok))) kept.push(s);
      else drop(s.clientId, packet);
    }
    return kept;
  };
  const enqueueCombi = p.outgoingEnqueueCombi.bind(p);
  const clear = p.outgoingClearMessageId.bind(p);
  p.outgoingEnqueueCombi = async (subs, packet) => enqueueCombi(await admitAll(subs, packet), packet);
  p.outgoingEnqueue = (sub, packet) => p.outgoingEnqueueCombi([sub], packet);
  // only what was in the queue: aedes also calls this for each delivery it skips (a duplicate, a
  // refused forward), with no packet id, which clears nothing and must not count as a PUBACK
  p.outgoingClearMessageId = async (client, packet) => {
    const cleared = await clear(client, packet);
    if (cleared) lengths.cleared(client.id);
    return cleared;
  };
  return {
    depth: () => lengths.depth(),
    droppedFor: (packet, clientId) => marks.take(packet, clientId),
    stop: () => lengths.stop(),
    learn: (packet) => {
      for (const clientId of packet.yizhanDroppedFor ?? []) marks.add(packet, clientId);
    },
  };
}

/**
 * Client ids a message was dropped for, by message (each subscription gets its own copy of the
 * packet, with the same broker id and counter); a connected client's delivery takes its mark, an
 * absent client's is forgotten after DROP_MARKS newer ones.
 */
class DropMarks {
  private readonly marks = new Map<string, Set<string>>();
  private static key(packet: Numbered): string {
    return `${packet.brokerId ?? ''}\u0000${packet.brokerCounter ?? ''}`;
  }
  add(packet: Numbered, clientId: string): void {
    const k = DropMarks.key(packet);
    const ids = this.marks.get(k);
    if (ids) ids.add(clientId);
    else this.marks.set(k, new Set([clientId]));
    if (this.marks.size > DROP_MARKS) this.marks.delete(this.marks.keys().next().value as string);
  }
  take(packet: Numbered, clientId: string): boolean {
    const k = DropMarks.key(packet);
    const ids = this.marks.get(k);
    const marked = ids?.delete(clientId) ?? false;
    if (ids?.size === 0) this.marks.delete(k);
    return marked;
  }
}

/**
 * A message dropped for a connected persistent session is not sent to it. aedes hands every
 * message to the live subscribers after storing it, and for a persistent session first gives the
 * stored copy its packet id (`persistence.outgoingUpdate`); for a message the bound did not store
 * that fails ("no such packet") and aedes closes the connection (lib/client.js `writeQoS`): one
 * drop disconnected the server, whose backlog then filled the queue while it was away (a bench
 * subscriber with 1,000 messages in flight received nothing at all). Refusing the forward
 * (aedes' `authorizeForward` returning null) skips that delivery without an error.
 */
export function skipDroppedDeliveries(aedes: Aedes, bound: QueueBound): void {
  const a = aedes as unknown as { authorizeForward: (client: Client, packet: { brokerId?: string; brokerCounter?: number }) => object | null | undefined };
  const forward = a.authorizeForward;
  a.authorizeForward = function (client, packet) {
    return bound.droppedFor(packet, client.id) ? null : forward.call(this, client, packet);
  };
}

/**
 * With Redis, a message dropped for a session by the node it was published on may reach that
 * session live on another node: that node learns the drop from the mark the message carries
 * (mqemitter-redis hands every message from Redis to `_emit`; aedes copies the packet per
 * subscription, without the mark, after that). Delivered there, it was acknowledged against a
 * queue entry that never existed and left a counter key without expiry in Redis per message.
 */
export function carryDropMarks(aedes: Aedes, bound: QueueBound): void {
  const mq = (aedes as unknown as { mq: { _emit?: (packet: Numbered, cb?: unknown) => unknown } }).mq;
  const emit = mq._emit;
  if (typeof emit !== 'function') throw new Error('mqemitter-redis has no _emit; drops cannot be carried between nodes');
  mq._emit = function (packet, cb) {
    if (packet.yizhanDroppedFor) bound.learn(packet);
    return emit.call(this, packet, cb);
  };
}
