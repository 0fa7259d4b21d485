/**
 * From the simulator's fault injection to the rule: the frames a simulated controller sends with a
 * fault injected, turned into observations as ingest would (sensor id by channel, station time =
 * boot time + uptime), fire the rule that watches for that fault and nothing before the hold.
 */
import { describe, expect, it } from 'vitest';
import { faultFromCode, scaleRaw, type Frame } from '@yizhan/protocol/serial';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { InjectableFault } from '@yizhan/edge/simulator';
import type { Observation } from '../../../../server/src/state/observation.js';
import type { AlertRule } from '../../../../server/src/alerts/types.js';
import { waterLowRule } from '../../../../server/src/alerts/rules/water-low.js';
import { socketFaultRule } from '../../../../server/src/alerts/rules/socket-fault.js';
import { sensorSilentRule } from '../../../../server/src/alerts/rules/sensor-silent.js';
import { occupancyStuckRule } from '../../../../server/src/alerts/rules/occupancy-stuck.js';
import { doorStuckOpenRule } from '../../../../server/src/alerts/rules/door-stuck-open.js';
import { recordSim } from '../../../edge/sim-helpers.js';
import { MIDNIGHT_CST } from '../../../edge/fixtures.js';
import { stationFixture } from '../../../helpers/station.js';
import { HOUR, MIN, runRule, transitions } from './sensor-rules.js';

/** What ingest makes of one frame of `station` booted at `bootAt`. */
function observations(station: StationConfig, bootAt: number, f: Frame): Observation[] {
  const byChannel = new Map(station.sensors.map((s) => [s.channel, s]));
  const reading = (channel: number, raw: number, ts: number): Observation[] => {
    const s = byChannel.get(channel);
    return s
      ? [{ type: 'reading', sensor: s.id, kind: s.kind, value: scaleRaw(s.kind, raw), ts, historical: false }]
      : [];
  };
  if (f.type === 'readings') return f.readings.flatMap((r) => reading(r.channel, r.raw, bootAt + f.uptimeMs));
  if (f.type === 'event') return reading(f.channel, f.raw, bootAt + f.uptimeMs);
  const fault = f.type === 'fault' ? faultFromCode(f.code) : undefined;
  const s = f.type === 'fault' ? byChannel.get(f.channel) : undefined;
  if (f.type !== 'fault' || !fault || !s) return [];
  return [
    { type: 'fault', sensor: s.id, fault, active: f.active, ts: bootAt + f.uptimeMs, historical: false },
  ];
}

/** Run the simulator `warmup`, inject, run `span` more; the rule's transitions up to then. */
function simulate(
  rule: AlertRule,
  fault: InjectableFault,
  target: number | string,
  warmup: number,
  span: number,
) {
  const station = stationFixture('st-001', { seats: 30, sockets: 4 });
  const bootAt = MIDNIGHT_CST + 9 * HOUR; // 09:00 China Standard Time, inside the busy hours
  const r = recordSim(station, { startTime: bootAt, seed: 11 });
  r.sim.advance(warmup);
  r.sim.injectFault(fault, target);
  r.sim.advance(span);
  const messages = r.frames.map((f) => observations(station, bootAt, f)).filter((o) => o.length > 0);
  return transitions(runRule(rule, messages, { station }).events);
}

describe('simulator fault → rule', () => {
  it.each([
    // The controller raises door_stuck after door_stuck_s (180 s): the rule fires on the fault.
    {
      fault: 'door_stuck',
      target: 1,
      rule: doorStuckOpenRule,
      before: 2 * MIN,
      after: 4 * MIN,
      want: 'firing door',
    },
    { fault: 'water_low', target: 1, rule: waterLowRule, before: 90 * 1000, after: 3 * MIN, want: 'firing' },
    {
      fault: 'socket_no_power',
      target: 2,
      rule: socketFaultRule,
      before: 4 * MIN,
      after: 6 * MIN,
      want: 'firing socket-2',
    },
    {
      fault: 'sensor_silent',
      target: 'ambient',
      rule: sensorSilentRule,
      before: 9 * MIN,
      after: 11 * MIN,
      want: 'firing ambient',
    },
    {
      fault: 'occupancy_frozen',
      target: 1,
      rule: occupancyStuckRule,
      before: 5 * HOUR,
      after: 6.5 * HOUR,
      want: 'firing occupancy',
    },
  ] as const)(
    '$fault fires $want after its hold, not before',
    ({ fault, target, rule, before, after, want }) => {
      expect(simulate(rule(), fault, target, 10 * MIN, before)).toEqual([]);
      expect(simulate(rule(), fault, target, 10 * MIN, after)).toEqual([want]);
    },
  );
});
