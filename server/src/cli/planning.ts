/**
 * `planning resync` of the server CLI (`npm run planning:resync -- --from 2026-10-01 [--to …]`):
 * after InfluxDB's daily rollups of a range were rewritten or backfilled, the ranking store reads
 * those days again at the server's next sync run (planning/daily-store.ts rewind). Dates are local
 * days of the county (YIZHAN_TIMEZONE); `--to` is the last day re-read (default: up to today).
 * The flags are declared once in {@link RESYNC_FLAGS}: parsing and `--help` come from it.
 * Exit codes as the accounts CLI: 0 done, 1 refused (settings, store), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { loadConfig } from '../config.js';
import { openStore } from '../store/open.js';
import { DailyStore } from '../planning/daily-store.js';
import { localDayStart, localMidnight } from '../planning/zone.js';
import type { Io } from './run.js';

const DAY = 86_400_000;

export const RESYNC_FLAGS = {
  from: { type: 'string', arg: 'DATE', zh: '重新读取的第一天（YYYY-MM-DD，县的本地日期），必填', en: 'first day to read again (YYYY-MM-DD, local date of the county), required' },
  to: { type: 'string', arg: 'DATE', zh: '重新读取的最后一天（含），默认到今天', en: 'last day to read again (included); default: up to today' },
  help: { type: 'boolean', arg: '', zh: '本说明', en: 'this text' },
} as const;
type Flag = keyof typeof RESYNC_FLAGS;

export function resyncUsage(): string {
  const lines = Object.entries(RESYNC_FLAGS).map(([name, f]) => {
    const left = `  --${name}${f.arg ? ` ${f.arg}` : ''}`;
    return `${left.padEnd(18)}${f.zh} / ${f.en}`;
  });
  return [
    '用法 / usage: npm run planning:resync -- --from DATE [--to DATE]',
    '             (npx tsx server/src/cli.ts planning resync --from DATE [--to DATE])',
    '排名数据表在服务器下次同步时（5 分钟内）从 InfluxDB 重新读取这些天；在重写或回填 InfluxDB 日汇总之后使用。',
    "The ranking store reads these days from InfluxDB again at the server's next sync (within 5 minutes); use after rewriting or backfilling InfluxDB's daily rollups.",
    ...lines,
    '设置与服务器相同 / settings as the server\'s: YIZHAN_DATA_DIR, YIZHAN_DB_URL, YIZHAN_TIMEZONE',
  ].join('\n');
}

class ResyncUsageError extends Error {
  override name = 'ResyncUsageError';
}

const both = (zh: string, en: string) => `${zh} / ${en}`;

/** A real YYYY-MM-DD date (2026-02-30 is not), else a usage error naming the flag. */
export function parseDate(flag: Flag, v: string | undefined): string {
  if (v === undefined) throw new ResyncUsageError(both(`缺少 --${flag}`, `--${flag} is required`));
  const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v)
    throw new ResyncUsageError(both(`--${flag} "${v}" 不是有效日期（YYYY-MM-DD）`, `--${flag} "${v}" is not a date (YYYY-MM-DD)`));
  return v;
}

/** parseArgs with a did-you-mean for an unknown flag. */
function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(RESYNC_FLAGS).map(([k, f]) => [k, { type: f.type }])) as {
        [K in Flag]: { type: (typeof RESYNC_FLAGS)[K]['type'] };
      },
    }).values;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code?.startsWith('ERR_PARSE_ARGS')) throw e;
    const unknown = /Unknown option '-{1,2}([^']+)'/.exec((e as Error).message)?.[1];
    if (unknown === undefined) throw new ResyncUsageError((e as Error).message);
    const hint = didYouMean(unknown, Object.keys(RESYNC_FLAGS));
    throw new ResyncUsageError(
      both(`未知参数 --${unknown}${hint ? `；是不是 --${hint}？` : ''}`, `unknown flag --${unknown}${hint ? `; did you mean --${hint}?` : ''}`),
    );
  }
}

async function resync(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const v = parse(argv);
  if (v.help) {
    io.err(resyncUsage());
    return 0;
  }
  const c = loadConfig(env);
  if (!c.ok) {
    io.err(c.errors.join('\n'));
    return 1;
  }
  const tz = c.config.timeZone;
  const fromDate = parseDate('from', v.from);
  const toDate = v.to === undefined ? undefined : parseDate('to', v.to);
  const from = localMidnight(fromDate, tz);
  const end = toDate === undefined ? undefined : localDayStart(localMidnight(toDate, tz) + DAY + DAY / 2, tz);
  if (end !== undefined && end <= from)
    throw new ResyncUsageError(both(`--to ${toDate} 早于 --from ${fromDate}`, `--to ${toDate} is before --from ${fromDate}`));
  if (from > localDayStart(Date.now(), tz))
    throw new ResyncUsageError(both(`--from ${fromDate} 在今天之后，没有可重新读取的数据`, `--from ${fromDate} is after today: nothing to read again`));
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore({ url: c.config.dbUrl, dataDir: c.config.dataDir });
  } catch (e) {
    io.err(both(`无法打开操作数据库：${(e as Error).message}`, `cannot open the operations store: ${(e as Error).message}`));
    return 1;
  }
  try {
    const state = await new DailyStore(store.db, tz).rewind(from, end);
    const range = `${fromDate} … ${toDate ?? both('今天', 'today')}`;
    if (!state) io.err(both('排名数据表尚未同步过；服务器的首次同步会读取全部数据', 'the ranking store has not synced yet; the server\'s first sync reads everything'));
    else
      io.err(
        both(
          `排名数据表将在服务器下次同步时（5 分钟内）重新读取 ${range}；读完之前，包含这些天之后的排名从 InfluxDB 计算`,
          `the ranking store reads ${range} again at the server's next sync (within 5 minutes); until then rankings ending after ${fromDate} are summed in InfluxDB`,
        ),
      );
    return 0;
  } finally {
    await store.close();
  }
}

/** `planning <action> …`; returns the exit code. */
export async function runPlanningCli(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [action, ...rest] = argv;
  try {
    if (action === 'resync') return await resync(rest, io, env);
    const hint = action === undefined ? undefined : didYouMean(action, ['resync']);
    const cmd = `"planning ${action ?? ''}"`;
    throw new ResyncUsageError(
      both(`未知命令 ${cmd}${hint ? `；是不是 ${hint}？` : ''}`, `unknown command ${cmd}${hint ? `; did you mean ${hint}?` : ''}`),
    );
  } catch (e) {
    if (!(e instanceof ResyncUsageError)) throw e;
    io.err(both('参数错误', 'bad usage') + `: ${e.message}`);
    io.err(resyncUsage());
    return 2;
  }
}
