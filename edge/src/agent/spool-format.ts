/**
 * The record format of the DiskSpool (spool.ts): one JSON array per line,
 * `[topic, leaf, retain(0|1), enqueuedAt, payload]`, in the durable log's segments; and the take-over
 * of a spool of the format before it (`<16-digit sid>.seg` files of `[sid, topic, leaf, retain,
 * enqueuedAt, payload]` lines and an `acked` cursor file): its records not yet acknowledged are
 * appended to the log in order, made durable, and the old files deleted.
 */
import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TopicLeaf, type TopicLeafValue } from '@yizhan/protocol/mqtt';
import type { SegmentLog } from '@yizhan/common/durable-log';
import type { OutboxMessage } from './outbox.js';

/** A spooled message with its id (its log offset). */
export type Rec = OutboxMessage & { id: number };

/** The spool folder cannot be used (permissions, not a folder, disk full); retrying will not help. */
export class SpoolError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SpoolError';
  }
}

const LEAVES = new Set<string>(Object.values(TopicLeaf));

/** The record of one message (no newline: JSON escapes them). */
export function formatRecord(m: OutboxMessage): string {
  return JSON.stringify([m.topic, m.leaf, m.retain ? 1 : 0, m.enqueuedAt, m.payload.toString('utf8')]);
}

/** The message of a record, or undefined when it cannot be read. */
export function parseRecord(line: string, id: number): Rec | undefined {
  const v = parseJson(line);
  if (!Array.isArray(v) || v.length !== 5) return undefined;
  return toRec(id, v as unknown[]);
}

function toRec(id: number, [topic, leaf, retain, enqueuedAt, payload]: unknown[]): Rec | undefined {
  if (
    typeof topic !== 'string' ||
    typeof leaf !== 'string' ||
    !LEAVES.has(leaf) ||
    typeof enqueuedAt !== 'number' ||
    typeof payload !== 'string'
  )
    return undefined;
  const m = { topic, leaf: leaf as TopicLeafValue, retain: retain === 1, enqueuedAt };
  return { ...m, payload: Buffer.from(payload, 'utf8'), id };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Segment files of the previous format: the first sid, 16 digits. */
const LEGACY_SEG = /^(\d{16})\.seg$/;

/**
 * Take over a spool of the previous format in `dir`, if any: its records with a sid past `acked`
 * are added to `log` in sid order and committed, then the old files are deleted. A line that does
 * not parse (a torn write) is skipped and logged. Throws a SpoolError naming the file when the log
 * refuses a record (disk full): the old files stay for the next start. Closes `log` when there
 * was something to take over (returns undefined, and leaves it open, when there was not).
 */
export function takeOverLegacy(dir: string, log: SegmentLog, logger?: Logger): number | undefined {
  const names = readdirSync(dir)
    .filter((n) => LEGACY_SEG.test(n))
    .sort();
  if (names.length === 0) return undefined;
  const acked = legacyAcked(dir, logger);
  let taken = 0;
  for (const name of names) {
    const path = join(dir, name);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      const v = parseJson(line);
      const rec =
        Array.isArray(v) && v.length === 6 && typeof v[0] === 'number' ? toRec(v[0], v.slice(1)) : undefined;
      if (!rec) {
        logger?.warn({ path, line: i + 1 }, 'spool record unreadable (torn write?); skipped');
        continue;
      }
      if (rec.id <= acked) continue;
      const r = log.add([formatRecord(rec)]);
      if (!r.ok)
        throw new SpoolError(
          `cannot take over ${path} (spool of the previous format): ${r.error.message}; free disk space and start again, or delete the *.seg files in ${dir} to give up their messages`,
        );
      taken++;
    }
  }
  log.close(); // commit; the caller reopens
  for (const name of names) unlinkSync(join(dir, name));
  rmSync(join(dir, 'acked'), { force: true });
  logger?.info({ dir, messages: taken }, 'spool: took over the messages of the previous spool format');
  return taken;
}

function legacyAcked(dir: string, logger?: Logger): number {
  let text: string;
  try {
    text = readFileSync(join(dir, 'acked'), 'utf8').trim();
  } catch {
    return -1; // no cursor yet
  }
  if (/^-?\d+$/.test(text)) return Number(text);
  logger?.warn({ dir, text: text.slice(0, 40) }, 'spool cursor unreadable; replaying everything');
  return -1;
}
