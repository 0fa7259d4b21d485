/**
 * Rule `water_low`: the hot-water dispenser's tank runs dry.
 *
 * | what the server sees                                   | what the rule does                          |
 * | ------------------------------------------------------ | ------------------------------------------- |
 * | water_level under `below` for `for`                    | **fires** (severity from the thresholds)    |
 * | the controller's `water_empty` fault                   | **fires at once**, critical                 |
 * | level over `clearAbove` (and no fault) for `clearFor`  | **resolves**                                |
 * | level between `below` and `clearAbove`                 | nothing changes (hysteresis: no flapping)   |
 * | historical (replayed) readings and faults              | ignored, counted `historical`               |
 *
 * One alert per station (a station has one tank). Times are the readings' own.
 */
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { HoldBook, isAbout, isLive, iso, say } from './support.js';

export const WATER_LOW = 'water_low';

interface Tank {
  /** Latest level, %; null until the first reading. */
  level: number | null;
  /** Active water_empty faults: sensor → since. */
  empty: Map<string, number>;
}

export function waterLowRule(): AlertRule {
  return new WaterLowRule();
}

class WaterLowRule implements AlertRule {
  readonly name = WATER_LOW;
  private readonly tanks = new Map<string, Tank>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    const t = ctx.thresholds.water_low;
    if (!t.enabled) return;
    if (!isAbout(o, 'water_level', 'water_empty')) return;
    if (!isLive(ctx, o)) return;
    const tank = this.tankOf(ctx.station.id);
    if (o.type === 'reading') tank.level = o.value;
    else if (o.active) tank.empty.set(o.sensor, o.ts);
    else tank.empty.delete(o.sensor);
    const fault = tank.empty.size > 0;
    const lvl = tank.level;
    const bad = fault || (lvl !== null && lvl < t.below);
    const clear = !fault && lvl !== null && lvl > t.clearAbove;
    this.holds.judge(
      ctx,
      '',
      o.ts,
      { forMs: fault ? 0 : t.forMs, clearForMs: t.clearForMs },
      { bad, clear: clear || (!bad && lvl === null) },
      {
        fire: (since) =>
          fault
            ? {
                severity: 'critical',
                message: say(
                  ctx,
                  `开水器水箱已空（控制器报告缺水故障），当前水位 ${lvl ?? '未知'}%`,
                  `hot-water tank empty (the controller reports water_empty), level ${lvl ?? 'unknown'} %`,
                ),
                evidence: {
                  cause: 'fault',
                  fault: 'water_empty',
                  sensor: [...tank.empty.keys()][0],
                  levelPct: lvl,
                },
              }
            : {
                severity: t.severity,
                message: say(
                  ctx,
                  `开水器水位过低：${lvl}%（低于 ${t.below}%）`,
                  `hot-water tank low: ${lvl} % (below ${t.below} %)`,
                ),
                evidence: {
                  cause: 'level',
                  levelPct: lvl,
                  belowPct: t.below,
                  lowSince: iso(since),
                  forMs: t.forMs,
                },
              },
        resolve: () => ({
          note: say(
            ctx,
            `开水器水位已恢复至 ${lvl ?? '未知'}%`,
            `hot-water tank refilled to ${lvl ?? 'unknown'} %`,
          ),
          evidence: { levelPct: lvl, clearAbovePct: t.clearAbove },
        }),
      },
    );
  }

  private tankOf(id: string): Tank {
    let t = this.tanks.get(id);
    if (!t) {
      t = { level: null, empty: new Map() };
      this.tanks.set(id, t);
    }
    return t;
  }
}
