/**
 * Rule `dispenser_broken`: the hot-water dispenser of a station does not work.
 *
 * Fires when either
 *  (a) the controller reports an active `heater_failure` fault, or
 *  (b) the heater has been on for `dispenser.heatingTimeout` (default 10min) while the water
 *      temperature rose by less than `dispenser.minRiseC` (default 2 °C) in that time.
 * Resolves when neither holds any more: the fault is cleared, and the temperature rises by
 * minRiseC, reaches the setpoint, or the heater switches off.
 *
 * All times are the readings' own timestamps, never the wall clock, so replays and simulated
 * time give the same answer. A heater holding the water at the setpoint is not a fault.
 */
import { stationTimings } from '@yizhan/station-config/timings';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';

export const DISPENSER_BROKEN = 'dispenser_broken';

interface StationMemory {
  /** Active heater_failure faults: sensor → since. */
  faults: Map<string, number>;
  heaterOn: boolean;
  /** Start of the current "must rise by minRise" window (heater on, or last rise). */
  windowStart: number | null;
  /** Temperature at windowStart (null until the first reading in the window). */
  baseTemp: number | null;
  lastTemp: number | null;
  stuck: Record<string, unknown> | null;
  /** From the station config (fixed for the process), read on the first observation. */
  settings: Settings;
}

interface Settings {
  timeoutMs: number;
  minRise: number;
  setpoint: number;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1);
}

export function dispenserBrokenRule(): AlertRule {
  const mem = new Map<string, StationMemory>();

  function memoryOf(ctx: RuleContext): StationMemory {
    const id = ctx.station.id;
    let m = mem.get(id);
    if (!m) {
      m = {
        settings: settings(ctx),
        faults: new Map(),
        heaterOn: false,
        windowStart: null,
        baseTemp: null,
        lastTemp: null,
        stuck: null,
      };
      mem.set(id, m);
    }
    return m;
  }

  function settings(ctx: RuleContext): Settings {
    const t = stationTimings(ctx.station); // the station schema's defaults where the file has none
    return { timeoutMs: t.heatingTimeoutMs, minRise: t.minRiseC, setpoint: ctx.station.dispenser.setpointC };
  }

  function restartWindow(m: StationMemory, ts: number, temp: number | null): void {
    m.windowStart = ts;
    m.baseTemp = temp;
    m.stuck = null;
  }

  /** What made a firing alert resolve: the fault was cleared, or the readings' state in `m`. */
  function why(m: StationMemory, faultCleared: boolean): { zh: string; en: string } {
    if (faultCleared) return { zh: '加热器故障已清除', en: 'heater failure cleared' };
    return !m.heaterOn
      ? { zh: '加热器正常关闭', en: 'heater switched off' }
      : {
          zh: `水温已升至 ${fmt(m.lastTemp ?? 0)}°C`,
          en: `water temperature rose to ${fmt(m.lastTemp ?? 0)} °C`,
        };
  }

  function evaluate(ctx: RuleContext, m: StationMemory, ts: number, faultCleared: boolean): void {
    const name = ctx.station.name;
    const nameEn = ctx.station.nameEn ?? ctx.station.id;
    const broken = m.faults.size > 0 || m.stuck !== null;
    if (broken && !ctx.isFiring()) {
      const fault = m.faults.size > 0;
      const [sensor] = [...m.faults.keys()];
      const s = m.stuck ?? {};
      ctx.fire({
        severity: 'critical',
        at: ts,
        evidence: fault ? { cause: 'fault', fault: 'heater_failure', sensor } : { cause: 'readings', ...s },
        message: fault
          ? {
              'zh-CN': `${name}：饮水机故障，控制器报告加热器故障（${sensor}）`,
              en: `${nameEn}: hot-water dispenser broken, the controller reports a heater failure (${sensor})`,
            }
          : {
              'zh-CN': `${name}：饮水机故障，加热器已开启 ${Number(s.minutes)} 分钟，水温仅从 ${fmt(Number(s.fromC))}°C 变为 ${fmt(Number(s.toC))}°C（应至少上升 ${Number(s.minRiseC)}°C）`,
              en: `${nameEn}: hot-water dispenser broken, heater on for ${Number(s.minutes)} min but the water only went from ${fmt(Number(s.fromC))} °C to ${fmt(Number(s.toC))} °C (expected a rise of at least ${Number(s.minRiseC)} °C)`,
            },
      });
    } else if (!broken && ctx.isFiring()) {
      const w = why(m, faultCleared);
      ctx.resolve(
        ts,
        {
          'zh-CN': `${name}：饮水机恢复正常（${w.zh}）`,
          en: `${nameEn}: hot-water dispenser back to normal (${w.en})`,
        },
        undefined,
        {
          lastTempC: m.lastTemp,
          heaterOn: m.heaterOn,
        },
      );
    }
  }

  return {
    name: DISPENSER_BROKEN,
    observe(ctx: RuleContext, o: Observation): void {
      const m = memoryOf(ctx);
      const { timeoutMs, minRise, setpoint } = m.settings;
      if (o.type === 'fault') {
        if (o.fault !== 'heater_failure') return;
        if (o.active) m.faults.set(o.sensor, o.ts);
        else m.faults.delete(o.sensor);
        evaluate(ctx, m, o.ts, true);
        return;
      }
      if (o.type !== 'reading') return;
      if (o.kind === 'heater') {
        const on = o.value !== 0;
        if (on && !m.heaterOn) restartWindow(m, o.ts, m.lastTemp);
        if (!on) {
          m.windowStart = null;
          m.baseTemp = null;
          m.stuck = null;
        }
        m.heaterOn = on;
      } else if (o.kind === 'water_temp') {
        m.lastTemp = o.value;
        if (m.heaterOn && m.windowStart !== null) {
          if (m.baseTemp === null) m.baseTemp = o.value;
          else if (o.value - m.baseTemp >= minRise || o.value >= setpoint) restartWindow(m, o.ts, o.value);
        }
      } else return;
      // Judged on temperature readings only, so the heater and temperature of one message are both known.
      const judge = o.kind === 'water_temp';
      if (
        judge &&
        m.heaterOn &&
        m.windowStart !== null &&
        m.baseTemp !== null &&
        m.lastTemp !== null &&
        m.stuck === null
      ) {
        const elapsed = o.ts - m.windowStart;
        if (elapsed >= timeoutMs)
          m.stuck = {
            heaterOnSince: new Date(m.windowStart).toISOString(),
            minutes: Math.round(elapsed / 6000) / 10,
            fromC: m.baseTemp,
            toC: m.lastTemp,
            minRiseC: minRise,
            heatingTimeoutMs: timeoutMs,
          };
      }
      evaluate(ctx, m, o.ts, false);
    },
  };
}
