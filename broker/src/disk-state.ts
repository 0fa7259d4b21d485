/**
 * The single-process broker's state on disk: persistent sessions' subscriptions, their queued
 * QoS 1/2 messages, retained messages, wills and incoming QoS 2 messages survive a restart, a
 * crash (kill -9) and, for what was acknowledged, a power loss.
 *
 * aedes keeps working on its in-memory store (aedes-persistence, with the outgoing queues in
 * OutgoingIndex); every change that matters is also appended to a journal
 * (`<dir>/journal`, records in broker/src/disk-records.ts, framing in broker/src/journal.ts).
 * At start the journal is replayed into the empty store, then rewritten as a snapshot.
 *
 * What is fsynced before aedes goes on: a message queued for a persistent session (so the
 * station's PUBACK, held by broker/src/aedes-patches/ack-gate.ts until the publish completes, leaves only once
 * the message is on disk), a retained message, subscriptions (before the SUBACK), a will, an
 * incoming QoS 2 message (before the PUBREC). Not fsynced, written within a loop turn: clears
 * (PUBACK from the subscriber; a lost clear means the message is sent again, and the server drops
 * duplicates), removed subscriptions and wills.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { decode, encode, packetHead, StateMirror, type DecodedRecord, type StoredPacket, type Subscription } from './disk-records.js';
import { Journal, readJournal } from './journal.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import type { OutgoingIndex } from './aedes-patches/outgoing-index.js';

/** The journal is compacted when it exceeds max(this, 4 × its size after the last compaction). */
export const DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024;

export interface DiskStateOptions {
  dir: string;
  log: Logger;
  registry: Registry;
  compactBytes?: number;
  /** Wait after a failed write before trying again (durable changes are refused meanwhile). */
  retryMs?: number;
}

export interface DiskState {
  dir: string;
  /** Queued messages restored per client (to seed the queue bound). */
  restoredQueues: Map<string, number>;
  /** Undefined when the journal works; else what is wrong, for /healthz. */
  problem(): string | undefined;
  journalBytes(): number;
  /** Write what is pending, fsync, release the folder. */
  close(): Promise<void>;
}

/** The state folder cannot be used (held by another process, unreadable). */
export class DiskStateError extends Error {
  override name = 'DiskStateError';
}

type Client = { id: string };
type Sub = { clientId: string };
/** The methods of aedes-persistence's in-memory store that change what the journal keeps. */
interface Store {
  addSubscriptions(c: Client, subs: Subscription[]): Promise<void>;
  removeSubscriptions(c: Client, topics: string[]): Promise<void>;
  cleanSubscriptions(c: Client): Promise<void>;
  outgoingEnqueue(sub: Sub, p: StoredPacket): Promise<void>;
  outgoingEnqueueCombi(subs: Sub[], p: StoredPacket): Promise<void>;
  outgoingClearMessageId(c: Client, p: StoredPacket): Promise<StoredPacket | undefined>;
  storeRetained(p: StoredPacket): Promise<void>;
  putWill(c: Client, p: StoredPacket): Promise<void>;
  delWill(c: Client): Promise<StoredPacket | undefined>;
  incomingStorePacket(c: Client, p: StoredPacket): Promise<void>;
  incomingDelPacket(c: Client, p: StoredPacket): Promise<void>;
  cleanIncoming(c: Client): Promise<void>;
}
const STORE_METHODS = ['addSubscriptions', 'removeSubscriptions', 'cleanSubscriptions', 'outgoingEnqueue', 'outgoingEnqueueCombi', 'outgoingClearMessageId', 'storeRetained', 'putWill', 'delWill', 'incomingStorePacket', 'incomingDelPacket', 'cleanIncoming'] as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take `<dir>/lock` (our pid); a lock left by a process that is gone is taken over. */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new DiskStateError(`broker state folder ${dir} is in use by process ${pid} (${file}); two brokers cannot share it`);
      await rm(file, { force: true });
    }
  }
}

/** Apply one journal record to the empty store (at start, before any client connects). */
async function replay(r: DecodedRecord, store: Store, index: OutgoingIndex, mirror: StateMirror): Promise<void> {
  const { head: h, packet } = r;
  switch (h.k) {
    case 'S':
      await store.addSubscriptions({ id: h.c }, h.s);
      return mirror.addSubscriptions(h.c, h.s);
    case 'U':
      await store.removeSubscriptions({ id: h.c }, h.t);
      return mirror.removeSubscriptions(h.c, h.t);
    case 'C':
      await store.cleanSubscriptions({ id: h.c });
      mirror.subscriptions.delete(h.c);
      return;
    case 'E':
      if (packet) await index.outgoingEnqueueCombi(h.c.map((clientId) => ({ clientId })), packet);
      return;
    case 'X':
      index.removeByKey(h.c, { brokerId: h.b, brokerCounter: h.n });
      return;
    case 'R':
      if (!packet) return;
      await store.storeRetained(packet);
      return mirror.storeRetained(packet);
    case 'W':
      if (!packet) return;
      await store.putWill({ id: h.c }, packet);
      // putWill stamps this broker's id; the will belongs to the broker that died, so aedes
      // publishes it unless the client reconnects (and replaces it) first.
      packet.brokerId = h.p.b;
      mirror.wills.set(h.c, packet);
      return;
    case 'w':
      await store.delWill({ id: h.c });
      mirror.wills.delete(h.c);
      return;
    case 'I':
      if (!packet) return;
      await store.incomingStorePacket({ id: h.c }, packet);
      return mirror.storeIncoming(h.c, packet);
    case 'i':
      await store.incomingDelPacket({ id: h.c }, { messageId: h.m } as StoredPacket).catch(() => undefined);
      return mirror.deleteIncoming(h.c, h.m);
    case 'J':
      await store.cleanIncoming({ id: h.c });
      mirror.incoming.delete(h.c);
      return;
  }
}

/** Route the store's changes into the journal (the store keeps doing the work). */
function journalChanges(inner: Store, orig: Store, index: OutgoingIndex, mirror: StateMirror, journal: Journal): void {
  const durable = (b: Buffer): Promise<void> => journal.appendDurable(b);
  const added = new WeakMap<object, Promise<void>>(); // aedes calls addSubscriptions once per filter, with the whole list
  inner.addSubscriptions = async (c, subs) => {
    await orig.addSubscriptions(c, subs);
    let done = added.get(subs);
    if (!done) {
      mirror.addSubscriptions(c.id, subs);
      added.set(subs, (done = durable(encode({ k: 'S', c: c.id, s: subs.map((s) => ({ topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl })) }))));
    }
    return done;
  };
  inner.removeSubscriptions = async (c, topics) => {
    await orig.removeSubscriptions(c, topics);
    mirror.removeSubscriptions(c.id, topics);
    journal.append(encode({ k: 'U', c: c.id, t: topics }));
  };
  inner.cleanSubscriptions = async (c) => {
    await orig.cleanSubscriptions(c);
    if (mirror.subscriptions.delete(c.id)) journal.append(encode({ k: 'C', c: c.id }));
  };
  inner.outgoingEnqueueCombi = (subs, p) => {
    const r = orig.outgoingEnqueueCombi(subs, p);
    if (subs.length === 0) return r;
    return durable(encode({ k: 'E', c: subs.map((s) => s.clientId), p: packetHead(p) }, p.payload));
  };
  inner.outgoingEnqueue = (sub, p) => {
    void orig.outgoingEnqueue(sub, p);
    return durable(encode({ k: 'E', c: [sub.clientId], p: packetHead(p) }, p.payload));
  };
  const cleared = (clientId: string, e: StoredPacket): void =>
    journal.append(encode({ k: 'X', c: clientId, b: e.brokerId, n: e.brokerCounter }));
  inner.outgoingClearMessageId = (c, p) =>
    orig.outgoingClearMessageId(c, p).then((e) => {
      if (e) cleared(c.id, e);
      return e;
    });
  index.onReplace = (clientId, old, p) => {
    cleared(clientId, old as StoredPacket);
    journal.append(encode({ k: 'E', c: [clientId], p: packetHead(p as StoredPacket) }, (p as StoredPacket).payload));
  };
  inner.storeRetained = async (p) => {
    await orig.storeRetained(p);
    mirror.storeRetained(p);
    return durable(encode({ k: 'R', p: packetHead(p) }, p.payload));
  };
  inner.putWill = async (c, p) => {
    await orig.putWill(c, p);
    mirror.wills.set(c.id, p);
    return durable(encode({ k: 'W', c: c.id, p: packetHead(p) }, p.payload));
  };
  inner.delWill = async (c) => {
    const w = await orig.delWill(c);
    if (mirror.wills.delete(c.id)) journal.append(encode({ k: 'w', c: c.id }));
    return w;
  };
  inner.incomingStorePacket = async (c, p) => {
    await orig.incomingStorePacket(c, p);
    mirror.storeIncoming(c.id, p);
    return durable(encode({ k: 'I', c: c.id, p: { ...packetHead(p), m: p.messageId } }, p.payload));
  };
  inner.incomingDelPacket = async (c, p) => {
    await orig.incomingDelPacket(c, p);
    if (p.messageId !== undefined) mirror.deleteIncoming(c.id, p.messageId);
    journal.append(encode({ k: 'i', c: c.id, m: p.messageId ?? 0 }));
  };
  inner.cleanIncoming = async (c) => {
    await orig.cleanIncoming(c);
    if (mirror.incoming.delete(c.id)) journal.append(encode({ k: 'J', c: c.id }));
  };
}

/**
 * Restore the state kept in `dir` into aedes' in-memory store and journal every later change
 * there. `inner` is the store aedes uses (aedes-persistence's AsyncPersistence), `index` the
 * outgoing queues installed in it. Call after the broker is created and before clients connect.
 */
export async function openDiskState(inner: unknown, index: OutgoingIndex, opts: DiskStateOptions): Promise<DiskState> {
  const { dir, log } = opts;
  const store = inner as Store;
  for (const m of STORE_METHODS)
    if (typeof store[m] !== 'function') throw new DiskStateError(`the in-memory store has no ${m}(); cannot keep broker state on disk`);
  const registers = [opts.registry];
  const errors = new Counter({ name: 'yizhan_broker_persistence_errors_total', help: 'Failures of the broker state journal on disk, by operation (write, compact, replay); durable changes are refused while it fails', labelNames: ['op'], registers });
  const torn = new Counter({ name: 'yizhan_broker_journal_torn_bytes_total', help: 'Bytes cut off the end of the broker state journal at start (a record torn by a crash)', registers });
  const flushes = new Histogram({ name: 'yizhan_broker_journal_sync_seconds', help: 'Time of one group write + fdatasync of the broker state journal', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers });

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDir(dir);
  const file = join(dir, 'journal');
  const mirror = new StateMirror();
  const t0 = performance.now();
  const parsed = await readJournal(file);
  if (parsed.tornBytes > 0) {
    torn.inc(parsed.tornBytes);
    log.warn({ file, validBytes: parsed.validBytes, tornBytes: parsed.tornBytes, reason: parsed.tornReason }, 'broker state journal: torn tail cut off (a crash during a write); everything before it is restored');
  }
  const orig = Object.fromEntries(STORE_METHODS.map((m) => [m, (store[m] as (...a: unknown[]) => unknown).bind(store)])) as unknown as Store;
  let skipped = 0;
  for (const rec of parsed.records) {
    try {
      await replay(decode(rec), orig, index, mirror);
    } catch (err) {
      skipped++;
      errors.inc({ op: 'replay' });
      if (skipped <= 10) log.error({ err, file }, 'broker state journal: a record could not be restored and is skipped');
    }
  }
  const restoredQueues = index.lengths();
  let queued = 0;
  for (const n of restoredQueues.values()) queued += n;
  log.info(
    { dir, records: parsed.records.length, skipped, sessions: mirror.subscriptions.size, queued, retained: mirror.retained.size, wills: mirror.wills.size, ms: Math.round(performance.now() - t0) },
    'broker state restored from disk',
  );

  const throttle = new LogThrottle(10_000);
  const journal = await Journal.create({
    file,
    snapshot: () => mirror.snapshot(index.all() as Iterable<[string, StoredPacket]>),
    compactBytes: opts.compactBytes ?? DEFAULT_COMPACT_BYTES,
    retryMs: opts.retryMs,
    onError: (err, op) => {
      errors.inc({ op });
      const suppressed = throttle.pass(op);
      if (suppressed !== undefined)
        log.error({ err, file, op, ...(suppressed ? { suppressed } : {}) }, 'broker state journal write failed: QoS 1 messages, subscriptions and retained messages are refused (no PUBACK) until it works again');
    },
    onRecovered: () => log.warn({ file }, 'broker state journal writes again (rewritten from memory)'),
    onFlush: (_bytes, synced, ms) => {
      if (synced) flushes.observe(ms / 1000);
    },
  }).catch(async (e: unknown) => {
    await unlock();
    throw e;
  });
  journalChanges(store, orig, index, mirror, journal);
  const j = journal;
  new Gauge({ name: 'yizhan_broker_journal_bytes', help: 'Size of the broker state journal file', registers, collect() { this.set(j.size); } });
  return {
    dir,
    restoredQueues,
    problem: () => (j.lastError ? `broker state journal ${file} cannot be written (${j.lastError.message}); QoS 1 messages are refused until it can` : undefined),
    journalBytes: () => j.size,
    close: async () => {
      await j.close();
      await unlock();
    },
  };
}
