/**
 * The response report: per township and per rule (and `*` for all rules of a township), the alerts
 * that fired in the period, how many were acknowledged and how fast (MTTA, fire to first
 * acknowledgement), how many resolved and how fast (MTTR, fire to resolve), the work orders made in
 * the period, their SLA breaches and how often they went back to the crew. Days are the county's
 * local days (YIZHAN_TIMEZONE); `to` is inclusive.
 */
import type { Kysely } from 'kysely';
import type { Static } from '@sinclair/typebox';
import type { Database } from '../store/schema.js';
import type { ResponseRow } from '../routes/work-orders/schemas.js';
import { slaBreached } from './repo.js';

export type ResponseRowView = Static<typeof ResponseRow>;
export const ALL_RULES = '*';
const DAY = 86_400_000;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset from UTC at an instant, ms (from Intl, so daylight saving is right). */
function offsetAt(atMs: number, timeZone: string): number {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(atMs).map((x) => [x.type, Number(x.value)]));
  const local = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  return local - Math.floor(atMs / 1000) * 1000;
}

/** The instant a local day (YYYY-MM-DD) starts in the zone. */
export function dayStart(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  return guess - offsetAt(guess - offsetAt(guess, timeZone), timeZone);
}

/** The local date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(atMs: number, timeZone: string): string {
  return new Date(atMs + offsetAt(atMs, timeZone)).toISOString().slice(0, 10);
}

/** [start, end) in ms of the local days `from`..`to` inclusive. */
export function period(from: string, to: string, timeZone: string): { startMs: number; endMs: number } {
  const next = new Date(Date.parse(`${to}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
  return { startMs: dayStart(from, timeZone), endMs: dayStart(next, timeZone) };
}

interface Acc {
  alerts: number;
  acknowledged: number;
  ackSum: number;
  resolved: number;
  resolveSum: number;
  workOrders: number;
  slaBreaches: number;
  reopened: number;
}
const empty = (): Acc => ({
  alerts: 0,
  acknowledged: 0,
  ackSum: 0,
  resolved: 0,
  resolveSum: 0,
  workOrders: 0,
  slaBreaches: 0,
  reopened: 0,
});

export async function responseReport(
  db: Kysely<Database>,
  q: {
    startMs: number;
    endMs: number;
    /** The townships to report (codes), each with its name. */
    townships: ReadonlyMap<string, string>;
    now: number;
  },
): Promise<ResponseRowView[]> {
  const codes = [...q.townships.keys()];
  if (!codes.length) return [];
  const acc = new Map<string, Acc>();
  const at = (township: string, rule: string): Acc => {
    const k = `${township}\u0000${rule}`;
    let a = acc.get(k);
    if (!a) acc.set(k, (a = empty()));
    return a;
  };
  for (const t of codes) at(t, ALL_RULES);
  const alerts = await db
    .selectFrom('alerts')
    .select(['township', 'rule', 'starts_at', 'acked_at', 'ends_at'])
    .where('township', 'in', codes)
    .where('starts_at', '>=', q.startMs)
    .where('starts_at', '<', q.endMs)
    .execute();
  for (const r of alerts)
    for (const a of [at(r.township, r.rule), at(r.township, ALL_RULES)]) {
      a.alerts++;
      if (r.acked_at !== null) {
        a.acknowledged++;
        a.ackSum += Math.max(0, r.acked_at - r.starts_at);
      }
      if (r.ends_at !== null) {
        a.resolved++;
        a.resolveSum += Math.max(0, r.ends_at - r.starts_at);
      }
    }
  const orders = await db
    .selectFrom('work_orders')
    .select(['township', 'rule', 'due_at', 'fixed_at', 'closed_at', 'reopened'])
    .where('township', 'in', codes)
    .where('created_at', '>=', q.startMs)
    .where('created_at', '<', q.endMs)
    .execute();
  for (const r of orders) {
    // An order made by hand has no rule: it counts in the township's `*` row only.
    const rows =
      r.rule === null ? [at(r.township, ALL_RULES)] : [at(r.township, r.rule), at(r.township, ALL_RULES)];
    for (const a of rows) {
      a.workOrders++;
      if (slaBreached(r, q.now)) a.slaBreaches++;
      a.reopened += Number(r.reopened);
    }
  }
  return [...acc.entries()]
    .map(([k, a]) => {
      const [townshipCode, rule] = k.split('\u0000') as [string, string];
      return {
        townshipCode,
        township: q.townships.get(townshipCode) ?? townshipCode,
        rule,
        alerts: a.alerts,
        acknowledged: a.acknowledged,
        mttaMs: a.acknowledged ? a.ackSum / a.acknowledged : null,
        resolved: a.resolved,
        mttrMs: a.resolved ? a.resolveSum / a.resolved : null,
        workOrders: a.workOrders,
        slaBreaches: a.slaBreaches,
        reopened: a.reopened,
      };
    })
    .sort(
      (x, y) =>
        x.townshipCode.localeCompare(y.townshipCode) ||
        Number(y.rule === ALL_RULES) - Number(x.rule === ALL_RULES) ||
        x.rule.localeCompare(y.rule),
    );
}
