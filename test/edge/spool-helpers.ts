/**
 * Helpers of the DiskSpool lane tests (spool.lanes.test.ts, spool.lanes.int.test.ts): temp folders
 * and spools closed and removed after each test, numbered telemetry records, and reading them back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { OutboxMessage } from '../../edge/src/agent/outbox.js';
import { DiskSpool } from '../../edge/src/agent/spool.js';

/** Registers the file's afterEach/afterAll: what `tmp`, `open` and `cleanup` hold is undone there. */
export function spoolScratch(): {
  cleanup: (() => Promise<void> | void)[];
  tmp: () => string;
  open: (dir: string, liveMax?: number) => DiskSpool;
} {
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async (): Promise<void> => {
    for (const f of cleanup.splice(0).reverse()) await f();
  };
  afterEach(undo);
  afterAll(undo);
  return {
    cleanup,
    tmp: () => {
      const d = mkdtempSync(join(tmpdir(), 'yz-lanes-'));
      cleanup.push(() => rmSync(d, { recursive: true, force: true }));
      return d;
    },
    open: (dir, liveMax) => {
      const s = new DiskSpool({ dir, fsync: 'never', liveMax });
      cleanup.push(() => s.close());
      return s;
    },
  };
}

export const TOPIC = 'yizhan/v1/stations/st-901/telemetry';

/** Telemetry record number `seq` of one boot. */
export const msg = (seq: number, enqueuedAt = 1_700_000_000_000 + seq): OutboxMessage => ({
  topic: TOPIC,
  leaf: 'telemetry',
  payload: Buffer.from(JSON.stringify({ bootId: 'b-1', seq, ts: enqueuedAt })),
  retain: false,
  enqueuedAt,
});

export const seqOf = (m: OutboxMessage | undefined): number =>
  m ? (JSON.parse(m.payload.toString('utf8')) as { seq: number }).seq : -1;

/** Up to `n` records handed out by the spool. */
export function take(s: DiskSpool, n: number): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = s.shift();
    if (m) out.push(m);
  }
  return out;
}
