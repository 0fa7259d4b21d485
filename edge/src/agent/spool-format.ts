/**
 * The on-disk record format of the DiskSpool (spool.ts): one JSON array per line,
 * `[sid, topic, leaf, retain(0|1), enqueuedAt, payload]`, in segment files named by their first
 * sid (16 digits). A line that does not parse (a write torn by a power cut) is reported, not thrown.
 */
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TopicLeaf, type TopicLeafValue } from '@yizhan/protocol/mqtt';
import type { OutboxMessage } from './outbox.js';

/** A spooled message with its sid. */
export type Rec = OutboxMessage & { id: number };

/** One segment file. */
export interface Segment {
  first: number;
  /** Last sid written; first - 1 while empty. */
  last: number;
  bytes: number;
  path: string;
}

const LEAVES = new Set<string>(Object.values(TopicLeaf));
/** Segment file names: the first sid, 16 digits. */
export const SEG_RE = /^(\d{16})\.seg$/;

/** The record line of one message. */
export function formatRecord(id: number, m: OutboxMessage): string {
  return `${JSON.stringify([id, m.topic, m.leaf, m.retain ? 1 : 0, m.enqueuedAt, m.payload.toString('utf8')])}\n`;
}

/** The records of a segment's text; `onBad(lineNumber)` for each line that cannot be read. */
export function parseSegment(text: string, onBad: (line: number) => void): Rec[] {
  const out: Rec[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const r = parseRecord(line);
    if (r) out.push(r);
    else onBad(i + 1);
  }
  return out;
}

export function parseRecord(line: string): Rec | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 6) return undefined;
  const [id, topic, leaf, retain, enqueuedAt, payload] = v as unknown[];
  if (
    typeof id !== 'number' ||
    typeof topic !== 'string' ||
    typeof leaf !== 'string' ||
    !LEAVES.has(leaf) ||
    typeof enqueuedAt !== 'number' ||
    typeof payload !== 'string'
  )
    return undefined;
  return {
    id,
    topic,
    leaf: leaf as TopicLeafValue,
    retain: retain === 1,
    enqueuedAt,
    payload: Buffer.from(payload, 'utf8'),
  };
}

/** The `acked` cursor of a spool folder: every sid <= it is done; -1 when missing or unreadable. */
export function readAckedCursor(dir: string, logger?: Logger): number {
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

/**
 * The segments an earlier run left in `dir`, oldest first. Segments that are empty or wholly at or
 * below `acked` are deleted; `onBad(path, line)` for each line that cannot be read.
 */
export function scanSegments(
  dir: string,
  acked: number,
  onBad: (path: string, line: number) => void,
): Segment[] {
  const segs: Segment[] = [];
  const names = readdirSync(dir)
    .filter((n) => SEG_RE.test(n))
    .sort();
  for (const name of names) {
    const path = join(dir, name);
    const first = Number(SEG_RE.exec(name)?.[1]);
    const bytes = statSync(path).size;
    const recs = bytes === 0 ? [] : parseSegment(readFileSync(path, 'utf8'), (line) => onBad(path, line));
    const last = recs.length ? (recs[recs.length - 1]?.id ?? first - 1) : first - 1;
    if (recs.length === 0 || last <= acked) {
      unlinkSync(path);
      continue;
    }
    segs.push({ first, last, bytes, path });
  }
  return segs;
}
