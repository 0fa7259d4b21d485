/**
 * The durable log after a kill -9 at each step of a commit: a real process (crash-child.ts) adds
 * r0..r99, accepts r0..r39 and is killed at `point`; the reopened log delivers what was not
 * committed, and nothing committed again.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { drain, recs, reopen, tmp } from './helpers.js';

describe('SegmentLog after kill -9', () => {
  it.each([
    {
      point: 'after-write',
      delivered: recs(0, 100),
      why: 'written, never synced or committed: the page cache holds it',
    },
    {
      point: 'before-rename',
      delivered: recs(0, 100),
      why: 'cursor.tmp written, not renamed: the old (no) cursor holds',
    },
    {
      point: 'after-cursor',
      delivered: recs(40, 60),
      why: 'the cursor names r40: only what was not accepted comes again',
    },
  ])('kill -9 $point: $why', ({ point, delivered }) => {
    const dir = tmp();
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dir, point],
      { timeout: 20_000, encoding: 'utf8' },
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(drain(reopen(dir))).toEqual(delivered);
  });
});
