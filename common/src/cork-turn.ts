/**
 * Hold a stream's writes until the next event-loop turn, so everything written to it in this turn
 * (one PUBACK per message, say) leaves in one socket write, one syscall, instead of one each.
 * Nothing waits longer than the current turn. Calling it again in the same turn does nothing.
 */
import type { Writable } from 'node:stream';

const corked = new WeakSet<Writable>();

export function corkUntilNextTurn(stream: Writable | undefined): void {
  if (!stream || typeof stream.cork !== 'function' || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
