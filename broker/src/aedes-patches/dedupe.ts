/**
 * A message is dropped as a duplicate for a connection only when that connection was handed the
 * very same message (same broker id and counter) before.
 *
 * aedes' duplicate filter (lib/client.js `dedupe`, meant for a message that matches two filters
 * of one client) keeps, per connection, the highest broker counter delivered from each broker id
 * and drops any message not above it. That takes counters to arrive in order, which a cluster does
 * not give:
 * - with Redis, each node numbers its own messages and a message reaches the subscribers after a
 *   varying number of round trips (a retained status: more than the reading sent right after it);
 * - a will that a surviving node publishes for a dead (or merely silent) node is numbered by the
 *   survivor under the other node's id: once one such will was delivered, every connection dropped
 *   that node's messages until its own counter caught up (232 s, 93,497 readings in one run);
 * - a restarted process counts from 0 again.
 * Each of these silently dropped messages that were not duplicates. Here aedes' filter is turned
 * off (every connection's `duplicates` record ignores what is written to it) and the connection
 * keeps the identities of the last `window` messages it was handed instead.
 *
 * Only live deliveries are filtered. A copy that the session's queue sends again (on a reconnect;
 * it carries its packet id) always goes out, even when a live copy was handed to the same
 * connection: aedes removes a queued message whose forward is refused, and the live copy may never
 * reach the client (its connection dropped before the client read it). Only the client's PUBACK
 * may remove a queued message; the server recognises a message it got twice.
 */
import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';

/** Identities remembered per connection: a message matching two filters is handed over twice in a row. */
export const DEFAULT_DEDUPE_WINDOW = 1_024;

interface Numbered {
  brokerId?: string | null;
  brokerCounter?: number | string;
  /** Set on a copy from the session's queue (aedes' queue replay gives it one); a live delivery has none yet. */
  messageId?: number | null;
}

/** aedes writes `duplicates[brokerId] = counter` and reads it back; this record forgets every write. */
const FORGETFUL: Record<string, number> = new Proxy(Object.create(null) as Record<string, number>, {
  get: () => undefined,
  set: () => true,
  deleteProperty: () => true,
});

/** Install on this broker before any client connects. */
export function dedupeByIdentity(aedes: Aedes, window = DEFAULT_DEDUPE_WINDOW): void {
  const a = aedes as unknown as {
    handle: (conn: Duplex, req?: unknown) => Client;
    authorizeForward: (client: Client, packet: Numbered) => object | null | undefined;
  };
  const handle = a.handle;
  a.handle = function (conn, req) {
    const client = handle.call(this, conn, req) as Client & { duplicates: Record<string, number> };
    client.duplicates = FORGETFUL;
    return client;
  };
  const seen = new WeakMap<Client, Set<string>>();
  const forward = a.authorizeForward;
  a.authorizeForward = function (client, packet) {
    // a retained message sent on SUBSCRIBE has no broker id: aedes never filters those either
    if (packet.brokerId) {
      const key = `${packet.brokerId}\u0000${String(packet.brokerCounter)}`;
      let ids = seen.get(client);
      if (!ids) seen.set(client, (ids = new Set()));
      if (ids.has(key) && typeof packet.messageId !== 'number') return null;
      ids.add(key);
      if (ids.size > window) ids.delete(ids.values().next().value as string);
    }
    return forward.call(this, client, packet);
  };
}
