/**
 * Pure helpers of the crew pages: durations and "how long ago" in human units, the quick silence
 * ends, and where a work order stands on its steps. No Vue here, so they are unit-tested alone
 * (test/web/format.test.ts).
 */
import type { Lang, WorkOrderState } from './api/types.js';

const UNITS: { ms: number; zh: string; en: string }[] = [
  { ms: 86_400_000, zh: '天', en: 'd' },
  { ms: 3_600_000, zh: '小时', en: 'h' },
  { ms: 60_000, zh: '分钟', en: 'min' },
  { ms: 1000, zh: '秒', en: 's' },
];

/**
 * A duration in its largest unit and the next one, rounded down: 3 h 25 min → "3小时25分钟" /
 * "3 h 25 min"; 2 d 0 h 5 min → "2天"; under a second → "0秒"; null or negative → "—".
 */
export function formatDuration(ms: number | null | undefined, lang: Lang): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const say = (n: number, u: (typeof UNITS)[number]) => (lang === 'en' ? `${n} ${u.en}` : `${n}${u.zh}`);
  const i = UNITS.findIndex((u) => ms >= u.ms);
  if (i < 0) return say(0, UNITS[UNITS.length - 1]!);
  const big = UNITS[i]!;
  const n = Math.floor(ms / big.ms);
  const small = UNITS[i + 1];
  const m = small ? Math.floor((ms - n * big.ms) / small.ms) : 0;
  return small && m > 0 ? say(n, big) + (lang === 'en' ? ' ' : '') + say(m, small) : say(n, big);
}

/** How long ago `at` was, e.g. "25分钟前" / "25 min ago"; under a minute: "刚刚" / "just now". */
export function formatAgo(at: number | string, now: number, lang: Lang): string {
  const t = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(t)) return '—';
  const ms = now - t;
  if (ms < 60_000) return lang === 'en' ? 'just now' : '刚刚';
  const d = formatDuration(ms, lang);
  return lang === 'en' ? `${d} ago` : `${d}前`;
}

export type QuickSilence = '1h' | '4h' | 'tomorrow8';
export const QUICK_SILENCES: QuickSilence[] = ['1h', '4h', 'tomorrow8'];

/** When a quick silence made at `now` ends: in 1 or 4 hours, or at 08:00 local time tomorrow. */
export function quickSilenceEnd(kind: QuickSilence, now: number): number {
  if (kind === '1h') return now + 3_600_000;
  if (kind === '4h') return now + 4 * 3_600_000;
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(8, 0, 0, 0);
  return d.getTime();
}

export const WORK_ORDER_STEPS: WorkOrderState[] = ['open', 'in_progress', 'fixed', 'verified', 'closed'];

/** Each step of a work order in state `state`: done, the current one, or still to come. */
export function workOrderSteps(state: string): { step: WorkOrderState; at: 'done' | 'now' | 'todo' }[] {
  const i = WORK_ORDER_STEPS.indexOf(state as WorkOrderState);
  return WORK_ORDER_STEPS.map((step, j) => ({ step, at: j < i ? 'done' : j === i ? 'now' : 'todo' }));
}

/** The local day `YYYY-MM-DD` of a time, and the month `YYYY-MM`. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
export const localMonth = (ms: number): string => localDay(ms).slice(0, 7);

/** The first and last local day of a month `YYYY-MM`, as the response report takes them. */
export function monthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(y, m, 0).getDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/**
 * China Standard Time (UTC+8, no daylight saving since 1991): the union writes a notice's start and
 * end as the county's clock reads, whatever time zone the browser is set to (a laptop left on UTC,
 * a manager travelling abroad).
 */
const CST_OFFSET_MS = 8 * 3_600_000;

/** A Unix-ms time as the value of an `<input type=datetime-local>` in China Standard Time: `2026-12-02T18:00`. */
export function cstInputValue(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 16);
}

/** The time an `<input type=datetime-local>` value means in China Standard Time; null when it is no such value. */
export function parseCstInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi) - CST_OFFSET_MS;
  // Date.UTC rolls 2026-02-30 over into March: refuse what the input could not have meant.
  return cstInputValue(ms) === value ? ms : null;
}

/** A Unix-ms time as China Standard Time for reading: `2026-12-02 18:00`. */
export function formatCst(ms: number): string {
  return cstInputValue(ms).replace('T', ' ');
}
