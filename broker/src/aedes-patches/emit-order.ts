/**
 * Messages reach live subscribers in the order aedes numbered them.
 *
 * aedes gives every message a broker counter when it is published and drops, per connection, a
 * message whose counter is not above the highest it has delivered on that connection from the same
 * broker (lib/client.js `dedupe`, meant for a message matching two filters of one client). Before
 * a message is handed to subscribers, aedes stores it: a retained message (`storeRetained`) and a
 * QoS 1/2 message for persistent sessions (`outgoingEnqueueCombi`). With the journal on disk
 * (broker/src/disk-state.ts) or Redis these steps take an fsync or a round trip each, so a message
 * with fewer steps (a QoS 0 message: none; a telemetry reading: one; a retained status: two)
 * overtakes an earlier one, and the earlier one is then dropped as a "duplicate": a station's
 * retained status, published right after it connects, never reached the server when a reading
 * followed it.
 *
 * Each publish is registered with the counter it is about to get; its hand-over to subscribers
 * (`mq.emit`) waits until every earlier registered publish has been handed over or has failed.
 * A publish that neither completes nor fails within `stallMs` (a store that never answers) stops
 * holding the later ones back (`onStall`); it is handed over whenever it comes.
 */
import type { Aedes } from 'aedes';

type Done = (err?: Error | null) => void;
interface Numbered {
  brokerId?: string;
  brokerCounter?: number;
}
interface Pending {
  brokerId: string;
  ready?: () => void;
}

/** How long an unfinished publish may hold later ones back, by default. */
export const DEFAULT_STALL_MS = 10_000;

/** Install on this broker, after its persistence is set up and before clients connect. */
export function emitInCounterOrder(
  aedes: Aedes,
  opts: { stallMs?: number; onStall?: (info: { brokerCounter: number; held: number }) => void } = {},
): { pending(): number } {
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  const a = aedes as unknown as {
    id: string;
    counter: number;
    publish: (this: unknown, packet: Numbered, client: unknown, done?: Done) => void;
    mq: { emit: (packet: Numbered, cb?: Done) => void };
  };
  // counters are given in increasing order, so insertion order is counter order
  const pending = new Map<number, Pending>();
  // one timer at a time: the first entry waiting at its start, if still first when it fires, stalled
  let timer: NodeJS.Timeout | undefined;
  let watched: number | undefined;
  const first = (): number | undefined => pending.keys().next().value;
  const check = (): void => {
    timer = undefined;
    const head = first();
    if (head !== undefined && head === watched && pending.size > 1) {
      pending.delete(head);
      opts.onStall?.({ brokerCounter: head, held: pending.size });
      flush();
    } else arm();
  };
  const arm = (): void => {
    if (timer || pending.size < 2) return; // nothing held back
    watched = first();
    timer = setTimeout(check, stallMs);
    timer.unref();
  };
  function flush(): void {
    for (const [n, p] of pending) {
      if (!p.ready) break;
      pending.delete(n);
      p.ready();
    }
    arm();
  }
  const publish = a.publish;
  a.publish = function (packet, client, done) {
    if (typeof client === 'function') {
      done = client as Done;
      client = null;
    }
    if (packet.brokerCounter) return publish.call(this, packet, client, done);
    const before = a.counter;
    const n = before + 1; // aedes-packet: `original.brokerCounter || ++broker.counter`
    pending.set(n, { brokerId: packet.brokerId || a.id });
    publish.call(this, packet, client, (err) => {
      // a publish that failed before its hand-over must not hold back later ones
      if (pending.delete(n)) flush();
      done?.(err);
    });
    // refused before it was numbered (too many topic levels): the counter was not taken
    if (a.counter === before && pending.delete(n)) flush();
  };
  const mq = a.mq;
  const emit = mq.emit.bind(mq);
  mq.emit = (packet, cb) => {
    const p = packet.brokerCounter === undefined ? undefined : pending.get(packet.brokerCounter);
    if (!p || p.brokerId !== packet.brokerId) return emit(packet, cb);
    p.ready = () => emit(packet, cb);
    flush();
  };
  return { pending: () => pending.size };
}
