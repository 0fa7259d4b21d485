/** Shared by the durable log's tests: temp folders removed after each test, records r0.., drain. */
import { afterEach } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog, type LogOptions } from '@yizhan/common/durable-log';

const dirs: string[] = [];
export const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-dlog-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
export const recs = (from: number, n: number) => Array.from({ length: n }, (_, i) => `r${from + i}`);
export const nextTurn = () => new Promise((r) => setImmediate(r));

/** Everything a log delivers, taken and accepted in batches of 7. */
export function drain(log: SegmentLog): string[] {
  const out: string[] = [];
  for (let b = log.batch(7); b; b = log.batch(7)) {
    out.push(...b.records);
    log.accept(b);
  }
  return out;
}
export const reopen = (dir: string, o: LogOptions = {}) => new SegmentLog({ dir, ...o });
export const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log'));
