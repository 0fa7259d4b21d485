/**
 * A connection's duplicate filter by message identity (broker/src/aedes-patches/dedupe.ts), on an
 * aedes stand-in: which forwards it refuses.
 */
import { describe, expect, it } from 'vitest';
import type { Aedes, Client } from 'aedes';
import { dedupeByIdentity } from '../../../broker/src/aedes-patches/dedupe.js';

interface Pkt {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number | null;
}

function setup(window?: number) {
  const aedes = {
    handle: () => ({}) as Client,
    authorizeForward: (_c: Client, p: Pkt) => p,
  };
  dedupeByIdentity(aedes as unknown as Aedes, window);
  const connect = () => aedes.handle();
  const forwarded = (c: Client, p: Pkt) => aedes.authorizeForward(c, p) !== null;
  return { connect, forwarded };
}

describe('duplicate filter by message identity', () => {
  const live = (counter: number, brokerId = 'node-a'): Pkt => ({ brokerId, brokerCounter: counter });

  it('refuses a live message handed to the same connection before, in any order, from any node', () => {
    const s = setup();
    const c = s.connect();
    expect([live(2), live(1), live(1), live(2), live(1, 'node-b'), live(3)].map((p) => s.forwarded(c, p))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    // another connection (a reconnect) starts afresh
    expect(s.forwarded(s.connect(), live(1))).toBe(true);
  });

  it('never refuses a copy the session queue sends again: only the PUBACK may remove a queued message', () => {
    const s = setup();
    const c = s.connect();
    expect(s.forwarded(c, live(7))).toBe(true);
    // the same message from the queue replay (it carries its packet id): it goes out again
    expect(s.forwarded(c, { ...live(7), messageId: 41 })).toBe(true);
    // Redis: a live message arrives through msgpack with messageId null, and is still live
    expect(s.forwarded(c, { ...live(7), messageId: null })).toBe(false);
    // queued first, live after: the live copy is the duplicate
    expect(s.forwarded(c, { ...live(8), messageId: 42 })).toBe(true);
    expect(s.forwarded(c, live(8))).toBe(false);
  });

  it('remembers the last `window` identities per connection', () => {
    const s = setup(2);
    const c = s.connect();
    for (const n of [1, 2, 3]) s.forwarded(c, live(n));
    expect(s.forwarded(c, live(3))).toBe(false);
    expect(s.forwarded(c, live(1))).toBe(true); // forgotten
  });

  it('lets a retained message on SUBSCRIBE through (no broker id)', () => {
    const s = setup();
    const c = s.connect();
    expect(s.forwarded(c, {})).toBe(true);
    expect(s.forwarded(c, {})).toBe(true);
  });
});
