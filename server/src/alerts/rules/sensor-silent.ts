/**
 * Rule `sensor_silent`: one sensor stopped reporting while the rest of its station still talks
 * (a loose wire, a dead probe). One alert per sensor (key = sensor id).
 *
 * | what the server sees                                              | what the rule does            |
 * | ----------------------------------------------------------------- | ----------------------------- |
 * | a configured sensor's last reading is `silentFor` older than the  | **fires**; `startsAt` = its   |
 * | station's newest reading (station time, never the wall clock)     | last reading                  |
 * | a sensor never seen since the server started: counted from the    | **fires** the same way        |
 * | station's first reading                                           |                               |
 * | the sensor reports again, its reports spanning `clearFor`         | **resolves** (one stray       |
 * |                                                                   | report does not)              |
 * | the whole station silent (dark)                                   | nothing: the station's time   |
 * |                                                                   | stands still                  |
 * | historical (replayed) readings                                    | ignored, counted `historical` |
 *
 * Judged once per station time step, for the step before the newest one: every sensor of a
 * READINGS frame shares its time, so judging the completed step never sees a frame half read (and
 * a station back after a gap is judged on its first whole frame, not on the gap). A channel the
 * controller was told to stop sending (CONFIG_SET) is silent too: the station file still lists it.
 * The engine suppresses this rule while the station is dark or its serial link is down.
 */
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { duration, HoldBook, isLive, iso, say, sensorNames } from './support.js';

export const SENSOR_SILENT = 'sensor_silent';

interface Station {
  /** Station time of the first live reading since the server started. */
  startedAt: number;
  /** Newest live reading's station time. */
  newest: number;
  /** Station time of each sensor's last live reading. */
  lastSeen: Map<string, number>;
  /** Station time of each sensor's first reading after a silence of `silentFor` (or ever). */
  backSince: Map<string, number>;
}

export function sensorSilentRule(): AlertRule {
  return new SensorSilentRule();
}

class SensorSilentRule implements AlertRule {
  readonly name = SENSOR_SILENT;
  private readonly stations = new Map<string, Station>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    if (o.type !== 'reading' || !ctx.thresholds.sensor_silent.enabled || !isLive(ctx, o)) return;
    let st = this.stations.get(ctx.station.id);
    if (!st) {
      st = { startedAt: o.ts, newest: o.ts, lastSeen: new Map(), backSince: new Map() };
      this.stations.set(ctx.station.id, st);
    }
    if (o.ts > st.newest) {
      this.judge(ctx, st, st.newest);
      st.newest = o.ts;
    }
    const prev = st.lastSeen.get(o.sensor);
    if (prev !== undefined && o.ts <= prev) return;
    if (prev === undefined || o.ts - prev >= ctx.thresholds.sensor_silent.silentForMs)
      st.backSince.set(o.sensor, o.ts);
    st.lastSeen.set(o.sensor, o.ts);
  }

  /** Every configured sensor at station time `now`. */
  private judge(ctx: RuleContext, st: Station, now: number): void {
    const t = ctx.thresholds.sensor_silent;
    for (const { id } of ctx.station.sensors) {
      const seen = st.lastSeen.get(id);
      const last = seen ?? st.startedAt;
      const age = now - last;
      const silent = age >= t.silentForMs;
      // Back when its reports since the silence span clearFor: one stray report does not resolve.
      const back = seen !== undefined && !silent && seen - (st.backSince.get(id) ?? seen) >= t.clearForMs;
      this.holds.judge(
        ctx,
        id,
        now,
        { forMs: 0, clearForMs: 0 },
        { bad: silent, clear: back },
        {
          fire: () => this.firing(ctx, id, { seen, last, age, now }),
          resolve: () => {
            const sensor = sensorNames(ctx, id);
            return {
              note: say(ctx, `传感器“${sensor.zh}”恢复上报`, `sensor ${sensor.en} reports again`),
              evidence: { sensor: id, lastReadingAt: iso(last) },
            };
          },
        },
      );
    }
  }

  private firing(
    ctx: RuleContext,
    id: string,
    { seen, last, age, now }: { seen: number | undefined; last: number; age: number; now: number },
  ) {
    const t = ctx.thresholds.sensor_silent;
    const sensor = sensorNames(ctx, id);
    return {
      at: last,
      severity: t.severity,
      message:
        seen === undefined
          ? say(
              ctx,
              `传感器“${sensor.zh}”自服务启动后 ${duration(age).zh}无数据，驿站其他数据正常`,
              `sensor ${sensor.en} has sent nothing for ${duration(age).en} since the server started while the station still reports`,
            )
          : say(
              ctx,
              `传感器“${sensor.zh}”已 ${duration(age).zh}无数据，驿站其他数据正常`,
              `sensor ${sensor.en} silent for ${duration(age).en} while the station still reports`,
            ),
      evidence: {
        sensor: id,
        lastReadingAt: seen === undefined ? null : iso(seen),
        stationNewestAt: iso(now),
        silentForMs: age,
        thresholdMs: t.silentForMs,
      },
    };
  }
}
