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
import type { AlertRule, LocalizedText, RuleContext } from '../types.js';

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

function settingsOf(ctx: RuleContext): Settings {
  const t = stationTimings(ctx.station); // the station schema's defaults where the file has none
  return { timeoutMs: t.heatingTimeoutMs, minRise: t.minRiseC, setpoint: ctx.station.dispenser.setpointC };
}

function restartWindow(m: StationMemory, ts: number, temp: number | null): void {
  m.windowStart = ts;
  m.baseTemp = temp;
  m.stuck = null;
}

/** `Name` / `NameEn` as the alert texts name a station. */
function names(ctx: RuleContext): { zh: string; en: string } {
  return { zh: ctx.station.name, en: ctx.station.nameEn ?? ctx.station.id };
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

function faultMessage(n: { zh: string; en: string }, sensor: string | undefined): LocalizedText {
  return {
    'zh-CN': `${n.zh}：饮水机故障，控制器报告加热器故障（${sensor}）`,
    en: `${n.en}: hot-water dispenser broken, the controller reports a heater failure (${sensor})`,
  };
}

function stuckMessage(n: { zh: string; en: string }, s: Record<string, unknown>): LocalizedText {
  return {
    'zh-CN': `${n.zh}：饮水机故障，加热器已开启 ${Number(s.minutes)} 分钟，水温仅从 ${fmt(Number(s.fromC))}°C 变为 ${fmt(Number(s.toC))}°C（应至少上升 ${Number(s.minRiseC)}°C）`,
    en: `${n.en}: hot-water dispenser broken, heater on for ${Number(s.minutes)} min but the water only went from ${fmt(Number(s.fromC))} °C to ${fmt(Number(s.toC))} °C (expected a rise of at least ${Number(s.minRiseC)} °C)`,
  };
}

function resolvedMessage(n: { zh: string; en: string }, w: { zh: string; en: string }): LocalizedText {
  return {
    'zh-CN': `${n.zh}：饮水机恢复正常（${w.zh}）`,
    en: `${n.en}: hot-water dispenser back to normal (${w.en})`,
  };
}

export function dispenserBrokenRule(): AlertRule {
  return new DispenserBrokenRule();
}

class DispenserBrokenRule implements AlertRule {
  readonly name = DISPENSER_BROKEN;
  private readonly mem = new Map<string, StationMemory>();

  observe(ctx: RuleContext, o: Observation): void {
    const m = this.memoryOf(ctx);
    if (o.type === 'fault') {
      if (o.fault !== 'heater_failure') return;
      if (o.active) m.faults.set(o.sensor, o.ts);
      else m.faults.delete(o.sensor);
      this.evaluate(ctx, m, o.ts, true);
      return;
    }
    if (o.type !== 'reading') return;
    if (o.kind === 'heater') this.onHeater(m, o.ts, o.value !== 0);
    else if (o.kind === 'water_temp') {
      this.onWaterTemp(m, o.ts, o.value);
      // Judged on temperature readings only, so the heater and temperature of one message are both known.
      this.judge(m, o.ts);
    } else return;
    this.evaluate(ctx, m, o.ts, false);
  }

  private memoryOf(ctx: RuleContext): StationMemory {
    const id = ctx.station.id;
    let m = this.mem.get(id);
    if (!m) {
      m = {
        settings: settingsOf(ctx),
        faults: new Map(),
        heaterOn: false,
        windowStart: null,
        baseTemp: null,
        lastTemp: null,
        stuck: null,
      };
      this.mem.set(id, m);
    }
    return m;
  }

  private onHeater(m: StationMemory, ts: number, on: boolean): void {
    if (on && !m.heaterOn) restartWindow(m, ts, m.lastTemp);
    if (!on) {
      m.windowStart = null;
      m.baseTemp = null;
      m.stuck = null;
    }
    m.heaterOn = on;
  }

  private onWaterTemp(m: StationMemory, ts: number, temp: number): void {
    const { minRise, setpoint } = m.settings;
    m.lastTemp = temp;
    if (m.heaterOn && m.windowStart !== null) {
      if (m.baseTemp === null) m.baseTemp = temp;
      else if (temp - m.baseTemp >= minRise || temp >= setpoint) restartWindow(m, ts, temp);
    }
  }

  /** Mark the station stuck once the heater has been on `timeoutMs` without the water rising. */
  private judge(m: StationMemory, ts: number): void {
    if (!m.heaterOn || m.windowStart === null || m.baseTemp === null || m.lastTemp === null) return;
    if (m.stuck !== null) return;
    const { timeoutMs, minRise } = m.settings;
    const elapsed = ts - m.windowStart;
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

  private evaluate(ctx: RuleContext, m: StationMemory, ts: number, faultCleared: boolean): void {
    const broken = m.faults.size > 0 || m.stuck !== null;
    if (broken && !ctx.isFiring()) this.fire(ctx, m, ts);
    else if (!broken && ctx.isFiring())
      ctx.resolve(ts, resolvedMessage(names(ctx), why(m, faultCleared)), undefined, {
        lastTempC: m.lastTemp,
        heaterOn: m.heaterOn,
      });
  }

  private fire(ctx: RuleContext, m: StationMemory, ts: number): void {
    const fault = m.faults.size > 0;
    const [sensor] = [...m.faults.keys()];
    const s = m.stuck ?? {};
    ctx.fire({
      severity: ctx.thresholds.dispenser_broken.severity,
      at: ts,
      evidence: fault ? { cause: 'fault', fault: 'heater_failure', sensor } : { cause: 'readings', ...s },
      message: fault ? faultMessage(names(ctx), sensor) : stuckMessage(names(ctx), s),
    });
  }
}
