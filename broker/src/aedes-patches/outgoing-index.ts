/**
 * An indexed in-memory store of the QoS 1/2 messages queued or in flight to persistent-session
 * clients, in place of the one in aedes-persistence 11 (`asyncPersistence.js`).
 *
 * There, each client's queue is an array, and every delivery looks its message up by a linear scan:
 * `outgoingUpdate` (the message gets its packet id as it is sent: the new message is at the end)
 * and `outgoingClearMessageId` (its PUBACK). A consumer with N messages in flight makes each of its
 * deliveries cost O(N). The yizhan server is such a consumer: once it falls a little behind (a GC
 * pause, a slow InfluxDB write), its queue grows, every delivery gets slower, and the broker
 * collapses: in bench:ingest at 60,000 readings/s the broker went from 25 % to 85 % of a core while
 * the queue grew, and in a 18,900-station reconnect storm 94 % of its time was in those scans.
 *
 * Here each client's queue is a Map in queue order, indexed by (brokerId, brokerCounter) and by
 * packet id, so enqueue, update and clear are O(1). The observable behaviour (what is stored, what
 * each call returns, the order of `outgoingStream`) is that of aedes-persistence; the test
 * `test/broker/outgoing-index.int.test.ts` runs random operation sequences on both and compares.
 *
 * Two changes of behaviour. `outgoingStream` skips what the reconnected client has already been
 * sent (see there). And, in aedes rather than in the store, new packet ids skip the ids the
 * session's queue still holds (`unusedPacketIds`). aedes gives each connection a packet id counter
 * that starts at random and skips nothing, while the messages the previous connection left
 * unacknowledged keep their ids to be re-sent [MQTT-4.4.0-1]. Once the counter reached such an id,
 * the new message's PUBACK removed the older message (the store clears the first entry with the
 * id), which was never sent again: messages lost without a trace, and when aedes' resend came to
 * it, "no such packet" closed the connection. A consumer at 3,000 messages/s wraps all 65,535 ids
 * in 22 s, so a long resend after a reconnect always met it (705 readings lost in a
 * 10,000-station storm). [MQTT-2.3.1-2] asks for "a currently unused Packet Identifier".
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

/** The fields of an aedes packet this store reads. */
export interface OutgoingPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}
interface ClientRef {
  id: string;
}
interface SubRef {
  clientId: string;
}

const PacketCtor = require('aedes-packet') as new (p: OutgoingPacket) => OutgoingPacket;

const brokerKey = (p: OutgoingPacket): string => `${p.brokerId ?? ''}\u0000${p.brokerCounter ?? ''}`;

/**
 * Keys of entries grouped by some value; usually one key a group, kept as a bare number (a Set
 * only for groups of two or more): a Set per message and index was most of this store's garbage.
 */
class KeyIndex<V> {
  private readonly groups = new Map<V, number | Set<number>>();

  add(v: V, k: number): void {
    const s = this.groups.get(v);
    if (s === undefined) this.groups.set(v, k);
    else if (typeof s !== 'number') s.add(k);
    else if (s !== k) this.groups.set(v, new Set([s, k]));
  }

  delete(v: V, k: number): void {
    const s = this.groups.get(v);
    if (s === undefined) return;
    if (typeof s === 'number') {
      if (s === k) this.groups.delete(v);
      return;
    }
    s.delete(k);
    if (s.size === 1) this.groups.set(v, s.values().next().value as number);
    else if (s.size === 0) this.groups.delete(v);
  }

  keys(v: V): Iterable<number> | undefined {
    const s = this.groups.get(v);
    return typeof s === 'number' ? [s] : s;
  }

  has(v: V): boolean {
    return this.groups.has(v);
  }

  /** The oldest entry of the group (the smallest key). */
  first(v: V): number | undefined {
    const s = this.groups.get(v);
    if (s === undefined || typeof s === 'number') return s;
    let min: number | undefined;
    for (const k of s) if (min === undefined || k < min) min = k;
    return min;
  }
}

class ClientQueue {
  /** In queue order (a Map keeps insertion order); key: a sequence number of this queue. */
  readonly entries = new Map<number, OutgoingPacket>();
  /** Entries by (brokerId, brokerCounter). */
  readonly byBroker = new KeyIndex<string>();
  /** Entries by packet id (ids wrap at 65535). */
  readonly byMessageId = new KeyIndex<number>();
  next = 0;

  add(p: OutgoingPacket): void {
    const k = this.next++;
    this.entries.set(k, p);
    this.index(k, p);
  }

  setMessageId(k: number, p: OutgoingPacket, id: number | undefined): void {
    if (p.messageId !== undefined) this.byMessageId.delete(p.messageId, k);
    p.messageId = id;
    if (id !== undefined) this.byMessageId.add(id, k);
  }

  replace(k: number, old: OutgoingPacket, p: OutgoingPacket): void {
    this.unindex(k, old);
    this.entries.set(k, p);
    this.index(k, p);
  }

  remove(k: number, p: OutgoingPacket): void {
    this.entries.delete(k);
    this.unindex(k, p);
  }

  private index(k: number, p: OutgoingPacket): void {
    this.byBroker.add(brokerKey(p), k);
    if (p.messageId !== undefined) this.byMessageId.add(p.messageId, k);
  }

  private unindex(k: number, p: OutgoingPacket): void {
    this.byBroker.delete(brokerKey(p), k);
    if (p.messageId !== undefined) this.byMessageId.delete(p.messageId, k);
  }
}

/** The outgoing methods of aedes-persistence's AsyncPersistence, with the same contracts. */
export class OutgoingIndex {
  private readonly queues = new Map<string, ClientQueue>();
  /** The connection (aedes client object) that last gave each entry its packet id. */
  private readonly sentOn = new WeakMap<OutgoingPacket, ClientRef>();
  /** Called when `outgoingUpdate` replaces an entry by another packet (the disk journal records it). */
  onReplace: ((clientId: string, old: OutgoingPacket, packet: OutgoingPacket) => void) | undefined;

  private queue(clientId: string): ClientQueue {
    let q = this.queues.get(clientId);
    if (!q) this.queues.set(clientId, (q = new ClientQueue()));
    return q;
  }

  outgoingEnqueue(sub: SubRef, packet: OutgoingPacket): Promise<void> {
    this.queue(sub.clientId).add(new PacketCtor(packet));
    return Promise.resolve();
  }

  outgoingEnqueueCombi(subs: readonly SubRef[], packet: OutgoingPacket): Promise<void> {
    for (const sub of subs) this.queue(sub.clientId).add(new PacketCtor(packet));
    return Promise.resolve();
  }

  /**
   * aedes-persistence scans in queue order: an entry of the same broker and counter gets the new
   * packet id; an entry of another broker with the same packet id is replaced by the packet.
   */
  outgoingUpdate(client: ClientRef, packet: OutgoingPacket): Promise<void> {
    const q = this.queue(client.id);
    const same = q.byBroker.first(brokerKey(packet));
    let other: number | undefined;
    const ids = packet.messageId === undefined ? undefined : q.byMessageId.keys(packet.messageId);
    if (ids)
      for (const k of ids)
        if (q.entries.get(k)?.brokerId !== packet.brokerId && (other === undefined || k < other)) other = k;
    if (same !== undefined && (other === undefined || same < other)) {
      const e = q.entries.get(same);
      if (e) {
        q.setMessageId(same, e, packet.messageId);
        this.sentOn.set(e, client);
      }
      return Promise.resolve();
    }
    if (other !== undefined) {
      const e = q.entries.get(other);
      if (e) {
        q.replace(other, e, packet);
        this.sentOn.set(packet, client);
        this.onReplace?.(client.id, e, packet);
      }
      return Promise.resolve();
    }
    return Promise.reject(new Error('no such packet'));
  }

  outgoingClearMessageId(client: ClientRef, packet: OutgoingPacket): Promise<OutgoingPacket | undefined> {
    const q = this.queue(client.id);
    const k = packet.messageId === undefined ? undefined : q.byMessageId.first(packet.messageId);
    if (k === undefined) return Promise.resolve(undefined);
    const e = q.entries.get(k);
    if (e) q.remove(k, e);
    return Promise.resolve(e);
  }

  /** Remove the oldest entry of the client's queue with the packet's broker id and counter. */
  removeByKey(clientId: string, packet: OutgoingPacket): OutgoingPacket | undefined {
    const q = this.queues.get(clientId);
    const k = q?.byBroker.first(brokerKey(packet));
    const e = k === undefined ? undefined : q?.entries.get(k);
    if (q && k !== undefined && e) q.remove(k, e);
    return e;
  }

  /** Every queued entry, client by client, each client's in queue order. */
  *all(): Generator<[clientId: string, packet: OutgoingPacket]> {
    for (const [clientId, q] of this.queues) for (const p of q.entries.values()) yield [clientId, p];
  }

  /** Entries queued per client (clients with an empty queue left out). */
  lengths(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [clientId, q] of this.queues) if (q.entries.size) m.set(clientId, q.entries.size);
    return m;
  }

  /** Whether an entry of the client's queue holds this packet id (sent, not yet acknowledged). */
  inUse(clientId: string, messageId: number): boolean {
    return this.queues.get(clientId)?.byMessageId.has(messageId) === true;
  }

  /**
   * What aedes resends to a client after it (re)connects: the queue as it is when called, read
   * lazily, at the pace the socket drains. Skipped: entries acknowledged before the reader reaches
   * them (as aedes-persistence's live array does) and entries this same connection has already
   * sent (the newest entries also go out live, as they arrive). A snapshot handed aedes messages
   * that had been delivered and acknowledged meanwhile, and aedes closes the connection on those
   * ("no such packet"): a slow consumer that reconnects was disconnected again and again.
   * Entries queued after the call are delivered live.
   */
  outgoingStream(client: ClientRef): Readable {
    const q = this.queues.get(client.id);
    if (!q) return Readable.from([]);
    const { entries, next: end } = q;
    const sentOn = this.sentOn;
    function* upTo(): Generator<OutgoingPacket> {
      for (const [k, p] of entries) {
        if (k >= end) return;
        if (sentOn.get(p) !== client) yield p;
      }
    }
    // One entry read ahead at most: the fewer waiting in the stream's buffer, the fewer can be
    // acknowledged (through a live delivery) while they wait.
    return Readable.from(upTo(), { highWaterMark: 1 });
  }
}

/** The fields of an aedes client that packet id assignment uses. */
export interface PacketIdClient {
  id?: string | null;
  /** aedes' next packet id for this connection (lib/qos-packet.js reads it, then sets it one on). */
  _nextId: number;
}

/** Packet ids are 1..65535 [MQTT-2.3.1-1]. */
const MAX_PACKET_ID = 65_535;

/**
 * Make a connection's packet id counter skip ids its session's queue still holds, so every new
 * QoS 1/2 PUBLISH carries a currently unused packet id [MQTT-2.3.1-2]. aedes' QoSPacket reads
 * `client._nextId` as the id and then sets it one on; the accessor keeps that contract and only
 * moves past held ids. Should all 65,535 be held (more messages in flight than ids), it returns
 * the counter's id unchanged, as aedes would.
 */
export function unusedPacketIds(client: PacketIdClient, index: OutgoingIndex): void {
  let next = client._nextId;
  Object.defineProperty(client, '_nextId', {
    configurable: true,
    enumerable: true,
    get(): number {
      const clientId = client.id;
      if (!clientId) return next;
      let id = next;
      for (let n = 0; n < MAX_PACKET_ID && index.inUse(clientId, id); n++)
        id = id >= MAX_PACKET_ID ? 1 : id + 1;
      next = id;
      return id;
    },
    set(v: number) {
      next = v;
    },
  });
}

/** The aedes instance fields `indexOutgoing` replaces or wraps. */
interface AedesLike {
  persistence: unknown;
  preConnect: (client: never, packet: never, done: never) => void;
}

/**
 * Put the indexed store into aedes' in-memory persistence (the object aedes holds: a
 * CallBackPersistence around an AsyncPersistence), and give every connection unused packet ids
 * (`unusedPacketIds`, from aedes' preConnect, before the session is restored). Returns the store,
 * or undefined, changing nothing, when the persistence is not that shape (another
 * aedes-persistence version, Redis).
 */
export function indexOutgoing(aedes: AedesLike): OutgoingIndex | undefined {
  const inner = (aedes.persistence as { asyncPersistence?: Record<string, unknown> }).asyncPersistence;
  if (!inner || typeof inner.outgoingUpdate !== 'function' || typeof inner.outgoingStream !== 'function')
    return undefined;
  const index = new OutgoingIndex();
  inner.outgoingEnqueue = index.outgoingEnqueue.bind(index);
  inner.outgoingEnqueueCombi = index.outgoingEnqueueCombi.bind(index);
  inner.outgoingUpdate = index.outgoingUpdate.bind(index);
  inner.outgoingClearMessageId = index.outgoingClearMessageId.bind(index);
  inner.outgoingStream = index.outgoingStream.bind(index);
  const preConnect = aedes.preConnect as (client: PacketIdClient, packet: unknown, done: unknown) => void;
  aedes.preConnect = (client: PacketIdClient, packet: unknown, done: unknown) => {
    unusedPacketIds(client, index);
    preConnect(client, packet, done);
  };
  return index;
}
