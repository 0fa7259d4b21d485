/**
 * Points derived at ingest (planning/derive.ts): station_use only while open (county time), socket
 * sessions on idle → charging, riders turned away decided on the station's own clock, and a
 * replay deriving the same points at the readings' times as the live path.
 */
import { describe, expect, it } from 'vitest';
import { StationRegistry } from '../../../server/src/registry.js';
import { PlanningDeriver } from '../../../server/src/planning/derive.js';
import type { Observation } from '../../../server/src/state/observation.js';
import type { SensorKindName } from '@yizhan/protocol/serial';
import { stationFixture } from '../../helpers/station.js';

const reg = new StationRegistry([stationFixture('st-001', { seats: 4, sockets: 2, hours: '08:00-20:00' })]);
const entry = reg.get('st-001')!;
/** 2026-06-01 (a Monday) 12:00 in UTC+8. */
const NOON = Date.UTC(2026, 5, 1, 4);
const MIN = 60_000;

const read = (sensor: string, kind: SensorKindName, value: number, ts: number): Observation => ({
  type: 'reading',
  sensor,
  kind,
  value,
  ts,
  historical: false,
});

function run(d: PlanningDeriver, msgs: [number, [string, SensorKindName, number][]][], historical = false): string[] {
  const out: string[] = [];
  for (const [ts, rs] of msgs)
    d.derive(entry, ts, historical, rs.map(([s, k, v]) => read(s, k, v, ts)), out);
  return out;
}

describe('PlanningDeriver', () => {
  it('writes station_use with full, near full and all-busy flags while open, none while closed', () => {
    const d = new PlanningDeriver('Asia/Shanghai');
    const lines = run(d, [
      [NOON, [['socket-1', 'socket_state', 1], ['socket-2', 'socket_state', 1], ['occupancy', 'occupancy', 4]]],
      [NOON + 9 * 60 * MIN, [['occupancy', 'occupancy', 1]]], // 21:00 local: closed
    ]);
    expect(lines).toEqual([
      `station_use,station=st-001,township=城关镇 occupancy=4,seats=4,full=1,near_full=1,sockets_busy=2,sockets=2,all_busy=1,lat=30,lon=120 ${NOON}`,
    ]);
  });

  it('counts a session on idle → charging only (not on a first charging reading)', () => {
    const d = new PlanningDeriver('Asia/Shanghai');
    const lines = run(d, [
      [NOON, [['socket-1', 'socket_state', 1], ['socket-2', 'socket_state', 0]]],
      [NOON + MIN, [['socket-2', 'socket_state', 1]]],
      [NOON + 2 * MIN, [['socket-2', 'socket_state', 2]]],
      [NOON + 3 * MIN, [['socket-2', 'socket_state', 1]]],
    ]);
    expect(lines).toEqual([`socket_session,sensor=socket-2,station=st-001,township=城关镇 started=1 ${NOON + MIN}`]);
  });

  it('decides a door opening while full at the first message after the window, by station time', () => {
    const d = new PlanningDeriver('Asia/Shanghai');
    const base: [number, [string, SensorKindName, number][]][] = [
      [NOON, [['door', 'door', 0], ['occupancy', 'occupancy', 4]]],
      [NOON + MIN, [['door', 'door', 1]]],
    ];
    const within = run(d, [...base, [NOON + 2 * MIN, [['door', 'door', 0]]]]);
    expect(within.filter((l) => l.startsWith('turned_away'))).toEqual([]);
    const after = run(d, [[NOON + 3 * MIN + 1, [['occupancy', 'occupancy', 4]]]]);
    expect(after.filter((l) => l.startsWith('turned_away'))).toEqual([
      `turned_away,station=st-001,township=城关镇 count=1 ${NOON + MIN}`,
    ]);
  });

  it('does not count an opening followed by a rise within the window, nor one while not full', () => {
    const d = new PlanningDeriver('Asia/Shanghai');
    const lines = run(d, [
      [NOON, [['door', 'door', 0], ['occupancy', 'occupancy', 4]]],
      [NOON + MIN, [['door', 'door', 1]]],
      [NOON + 2 * MIN, [['door', 'door', 0], ['occupancy', 'occupancy', 5]]],
      [NOON + 3 * MIN, [['occupancy', 'occupancy', 2]]],
      [NOON + 4 * MIN, [['door', 'door', 1]]],
      [NOON + 30 * MIN, [['door', 'door', 0], ['occupancy', 'occupancy', 2]]],
    ]);
    expect(lines.filter((l) => l.startsWith('turned_away'))).toEqual([]);
  });

  it('derives the same lines from a replay after the live messages (own chain, readings’ own times)', () => {
    const msgs: [number, [string, SensorKindName, number][]][] = [
      [NOON, [['door', 'door', 0], ['occupancy', 'occupancy', 4], ['socket-1', 'socket_state', 0]]],
      [NOON + MIN, [['door', 'door', 1], ['socket-1', 'socket_state', 1]]],
      [NOON + 5 * MIN, [['occupancy', 'occupancy', 4]]],
    ];
    const live = run(new PlanningDeriver('Asia/Shanghai'), msgs);
    const d = new PlanningDeriver('Asia/Shanghai');
    run(d, [[NOON + 60 * MIN, [['door', 'door', 0], ['occupancy', 'occupancy', 0], ['socket-1', 'socket_state', 1]]]]);
    expect(run(d, msgs, true)).toEqual(live);
    expect(live.filter((l) => !l.startsWith('station_use'))).toHaveLength(2);
  });
});
