/**
 * Rule `occupancy_stuck`: the people counter shows the same count for many hours across a busy
 * period (a frozen counter: the station looks empty, or full, whatever happens).
 *
 * | what the server sees                                               | what the rule does            |
 * | ------------------------------------------------------------------ | ----------------------------- |
 * | the occupancy count unchanged for `sameFor`, and at least half of  | **fires**; `startsAt` = when  |
 * | `sameFor` (at most half of the busy period) of that span lies in   | the count last changed        |
 * | `busyHours` (station local time, China Standard Time, as opening   |                               |
 * | hours)                                                             |                               |
 * | the count changes                                                  | **resolves** at once          |
 * | historical (replayed) readings                                     | ignored, counted `historical` |
 *
 * A count of 0 all night is normal: night time does not count, so a station empty from 21:00
 * fires only if it still shows 0 well into the next busy period. The span is counted from the
 * first reading of the count since the server started.
 */
import {
  DEFAULT_UTC_OFFSET_MIN,
  isAlwaysOpen,
  parseOpeningHours,
  type OpeningHours,
} from '@yizhan/station-config/hours';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { duration, HoldBook, isLive, iso, say } from './support.js';

export const OCCUPANCY_STUCK = 'occupancy_stuck';

const MIN = 60_000;
const DAY = 1440 * MIN;
/** Spans longer than this are judged on their last week only (a frozen count is long noticed). */
const MAX_SPAN = 8 * DAY;

/** How much of [fromMs, toMs] lies in the daily window `h` (station local time), ms. */
export function busyOverlapMs(
  h: OpeningHours,
  fromMs: number,
  toMs: number,
  utcOffsetMin = DEFAULT_UTC_OFFSET_MIN,
): number {
  const a = Math.max(fromMs, toMs - MAX_SPAN) + utcOffsetMin * MIN;
  const b = toMs + utcOffsetMin * MIN;
  if (b <= a) return 0;
  if (isAlwaysOpen(h)) return b - a;
  let total = 0;
  // From the day before `a`: a window crossing midnight ("22:00-06:00") may start then.
  for (let day = Math.floor(a / DAY) * DAY - DAY; day < b; day += DAY) {
    const start = day + h.openMin * MIN;
    const end = day + h.closeMin * MIN + (h.closeMin <= h.openMin ? DAY : 0);
    total += Math.max(0, Math.min(end, b) - Math.max(start, a));
  }
  return total;
}

function windowLengthMs(h: OpeningHours): number {
  if (isAlwaysOpen(h)) return DAY;
  return (h.closeMin - h.openMin + (h.closeMin <= h.openMin ? 1440 : 0)) * MIN;
}

interface Counter {
  value: number;
  since: number;
}

export function occupancyStuckRule(): AlertRule {
  return new OccupancyStuckRule();
}

class OccupancyStuckRule implements AlertRule {
  readonly name = OCCUPANCY_STUCK;
  private readonly counters = new Map<string, Counter>();
  private readonly busy = new Map<string, OpeningHours>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    const t = ctx.thresholds.occupancy_stuck;
    if (!t.enabled || o.type !== 'reading' || o.kind !== 'occupancy' || !isLive(ctx, o)) return;
    const id = `${ctx.station.id}\u0000${o.sensor}`;
    let c = this.counters.get(id);
    if (!c || c.value !== o.value) {
      c = { value: o.value, since: o.ts };
      this.counters.set(id, c);
    }
    const busy = this.busyOf(t.busyHours);
    const span = o.ts - c.since;
    const busyMs = span >= t.sameForMs ? busyOverlapMs(busy, c.since, o.ts) : 0;
    const stuck = span >= t.sameForMs && busyMs >= Math.min(t.sameForMs, windowLengthMs(busy)) / 2;
    const count = c;
    this.holds.judge(
      ctx,
      o.sensor,
      o.ts,
      { forMs: 0, clearForMs: 0 },
      { bad: stuck, clear: !stuck },
      {
        fire: () => ({
          at: count.since,
          severity: t.severity,
          message: say(
            ctx,
            `在站人数已 ${duration(span).zh}停在 ${count.value} 人（含繁忙时段 ${t.busyHours} 内 ${duration(busyMs).zh}），人数计数器可能故障`,
            `people count stuck at ${count.value} for ${duration(span).en} (${duration(busyMs).en} of it in the busy hours ${t.busyHours}); the counter may be broken`,
          ),
          evidence: {
            sensor: o.sensor,
            count: count.value,
            unchangedSince: iso(count.since),
            unchangedForMs: span,
            busyHours: t.busyHours,
            busyMs,
            sameForMs: t.sameForMs,
          },
        }),
        resolve: () => ({
          note: say(
            ctx,
            `在站人数已变化（现为 ${count.value} 人）`,
            `people count changed (now ${count.value})`,
          ),
          evidence: { sensor: o.sensor, count: count.value },
        }),
      },
    );
  }

  private busyOf(text: string): OpeningHours {
    let h = this.busy.get(text);
    if (!h) {
      h = parseOpeningHours(text);
      this.busy.set(text, h);
    }
    return h;
  }
}
