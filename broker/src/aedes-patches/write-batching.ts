/**
 * What aedes writes to one connection during a loop turn leaves in one writev.
 *
 * aedes hands each delivery to its own setImmediate (lib/client.js `deliverQoS`, "to clear
 * stacks"), and mqtt-packet corks a stream only until the next tick, which Node runs after every
 * immediate: each message to the server's connection was a writev of its own (in bench:broker,
 * 11 % of the broker's busy time was in those writev calls, one per delivered message). Corked
 * until the next loop turn (common/src/cork.ts), the deliveries of one turn share one writev;
 * a message waits at most one loop turn longer.
 */
import type { Aedes, Client } from 'aedes';
import { corkUntilNextTurn, type Corkable } from '@yizhan/common/cork';

type WriteArgs = Parameters<NodeJS.WritableStream['write']>;
interface Conn extends Corkable {
  write(...args: WriteArgs): boolean;
}

/** Install on this broker: every connection registered from now on batches its writes per loop turn. */
export function batchWritesPerTurn(aedes: Aedes): void {
  aedes.on('client', (client: Client) => {
    const conn = client.conn as unknown as Conn;
    if (typeof conn.write !== 'function' || typeof conn.cork !== 'function') return;
    const write = conn.write.bind(conn);
    conn.write = (...args: WriteArgs) => {
      corkUntilNextTurn(conn);
      return write(...args);
    };
  });
}
