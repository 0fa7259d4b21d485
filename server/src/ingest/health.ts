/**
 * Checks and consequences of an agent's health message beyond its schema: counters that cannot be
 * stored (`counter_overflow`), and the agent's report of the controller's active faults, which
 * live state and InfluxDB follow (mqtt-v1 §4.4).
 */
import type { PayloadFor } from '@yizhan/protocol';
import { faultPoint, type Line, type StationTags } from '../influx/points.js';
import { activeFaultObservation, type Observation } from '../state/observation.js';
import type { ActiveFault } from '../state/schema.js';

/** Why a health message's counters cannot be stored (not safe integers, or a sum beyond 2^53); else undefined. */
export function counterOverflow(h: PayloadFor['health']): string | undefined {
  const s = h.serial;
  let bad = 0;
  for (const [k, n] of Object.entries(s.framesBad)) {
    if (!Number.isSafeInteger(n)) return `serial.framesBad.${k.slice(0, 40)} = ${n} is not a safe integer`;
    bad += n;
  }
  if (!Number.isSafeInteger(bad)) return `serial.framesBad sums to ${bad}, beyond 2^53`;
  const fields: [string, number | null | undefined][] = [
    ['rssBytes', h.rssBytes],
    ['serial.framesGood', s.framesGood],
    ['serial.lastFrameAgeMs', s.lastFrameAgeMs],
    ['spool.depth', h.spool?.depth],
    ['spool.oldestAgeMs', h.spool?.oldestAgeMs],
    ['spool.dropped', h.spool?.dropped],
    ['spool.writeErrors', h.spool?.writeErrors],
  ];
  for (const [name, n] of fields)
    if (n !== null && n !== undefined && !Number.isSafeInteger(n))
      return `${name} = ${n} is not a safe integer`;
  return undefined;
}

/**
 * The agent reported the controller's whole set of active faults: raise what live state lacks (at
 * the time the agent saw it raised), clear what the controller no longer has (at the report's
 * time; e.g. a reboot without a clear event). Written like fault events, so InfluxDB and the
 * "当前故障" panel follow; the store's per-fault times keep a replayed old report from undoing
 * newer events. `sensorOk` checks (and counts) a sensor the station config lacks.
 */
export function reconcileFaults(
  known: ReadonlyMap<string, ActiveFault> | undefined,
  st: StationTags,
  m: PayloadFor['health'],
  points: Line[],
  obs: Observation[],
  sensorOk: (sensor: string) => boolean,
): void {
  const reported = new Set<string>();
  for (const f of m.faults ?? []) {
    const key = `${f.sensor}/${f.fault}`;
    reported.add(key);
    if (known?.has(key) || !sensorOk(f.sensor)) continue;
    points.push(faultPoint(st, f.sensor, f.fault, true, f.since));
    obs.push(activeFaultObservation(f));
  }
  for (const [key, f] of known ?? []) {
    if (reported.has(key)) continue;
    points.push(faultPoint(st, f.sensor, f.fault, false, m.ts));
    obs.push({ type: 'fault', sensor: f.sensor, fault: f.fault, active: false, ts: m.ts, historical: false });
  }
}
