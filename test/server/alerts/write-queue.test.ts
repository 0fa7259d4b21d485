/**
 * The group-commit queue of the alerts' store writes: one write per turn's worth of items, in
 * order, bounded, retried, drained at close; every item either written or counted as dropped.
 */
import { describe, expect, it } from 'vitest';
import { WriteQueue, type DropReason } from '../../../server/src/alerts/write-queue.js';

function queue(
  write: (batch: readonly number[]) => Promise<void> = () => Promise.resolve(),
  opts: ConstructorParameters<typeof WriteQueue<number>>[1] = {},
) {
  const batches: number[][] = [];
  const dropped: [DropReason, number[]][] = [];
  const q = new WriteQueue<number>(
    {
      write: async (b) => {
        await write(b);
        batches.push([...b]);
      },
      onDrop: (reason, items) => dropped.push([reason, [...items]]),
    },
    { retryMs: 1, ...opts },
  );
  return { q, batches, dropped };
}

describe('WriteQueue', () => {
  it('writes what one turn queued in one batch, in order, and the next turn in the next', async () => {
    const { q, batches } = queue(undefined, { maxBatch: 1000 });
    for (let i = 0; i < 500; i++) q.push(i);
    await q.flushed();
    for (let i = 500; i < 510; i++) q.push(i);
    await q.flushed();
    expect(batches.map((b) => b.length)).toEqual([500, 10]);
    expect(batches.flat()).toEqual(Array.from({ length: 510 }, (_, i) => i));
    expect(q.depth).toBe(0);
  });

  it('splits a long queue into batches of maxBatch', async () => {
    const { q, batches } = queue(undefined, { maxBatch: 100 });
    for (let i = 0; i < 250; i++) q.push(i);
    await q.flushed();
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('drops past its bound, and says so', async () => {
    const { q, batches, dropped } = queue(undefined, { maxQueued: 3 });
    expect([1, 2, 3, 4].map((i) => q.push(i))).toEqual([true, true, true, false]);
    await q.flushed();
    expect(batches.flat()).toEqual([1, 2, 3]);
    expect(dropped).toEqual([['queue_full', [4]]]);
  });

  it('retries a failed batch, and gives it up (counted) after maxAttempts', async () => {
    let failures = 2;
    const flaky = queue(
      () => (failures-- > 0 ? Promise.reject(new Error('SQLITE_BUSY')) : Promise.resolve()),
      {
        maxAttempts: 3,
      },
    );
    flaky.q.push(7);
    await flaky.q.flushed();
    expect(flaky.batches).toEqual([[7]]);
    expect(flaky.dropped).toEqual([]);

    const broken = queue(() => Promise.reject(new Error('disk full')), { maxAttempts: 3 });
    broken.q.push(8);
    broken.q.push(9);
    await broken.q.flushed();
    expect(broken.batches).toEqual([]);
    expect(broken.dropped).toEqual([['write_failed', [8, 9]]]);
  });

  it('drains at close; past the grace what waits is dropped as shutdown, as is what comes after', async () => {
    const { q, batches } = queue();
    q.push(1);
    await q.close(1000);
    expect(batches).toEqual([[1]]);

    let release = (): void => {};
    const stuck = queue(() => new Promise<void>((r) => (release = r)), { maxBatch: 1 });
    stuck.q.push(1);
    stuck.q.push(2);
    await expect.poll(() => stuck.q.depth).toBe(2);
    await stuck.q.close(20);
    expect(stuck.dropped).toEqual([['shutdown', [2]]]);
    expect(stuck.q.push(3)).toBe(false);
    expect(stuck.dropped.at(-1)).toEqual(['shutdown', [3]]);
    release();
    await stuck.q.flushed();
    expect(stuck.batches).toEqual([[1]]);
  });
});
