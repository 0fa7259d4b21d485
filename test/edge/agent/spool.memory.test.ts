/**
 * The DiskSpool in steady state (link up, no backlog) keeps in memory only what is in flight, however
 * long it runs: records go to disk and to the live lane, and are let go once acknowledged. (It used
 * to keep every record of the tail segment in the disk reader's buffer once health had looked at the
 * oldest entry: up to 4 MiB of records, several MB of RSS on a board.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../../edge/src/agent/outbox.js';
import { DiskSpool } from '../../../edge/src/agent/spool.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

const payload = Buffer.from(
  JSON.stringify({ readings: Array.from({ length: 20 }, (_, i) => ({ ch: i, v: i })) }),
);

describe('DiskSpool memory in steady state', () => {
  it.each([
    ['no backlog', 0],
    ['a backlog of 50 made before the link came up', 50],
  ])('%s: after the backlog, records in memory stay at the in-flight window', (_label, backlog) => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-spool-mem-'));
    const s = new DiskSpool({ dir, fsync: 'never' });
    cleanup.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => s.close(),
    );
    const msg = (i: number) => ({
      topic: 't',
      leaf: 'telemetry' as const,
      payload,
      retain: false,
      enqueuedAt: i,
    });
    let i = 0;
    for (; i < backlog; i++) s.push(msg(i));
    s.setLive(true);
    const inflight: OutboxMessage[] = [];
    const publish = (): void => {
      for (let m = s.shift(); m; m = s.shift()) inflight.push(m);
      // Acknowledged two messages later, as with a broker a few ms away.
      while (inflight.length > 2) {
        const m = inflight.shift();
        if (m) s.ack(m);
      }
    };
    let most = 0;
    for (let n = 0; n < 5000; n++, i++) {
      s.push(msg(i));
      publish();
      // The agent's health looks at the oldest waiting entry every 30 s (here: every 30 messages).
      if (n % 30 === 0) s.oldestEnqueuedAt();
      if (n >= 100) most = Math.max(most, s.inMemory);
    }
    expect(s.depth).toBe(0);
    expect(inflight).toHaveLength(2);
    expect(most).toBeLessThanOrEqual(2);
  });
});
