/**
 * A process that writes to a durable log and is killed (SIGKILL, by itself) at a chosen point:
 *
 *   tsx crash-child.ts <dir> <point>
 *
 * It adds records 0..99 (ten per event-loop turn), takes and accepts the first 40, and dies:
 * - `after-write`: right after the last turn's write(), before any fdatasync or cursor file;
 * - `before-rename`: while saving the cursor, after cursor.tmp is written, before the rename;
 * - `after-cursor`: right after the cursor file was renamed into place.
 * Prints nothing; the parent reads the folder with a new log.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [dir, point] = process.argv.slice(2) as [string, string];
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
/** Set once r0..r39 are accepted: the cursor saved from then on names r40. */
let armed = false;
const rename = fs.renameSync;
fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
  const cursor = armed && String(to).endsWith('cursor');
  if (cursor && point === 'before-rename') die();
  rename(from, to);
  if (cursor && point === 'after-cursor') die();
};
syncBuiltinESMExports();
const { SegmentLog } = await import('@yizhan/common/durable-log');

const log = new SegmentLog({ dir, appendPerTurn: true, cursorSaveMs: 0, syncIntervalMs: 1 });
for (let t = 0; t < 10; t++) {
  log.add(Array.from({ length: 10 }, (_, i) => `r${t * 10 + i}`));
  await new Promise((r) => setImmediate(r));
}
if (point === 'after-write') die();
let taken = 0;
while (taken < 40) {
  const b = log.batch(40 - taken);
  if (!b) break;
  taken += b.records.length;
  log.accept(b);
}
armed = true;
// The group commit saves the cursor (cursorSaveMs 0): the kill points above fire there.
setInterval(() => {}, 1000);
