/**
 * A connection gets its CONNACK before any PUBLISH [MQTT-3.2.0-1: "The first packet sent from the
 * Server to the Client MUST be a CONNACK Packet"].
 *
 * aedes restores a persistent session's subscriptions before it writes the CONNACK
 * (lib/handlers/connect.js: fetchSubs, restoreSubs, storeWill, registerClient, cleanIncoming,
 * doConnack, emptyQueue), so a message published meanwhile was written to the connection ahead of
 * its CONNACK. mqtt.js (the yizhan server's client) handles incoming packets one at a time; a
 * QoS 1 PUBLISH before the CONNACK makes it queue its PUBACK "until connected" and wait for that
 * before reading the next packet, which is the CONNACK: the connection hangs, nothing more is read
 * or acknowledged, and everything the stations send piles up in the session's queue until the
 * client's connect timeout gives up (10 s for the server, 30 s by default). Seen with Redis after
 * a routing outage (the server reconnected while a station published every 10 ms: 75 messages
 * stuck for the whole test), and possible on any reconnect under traffic, wider the slower the
 * store (a will written to Redis lies between restoreSubs and doConnack).
 *
 * Here the deliveries to a connection that has not been sent its CONNACK wait, in order, and go
 * out right after it (before the session's queue is replayed, as aedes ordered them until now).
 * The publish does not wait for them: each held delivery reports done at once, so a slow connect
 * never holds back a station's PUBACK or the messages behind it (emit-order.ts waits for every
 * delivery of a message). A connection that closes first drops them: its session's queue keeps
 * the QoS 1/2 ones (queued before any delivery), and a clean session's are gone with it, as they
 * would be on a closed socket.
 */
import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';

type Deliver = (packet: unknown, cb: () => void) => void;

interface Delivering {
  connackSent: boolean;
  deliver0: Deliver;
  deliverQoS: Deliver;
  conn: { once(event: 'close', listener: () => void): unknown };
}

const noop = (): void => undefined;

/** Install on this broker before any client connects. */
export function connackFirst(aedes: Aedes): void {
  const a = aedes as unknown as { handle: (conn: Duplex, req?: unknown) => Client };
  const waiting = new WeakMap<object, (() => void)[]>();
  const handle = a.handle;
  a.handle = function (conn, req) {
    const client = handle.call(this, conn, req);
    holdUntilConnack(client as unknown as Delivering, waiting);
    return client;
  };
  aedes.on('connackSent', (_connack, client) => {
    const held = waiting.get(client);
    waiting.delete(client);
    for (const send of held ?? []) send();
  });
}

/**
 * aedes' subscribe handler takes `client.deliverQoS` / `deliver0` when a subscription is made,
 * so they are replaced here, as the client is created, before any subscription exists.
 */
function holdUntilConnack(client: Delivering, waiting: WeakMap<object, (() => void)[]>): void {
  waiting.set(client, []);
  const hold =
    (deliver: Deliver): Deliver =>
    (packet, cb) => {
      const held = client.connackSent ? undefined : waiting.get(client);
      if (!held) return deliver(packet, cb);
      held.push(() => deliver(packet, noop));
      setImmediate(cb);
    };
  client.deliver0 = hold(client.deliver0);
  client.deliverQoS = hold(client.deliverQoS);
  // aedes binds its close to the connection's end when the client is made: watch the socket instead
  client.conn.once('close', () => waiting.delete(client));
}
