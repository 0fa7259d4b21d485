/**
 * Rule `door_stuck_open`: the station door stays open (heat lost in winter, the room unguarded).
 *
 * | what the server sees                                            | what the rule does            |
 * | --------------------------------------------------------------- | ----------------------------- |
 * | door sensor open (1) for `holdOutsideHours`, judged at a reading | **fires**                     |
 * | outside the station's opening hours (`hours`, station local     |                               |
 * | time, China Standard Time)                                      |                               |
 * | … for `holdInsideHours` inside them (riders come and go)        | **fires**                     |
 * | the controller's `door_stuck` fault                             | **fires at once**             |
 * | door closed (0) and no fault for `clearFor`                     | **resolves**                  |
 * | historical (replayed) readings and faults                       | ignored, counted `historical` |
 *
 * The hold that applies is the one of the moment judged: a door open since 20:50 at a station
 * closing at 21:00 fires at the first reading after 21:00 + what is left of the outside hold,
 * counted from 20:50 (it has been open that long). One alert per door sensor (key = sensor id).
 */
import { openState, parseOpeningHours, type OpeningHours } from '@yizhan/station-config/hours';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { duration, HoldBook, isAbout, isLive, iso, say, sensorNames } from './support.js';

export const DOOR_STUCK_OPEN = 'door_stuck_open';

interface Door {
  open: boolean;
  /** Active door_stuck faults of this door. */
  stuck: boolean;
}

export function doorStuckOpenRule(): AlertRule {
  return new DoorStuckOpenRule();
}

class DoorStuckOpenRule implements AlertRule {
  readonly name = DOOR_STUCK_OPEN;
  /** By station and sensor. */
  private readonly doors = new Map<string, Door>();
  private readonly hours = new Map<string, { text: string; parsed: OpeningHours }>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    const t = ctx.thresholds.door_stuck_open;
    if (!t.enabled) return;
    if (!isAbout(o, 'door', 'door_stuck')) return;
    if (!isLive(ctx, o)) return;
    const d = this.doorOf(ctx.station.id, o.sensor);
    if (o.type === 'reading') d.open = o.value !== 0;
    else d.stuck = o.active;
    const inside = openState(this.hoursOf(ctx), o.ts).open;
    const holdMs = inside ? t.holdInsideHoursMs : t.holdOutsideHoursMs;
    const door = sensorNames(ctx, o.sensor);
    this.holds.judge(
      ctx,
      o.sensor,
      o.ts,
      { forMs: d.stuck ? 0 : holdMs, clearForMs: t.clearForMs },
      { bad: d.open || d.stuck, clear: !d.open && !d.stuck },
      {
        fire: (since) => {
          const open = duration(Math.max(0, o.ts - since));
          const when = inside
            ? { zh: '营业时间内', en: 'during opening hours' }
            : { zh: '非营业时间', en: 'outside opening hours' };
          return {
            severity: t.severity,
            message: d.stuck
              ? say(
                  ctx,
                  `${door.zh}卡在开启状态（控制器报告门未关故障）`,
                  `${door.en} stuck open (the controller reports door_stuck)`,
                )
              : say(
                  ctx,
                  `${door.zh}已开启 ${open.zh}（${when.zh}，超过 ${duration(holdMs).zh}）`,
                  `${door.en} open for ${open.en} (${when.en}, over ${duration(holdMs).en})`,
                ),
            evidence: {
              cause: d.stuck ? 'fault' : 'open',
              sensor: o.sensor,
              openSince: iso(since),
              insideHours: inside,
              hours: ctx.station.hours,
              holdMs,
            },
          };
        },
        resolve: () => ({
          note: say(ctx, `${door.zh}已关闭`, `${door.en} closed`),
          evidence: { sensor: o.sensor, closedFor: t.clearForMs },
        }),
      },
    );
  }

  private doorOf(station: string, sensor: string): Door {
    const id = `${station}\u0000${sensor}`;
    let d = this.doors.get(id);
    if (!d) {
      d = { open: false, stuck: false };
      this.doors.set(id, d);
    }
    return d;
  }

  /** The station's opening hours, parsed once per text (a reload may change them). */
  private hoursOf(ctx: RuleContext): OpeningHours {
    const text = ctx.station.hours;
    const cached = this.hours.get(ctx.station.id);
    if (cached?.text === text) return cached.parsed;
    const parsed = parseOpeningHours(text);
    this.hours.set(ctx.station.id, { text, parsed });
    return parsed;
  }
}
