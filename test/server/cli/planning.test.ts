/**
 * `planning resync` (server/src/cli/planning.ts, `npm run planning:resync`) on a SQLite store in a
 * temporary data folder: its help comes from the one flag declaration, a misspelt flag gets a
 * suggestion, bad dates are refused naming the flag and the value, and a resync rewinds the ranking
 * store's progress so the next sync reads exactly the asked days again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESYNC_FLAGS, runPlanningCli } from '../../../server/src/cli/planning.js';
import { openStore } from '../../../server/src/store/open.js';
import { DailyStore } from '../../../server/src/planning/daily-store.js';
import { localMidnight } from '../../../server/src/planning/zone.js';

const dir = mkdtempSync(join(tmpdir(), 'yizhan-resync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { YIZHAN_DATA_DIR: dir, YIZHAN_TIMEZONE: 'Asia/Shanghai' };
const TZ = 'Asia/Shanghai';

async function run(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const code = await runPlanningCli(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, env);
  return { code, err: err.join('\n'), out: out.join('\n') };
}

async function withStore<T>(f: (daily: DailyStore) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: dir });
  try {
    return await f(new DailyStore(store.db, TZ));
  } finally {
    await store.close();
  }
}

describe('planning resync', () => {
  it('is the npm script planning:resync, and --help lists every declared flag', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['planning:resync']).toBe('tsx server/src/cli.ts planning resync');
    const r = await run('resync', '--help');
    expect(r.code).toBe(0);
    for (const [name, f] of Object.entries(RESYNC_FLAGS)) {
      expect(r.err).toContain(`--${name}`);
      expect(r.err).toContain(f.en);
    }
  });

  it('suggests the flag or command meant, and refuses bad dates naming the flag and value', async () => {
    const typo = await run('resync', '--form', '2026-10-01');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown flag --form; did you mean --from?');
    expect((await run('resycn', '--from', '2026-10-01')).err).toContain('did you mean resync?');
    const cases: [string[], string][] = [
      [[], '--from is required'],
      [['--from', '2026-02-30'], '--from "2026-02-30" is not a date (YYYY-MM-DD)'],
      [['--from', '2026-10-01', '--to', '10/07/2026'], '--to "10/07/2026" is not a date'],
      [['--from', '2026-10-08', '--to', '2026-10-01'], '--to 2026-10-01 is before --from 2026-10-08'],
      [['--from', '2999-01-01'], 'is after today: nothing to read again'],
    ];
    for (const [args, message] of cases) {
      const r = await run('resync', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(message);
    }
  });

  it('before a first sync says so; after one, rewinds to --from and skips back after --to', async () => {
    const first = await run('resync', '--from', '2026-10-01');
    expect(first.code).toBe(0);
    expect(first.err).toContain("the server's first sync reads everything");
    const synced = localMidnight('2026-11-20', TZ);
    await withStore((d) => d.saveState({ origin: localMidnight('2026-01-01', TZ), syncedTo: synced, updatedAt: 1 }));
    const r = await run('resync', '--from', '2026-10-01', '--to', '2026-10-07');
    expect(r.code).toBe(0);
    expect(r.err).toContain('reads 2026-10-01 … 2026-10-07 again');
    expect(await withStore((d) => d.state())).toEqual({
      origin: localMidnight('2026-01-01', TZ),
      syncedTo: localMidnight('2026-10-01', TZ),
      updatedAt: 1,
      skip: { from: localMidnight('2026-10-08', TZ), to: synced },
    });
    // No end: everything from --from on.
    expect((await run('resync', '--from', '2026-09-15')).code).toBe(0);
    expect(await withStore((d) => d.state())).toEqual({ origin: localMidnight('2026-01-01', TZ), syncedTo: localMidnight('2026-09-15', TZ), updatedAt: 1 });
  });
});
