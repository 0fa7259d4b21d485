/**
 * A bound on each persistent session's queue of QoS 1/2 messages, and the deliveries of the
 * messages it dropped skipped (aedes-persistence's outgoing methods and aedes' authorizeForward
 * wrapped).
 */
import type { Aedes, Client } from 'aedes';

/** Messages dropped for absent clients remembered, to recognise their deliveries (a connected client's is taken at once). */
const DROP_MARKS = 100_000;

interface QueueingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: { brokerId?: string; brokerCounter?: number }): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: { brokerId?: string; brokerCounter?: number }): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
}

export interface QueueBound {
  /** Messages this node has queued and not yet seen acknowledged or cleared. */
  depth(): number;
  /** Whether this message was dropped for this client (not queued for it); asks once per delivery. */
  droppedFor(packet: { brokerId?: string; brokerCounter?: number }, clientId: string): boolean;
}

/**
 * Caps the QoS 1/2 messages queued per persistent-session client at `max`: beyond it, new
 * messages for that client are dropped (`onDrop`, counted by the caller), oldest kept. Counts
 * what this node enqueued and saw cleared (PUBACK or clean session), so with Redis the bound
 * holds per node. Patches the live persistence object aedes uses. A dropped message must also
 * not be sent to the client if it is connected: see skipDroppedDeliveries.
 */
export function boundQueues(
  persistence: unknown,
  max: number,
  onDrop: (clientId: string) => void,
  /** Queue lengths already held (restored from disk at start). */
  initial: ReadonlyMap<string, number> = new Map(),
): QueueBound {
  const p = persistence as QueueingPersistence;
  if (typeof p.outgoingEnqueueCombi !== 'function' || typeof p.outgoingClearMessageId !== 'function' || typeof p.outgoingEnqueue !== 'function')
    throw new Error('persistence has no outgoingEnqueueCombi/outgoingEnqueue/outgoingClearMessageId; cannot bound queues');
  const counts = new Map(initial);
  let total = 0;
  for (const n of counts.values()) total += n;
  // client ids a message was dropped for, by message (each subscription gets its own copy of the
  // packet, with the same broker id and counter); a connected client's delivery takes its mark,
  // an absent client's is forgotten after DROP_MARKS newer ones
  const dropped = new Map<string, Set<string>>();
  const key = (packet: { brokerId?: string; brokerCounter?: number }): string => `${packet.brokerId ?? ''}\u0000${packet.brokerCounter ?? ''}`;
  const admit = (clientId: string, packet: { brokerId?: string; brokerCounter?: number }): boolean => {
    const n = counts.get(clientId) ?? 0;
    if (n >= max) {
      const k = key(packet);
      const ids = dropped.get(k);
      if (ids) ids.add(clientId);
      else dropped.set(k, new Set([clientId]));
      if (dropped.size > DROP_MARKS) dropped.delete(dropped.keys().next().value as string);
      onDrop(clientId);
      return false;
    }
    counts.set(clientId, n + 1);
    total++;
    return true;
  };
  const enqueueCombi = p.outgoingEnqueueCombi.bind(p);
  const enqueue = p.outgoingEnqueue.bind(p);
  const clear = p.outgoingClearMessageId.bind(p);
  p.outgoingEnqueueCombi = (subs, packet) => enqueueCombi(subs.filter((s) => admit(s.clientId, packet)), packet);
  p.outgoingEnqueue = (sub, packet) => (admit(sub.clientId, packet) ? enqueue(sub, packet) : Promise.resolve());
  // only what was in the queue: aedes also calls this for each delivery it skips (a duplicate, a
  // refused forward), with no packet id, which clears nothing and must not count as a PUBACK
  p.outgoingClearMessageId = async (client, packet) => {
    const cleared = await clear(client, packet);
    const n = counts.get(client.id);
    if (cleared && n !== undefined) {
      total--;
      if (n <= 1) counts.delete(client.id);
      else counts.set(client.id, n - 1);
    }
    return cleared;
  };
  const droppedFor = (packet: { brokerId?: string; brokerCounter?: number }, clientId: string): boolean => {
    const k = key(packet);
    const ids = dropped.get(k);
    if (!ids?.delete(clientId)) return false;
    if (ids.size === 0) dropped.delete(k);
    return true;
  };
  return { depth: () => total, droppedFor };
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
