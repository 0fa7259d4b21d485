/**
 * Hold a stream's writes until the next turn of the event loop, so that what a burst of
 * callbacks writes (acknowledgements released together) leaves in one writev instead of one
 * syscall per packet. mqtt-packet corks only until the next tick, which ends before the other
 * callbacks of the same loop turn run.
 */

/** What of a stream corking needs (net.Socket, tls.TLSSocket, a WebSocket duplex). */
export interface Corkable {
  cork?(): void;
  uncork?(): void;
}

const corked = new WeakSet<Corkable>();

/**
 * Cork `stream` until the next loop turn (setImmediate), unless it already is. Returns false,
 * doing nothing, when the stream cannot cork (writes then leave one by one).
 */
export function corkUntilNextTurn(stream: Corkable | undefined): boolean {
  if (!stream || typeof stream.cork !== 'function' || typeof stream.uncork !== 'function') return false;
  if (corked.has(stream)) return true;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork?.();
  });
  return true;
}
