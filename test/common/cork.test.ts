/** corkUntilNextTurn (common/src/cork.ts): writes of one loop turn leave in one writev. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { corkUntilNextTurn } from '@yizhan/common/cork';

function recorder(): { stream: Writable; writes: number[] } {
  const writes: number[] = []; // chunks per write call that reached the "socket"
  const stream = new Writable({
    write(_chunk, _enc, cb) {
      writes.push(1);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.length);
      cb();
    },
  });
  return { stream, writes };
}

describe('corkUntilNextTurn', () => {
  it('gathers what separate callbacks of one loop turn write into one writev', async () => {
    const { stream, writes } = recorder();
    await new Promise<void>((resolve) => {
      // two callbacks of the same turn, as two PUBACKs released by two completions
      setImmediate(() => {
        expect(corkUntilNextTurn(stream)).toBe(true);
        stream.write(Buffer.from([0x40, 2]));
        stream.write(Buffer.from([0, 1]));
      });
      setImmediate(() => {
        expect(corkUntilNextTurn(stream)).toBe(true); // already corked: nothing more to undo
        stream.write(Buffer.from([0x40, 2, 0, 2]));
        expect(writes).toEqual([]);
      });
      setImmediate(() => setImmediate(resolve));
    });
    expect(writes).toEqual([3]);
    expect(stream.writableCorked).toBe(0);
    // the next turn corks again
    corkUntilNextTurn(stream);
    stream.write(Buffer.from([1]));
    await expect.poll(() => writes).toEqual([3, 1]);
  });

  it('does nothing for a stream that cannot cork', () => {
    expect(corkUntilNextTurn(undefined)).toBe(false);
    expect(corkUntilNextTurn({})).toBe(false);
  });
});
