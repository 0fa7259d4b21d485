/**
 * What the sensor rules (door_stuck_open, socket_fault, sensor_silent, occupancy_stuck, water_low,
 * agent_health) share: the names alert texts use, the historical guard, and one {@link Hold} per
 * station and key that fires and resolves through the rule context.
 */
import type { FaultName, SensorKindName } from '@yizhan/protocol/serial';
import { formatDuration } from '../../i18n.js';
import { Hold, type HoldOptions } from '../hold.js';
import type { Observation } from '../../state/observation.js';
import type { AlertDraft, LocalizedText, RuleContext } from '../types.js';

export interface Names {
  zh: string;
  en: string;
}

/** A station as alert texts name it: `城关人民路驿站` / `Chengguan Renmin Road Station`. */
export function stationNames(ctx: RuleContext): Names {
  const s = ctx.station;
  return { zh: s.name, en: s.nameEn ?? s.id };
}

/** A sensor as alert texts name it: its label (`3号充电口`) or, without one, its id. */
export function sensorNames(ctx: RuleContext, sensorId: string): Names {
  const label = ctx.station.sensors.find((s) => s.id === sensorId)?.label;
  return { zh: label ?? sensorId, en: label ? `${sensorId} (${label})` : sensorId };
}

export function duration(ms: number): Names {
  return { zh: formatDuration(ms, 'zh-CN'), en: formatDuration(ms, 'en') };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** `<station>：<zh>` / `<station>: <en>`, the shape of every message. */
export function say(ctx: RuleContext, zh: string, en: string): LocalizedText {
  const n = stationNames(ctx);
  return { 'zh-CN': `${n.zh}：${zh}`, en: `${n.en}: ${en}` };
}

export type SensorObservation = Extract<Observation, { type: 'reading' | 'fault' }>;

/** A reading of `kind` or a `fault` raise/clear: what a rule of one sensor kind looks at. */
export function isAbout(o: Observation, kind: SensorKindName, fault: FaultName): o is SensorObservation {
  return o.type === 'reading' ? o.kind === kind : o.type === 'fault' && o.fault === fault;
}

/**
 * Replayed readings and faults (from the edge spool) neither fire nor resolve: counted as ignored.
 * Returns true for a live observation.
 */
export function isLive(ctx: RuleContext, o: Observation): boolean {
  if ((o.type === 'reading' || o.type === 'fault') && o.historical) {
    ctx.ignored('historical', { ts: iso(o.ts), sensor: o.sensor });
    return false;
  }
  return true;
}

/** What to fire when a hold fires, and what to say when it resolves; built only when needed. */
export interface Outcome {
  /** The draft; `at` defaults to when the condition started (the hold's start). */
  fire: (since: number) => Omit<AlertDraft, 'key' | 'at'> & { at?: number };
  resolve: () => { note: LocalizedText; evidence: Record<string, unknown> };
}

/**
 * One {@link Hold} per station and key. `judge` runs a station-time judgement and fires or
 * resolves the alert of that key. A hold learns that its alert fires from the context, so an
 * alert adopted from the store after a restart resolves as usual instead of firing again.
 */
export class HoldBook {
  /** The hold and the newest station time it judged, by station and key. */
  private readonly holds = new Map<string, { hold: Hold; latest: number }>();

  private entryOf(ctx: RuleContext, key: string, opts: HoldOptions): { hold: Hold; latest: number } {
    const id = `${ctx.station.id}\u0000${key}`;
    let e = this.holds.get(id);
    if (!e) {
      e = { hold: new Hold(opts), latest: -Infinity };
      this.holds.set(id, e);
    } else e.hold.configure(opts);
    if (!e.hold.firing && ctx.isFiring(key || undefined)) e.hold.firing = true;
    return e;
  }

  /** Since when the condition of `key` has been bad (null when it is not). */
  since(ctx: RuleContext, key: string): number | null {
    return this.holds.get(`${ctx.station.id}\u0000${key}`)?.hold.since ?? null;
  }

  judge(
    ctx: RuleContext,
    key: string,
    ts: number,
    opts: HoldOptions,
    cond: { bad: boolean; clear: boolean },
    out: Outcome,
  ): void {
    const e = this.entryOf(ctx, key, opts);
    const h = e.hold;
    // A fault frame may carry a slightly older stamp than the last reading of the same station:
    // judged at the newest time seen, so the fault still counts instead of being "stale".
    e.latest = Math.max(e.latest, ts);
    const change = h.update(e.latest, cond.bad, cond.clear);
    if (change === 'fire') {
      const since = h.since ?? ts;
      ctx.fire({ at: since, ...out.fire(since), key: key || undefined });
    } else if (change === 'resolve' && ctx.isFiring(key || undefined)) {
      const r = out.resolve();
      ctx.resolve(e.latest, r.note, key || undefined, r.evidence);
    }
  }
}
