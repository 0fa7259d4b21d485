/**
 * Silences and maintenance windows: while a silence matches an alert, the alert is recorded (an
 * `alert_events` row of kind `silenced`) but not sent to the webhook.
 *
 * A silence has matchers (station, township code, rule, severity; each optional, all given must
 * match), a validity span [startsAt, endsAt) and optionally a recurring window: days of the week and
 * a local time span such as 02:00–03:00 in the county's time zone (YIZHAN_TIMEZONE). A window whose
 * end is before its start crosses midnight (23:00–01:00): its early hours belong to the day after
 * the listed day. Local time comes from Intl, never from a fixed offset.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Severity } from './types.js';

/** How often the silences are read again from the store (other processes' changes), ms. */
export const DEFAULT_SILENCE_REFRESH_MS = 30_000;

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

/** Days are ISO weekdays: 1 Monday … 7 Sunday; from/to are "HH:MM" local time. */
export interface Window {
  days: number[];
  from: string;
  to: string;
}

export interface SilenceMatchers {
  stationId?: string | undefined;
  township?: string | undefined;
  rule?: string | undefined;
  severity?: Severity | undefined;
}

export interface Silence {
  id: number;
  matchers: SilenceMatchers;
  startsAt: number;
  endsAt: number;
  window: Window | null;
  reason: string;
  createdBy: { id: number; displayName: string } | null;
  createdAt: number;
  endedAt: number | null;
  endedBy: { id: number; displayName: string } | null;
}

/** What a silence is matched against: an alert with its township's code. */
export interface SilenceTarget {
  stationId: string;
  townshipCode: string;
  rule: string;
  severity: string;
}

/** "HH:MM" → minutes after midnight; NaN when not a time of day. */
export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** ISO weekday and minutes after midnight of `atMs` in `timeZone`. */
export function localTime(atMs: number, timeZone: string): { day: number; minutes: number } {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(atMs)) parts[p.type] = p.value;
  return { day: WEEKDAY[parts.weekday ?? ''] ?? 0, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Whether local time at `atMs` lies in the window (a window crossing midnight ends the day after). */
export function inWindow(w: Window, atMs: number, timeZone: string): boolean {
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const { day, minutes } = localTime(atMs, timeZone);
  if (from < to) return w.days.includes(day) && minutes >= from && minutes < to;
  const dayBefore = day === 1 ? 7 : day - 1;
  return (w.days.includes(day) && minutes >= from) || (w.days.includes(dayBefore) && minutes < to);
}

function matches(m: SilenceMatchers, t: SilenceTarget): boolean {
  return (
    (m.stationId === undefined || m.stationId === t.stationId) &&
    (m.township === undefined || m.township === t.townshipCode) &&
    (m.rule === undefined || m.rule === t.rule) &&
    (m.severity === undefined || m.severity === t.severity)
  );
}

/** Whether the silence is in force at `atMs` (not ended, within its span and window). */
export function inForce(s: Silence, atMs: number, timeZone = DEFAULT_TIMEZONE): boolean {
  if (s.endedAt !== null && s.endedAt <= atMs) return false;
  if (atMs < s.startsAt || atMs >= s.endsAt) return false;
  return s.window === null || inWindow(s.window, atMs, timeZone);
}

/** The first silence that silences the alert at `atMs`, or null. */
export function silencedBy(
  alert: SilenceTarget,
  silences: readonly Silence[],
  atMs: number,
  timeZone = DEFAULT_TIMEZONE,
): Silence | null {
  return silences.find((s) => matches(s.matchers, alert) && inForce(s, atMs, timeZone)) ?? null;
}

type Row = Selectable<Database['silences']> & {
  created_by_name: string | null;
  ended_by_name: string | null;
};

function person(id: number | null, name: string | null): Silence['createdBy'] {
  return id === null ? null : { id: Number(id), displayName: name ?? '' };
}

export function silenceOf(r: Row): Silence {
  const matchers: SilenceMatchers = {};
  if (r.station_id !== null) matchers.stationId = r.station_id;
  if (r.township !== null) matchers.township = r.township;
  if (r.rule !== null) matchers.rule = r.rule;
  if (r.severity !== null) matchers.severity = r.severity as Severity;
  return {
    id: Number(r.id),
    matchers,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    window: r.window_json === null ? null : (JSON.parse(r.window_json) as Window),
    reason: r.reason,
    createdBy: person(r.created_by, r.created_by_name),
    createdAt: r.created_at,
    endedAt: r.ended_at,
    endedBy: person(r.ended_by, r.ended_by_name),
  };
}

/** Silences with their people's names, newest first; `active`: only those not ended or expired. */
export async function readSilences(
  db: Kysely<Database>,
  opts: { active?: boolean; id?: number; now?: number } = {},
): Promise<Silence[]> {
  let q = db
    .selectFrom('silences as s')
    .leftJoin('users as c', 'c.id', 's.created_by')
    .leftJoin('users as e', 'e.id', 's.ended_by')
    .selectAll('s')
    .select(['c.display_name as created_by_name', 'e.display_name as ended_by_name'])
    .orderBy('s.id', 'desc');
  if (opts.id !== undefined) q = q.where('s.id', '=', opts.id);
  if (opts.active) q = q.where('s.ended_at', 'is', null).where('s.ends_at', '>', opts.now ?? Date.now());
  return (await q.execute()).map(silenceOf);
}

/**
 * The silences not ended nor expired, in memory for the alert path (no store read per alert).
 * The routes reload it after each change; expiry needs no reload (inForce checks endsAt). It is
 * also reloaded every DEFAULT_SILENCE_REFRESH_MS, so a silence another server process (or the CLI)
 * wrote to a shared store takes effect here within that time.
 */
export class SilenceCache {
  private current: Silence[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    readonly timeZone = DEFAULT_TIMEZONE,
  ) {
    // An unknown zone fails here, at start, not at the first alert (Intl throws RangeError).
    try {
      localTime(0, timeZone);
    } catch (err) {
      throw new Error(`YIZHAN_TIMEZONE: 未知时区 / unknown time zone "${timeZone}"`, { cause: err });
    }
  }

  async refresh(now = Date.now()): Promise<void> {
    this.current = await readSilences(this.db, { active: true, now });
  }

  /** Reload every `intervalMs`; a failed reload keeps the previous list and goes to `onError`. Returns stop. */
  every(intervalMs: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => void this.refresh().catch(onError), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  get active(): readonly Silence[] {
    return this.current;
  }

  silencedBy(alert: SilenceTarget, atMs: number): Silence | null {
    return silencedBy(alert, this.current, atMs, this.timeZone);
  }
}
