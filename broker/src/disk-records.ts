/**
 * The records of the broker's state journal (broker/src/journal.ts frames them) and the mirror of
 * the state they describe.
 *
 * A record is `[u32 LE length of the head][head: JSON][body: the message payload, raw]`. The head's
 * `k` names the change:
 *
 * | k | change | head | body |
 * |---|---|---|---|
 * | S | subscriptions added (persistent session) | c: client id, s: [{topic, qos, rh, rap, nl}] | – |
 * | U | subscriptions removed | c, t: [topic] | – |
 * | C | all subscriptions of a client cleaned | c | – |
 * | E | a QoS 1/2 message queued for clients | c: [client id], p: message | payload |
 * | X | a queued message cleared (PUBACK, clean session) | c, b: broker id, n: broker counter | – |
 * | R | retained message stored (empty payload: removed) | p | payload |
 * | W | will stored | c, p | payload |
 * | w | will removed | c | – |
 * | I | incoming QoS 2 message stored (awaiting PUBREL) | c, p (with m: packet id) | payload |
 * | i | incoming QoS 2 message released | c, m | – |
 * | J | incoming QoS 2 messages of a client cleaned | c | – |
 *
 * A message head `p` is `{t: topic, q: qos, r: retain (0/1), b: broker id, n: broker counter,
 * o?: publishing client id, m?: packet id}`. A queued message is identified by (broker id, broker
 * counter), which aedes gives each message once and which stays unique across restarts (the
 * broker id is new on every start); packet ids assigned on delivery are not recorded, a restored
 * message gets a new one when it is sent again.
 */

export interface Subscription {
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
}

/** The fields of an aedes packet the journal keeps. */
export interface StoredPacket {
  cmd?: string;
  topic: string;
  payload: Buffer;
  qos: number;
  retain?: boolean;
  dup?: boolean;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
  messageId?: number;
}

interface PacketHead {
  t: string;
  q: number;
  r: 0 | 1;
  b?: string;
  n?: number;
  o?: string;
  m?: number;
}

export type Head =
  | { k: 'S'; c: string; s: Subscription[] }
  | { k: 'U'; c: string; t: string[] }
  | { k: 'C' | 'w' | 'J'; c: string }
  | { k: 'E'; c: string[]; p: PacketHead }
  | { k: 'X'; c: string; b?: string; n?: number }
  | { k: 'R'; p: PacketHead }
  | { k: 'W' | 'I'; c: string; p: PacketHead }
  | { k: 'i'; c: string; m: number };

export interface DecodedRecord {
  head: Head;
  /** The message, for records that carry one (E, R, W, I). */
  packet?: StoredPacket;
}

export function packetHead(p: StoredPacket): PacketHead {
  const h: PacketHead = { t: p.topic, q: p.qos, r: p.retain ? 1 : 0 };
  if (p.brokerId !== undefined) h.b = p.brokerId;
  if (p.brokerCounter !== undefined) h.n = p.brokerCounter;
  if (typeof p.clientId === 'string') h.o = p.clientId;
  return h;
}

export function encode(head: Head, body?: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const json = JSON.stringify(head);
  const jsonBytes = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(4 + jsonBytes + (payload?.length ?? 0));
  out.writeUInt32LE(jsonBytes, 0);
  out.write(json, 4, 'utf8');
  payload?.copy(out, 4 + jsonBytes);
  return out;
}

/** Decode one record; throws (naming what is wrong) on a record this version cannot read. */
export function decode(rec: Buffer): DecodedRecord {
  const n = rec.readUInt32LE(0);
  if (4 + n > rec.length) throw new Error(`record head of ${n} bytes in a record of ${rec.length}`);
  const head = JSON.parse(rec.toString('utf8', 4, 4 + n)) as Head;
  if (!('p' in head)) return { head };
  const h = head.p;
  const packet: StoredPacket = {
    cmd: 'publish',
    topic: h.t,
    // a copy: the record's buffer is the whole journal file, which must not stay referenced
    payload: Buffer.from(rec.subarray(4 + n)),
    qos: h.q,
    retain: h.r === 1,
    dup: false,
  };
  if (h.b !== undefined) packet.brokerId = h.b;
  if (h.n !== undefined) packet.brokerCounter = h.n;
  if (h.o !== undefined) packet.clientId = h.o;
  if (h.m !== undefined) packet.messageId = h.m;
  return { head, packet };
}

/** What the journal describes, besides the outgoing queues (kept by OutgoingIndex). */
export class StateMirror {
  readonly subscriptions = new Map<string, Map<string, Subscription>>();
  readonly retained = new Map<string, StoredPacket>();
  readonly wills = new Map<string, StoredPacket>();
  readonly incoming = new Map<string, Map<number, StoredPacket>>();

  addSubscriptions(clientId: string, subs: readonly Subscription[]): void {
    let m = this.subscriptions.get(clientId);
    if (!m) this.subscriptions.set(clientId, (m = new Map<string, Subscription>()));
    for (const s of subs) m.set(s.topic, { topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl });
  }

  removeSubscriptions(clientId: string, topics: readonly string[]): void {
    const m = this.subscriptions.get(clientId);
    if (!m) return;
    for (const t of topics) m.delete(t);
    if (m.size === 0) this.subscriptions.delete(clientId);
  }

  storeRetained(p: StoredPacket): void {
    if (p.payload.length === 0) this.retained.delete(p.topic);
    else this.retained.set(p.topic, p);
  }

  storeIncoming(clientId: string, p: StoredPacket): void {
    let m = this.incoming.get(clientId);
    if (!m) this.incoming.set(clientId, (m = new Map<number, StoredPacket>()));
    if (p.messageId !== undefined) m.set(p.messageId, p);
  }

  deleteIncoming(clientId: string, messageId: number): void {
    const m = this.incoming.get(clientId);
    m?.delete(messageId);
    if (m?.size === 0) this.incoming.delete(clientId);
  }

  /** The state as records, queued messages from `outgoing` last. */
  snapshot(outgoing: Iterable<[string, StoredPacket]>): Buffer[] {
    const out: Buffer[] = [];
    for (const [c, m] of this.subscriptions) out.push(encode({ k: 'S', c, s: [...m.values()] }));
    for (const p of this.retained.values()) out.push(encode({ k: 'R', p: packetHead(p) }, p.payload));
    for (const [c, p] of this.wills) out.push(encode({ k: 'W', c, p: packetHead(p) }, p.payload));
    for (const [c, m] of this.incoming)
      for (const [id, p] of m) out.push(encode({ k: 'I', c, p: { ...packetHead(p), m: id } }, p.payload));
    for (const [c, p] of outgoing) out.push(encode({ k: 'E', c: [c], p: packetHead(p) }, p.payload));
    return out;
  }
}
