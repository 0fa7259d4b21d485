/**
 * A simulated week whose analytics are known by construction, for the planning tests. Three
 * stations, telemetry every 5 minutes from a local (UTC+8) Monday 00:00 for 7 days:
 *
 * - st-001 (城关镇, 4 seats, open 08:00–20:00): 4 people Mon–Fri 11:00–13:00, else 1; socket-1
 *   charges 09:00–10:00 every day at 500 W (7 sessions), socket-2 idle; heater on in 1 of 4
 *   readings. Door openings while full: Mon 11:31 and Thu 12:11 nobody comes in (turned away);
 *   Tue 11:34 someone comes in (the 11:35 reading says 5); Wed 15:01 while not full (not counted).
 * - st-002 (新塘镇, 4 seats, always open): 4 people Sat–Sun 18:00–21:00, else 2; both sockets
 *   charging all week (all busy; no idle → charging, so no sessions).
 * - st-003 (城关镇, 10 seats, always open, opened on the Wednesday): 1 person all week.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationFixture } from '../../helpers/station.js';
import { FakeStation } from '../helpers.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const OFFSET = 8 * HOUR;
const STEP = 5 * MIN;

/** The local (UTC+8) Monday 00:00 starting the last whole week before `now`, Unix ms. */
export function lastWeekStart(now = Date.now()): number {
  const localDays = Math.floor((now + OFFSET) / DAY);
  const dow = (localDays + 3) % 7;
  return (localDays - dow - 7) * DAY - OFFSET;
}

export const openedDate = (w0: number): string => new Date(w0 + 2 * DAY + OFFSET).toISOString().slice(0, 10);

export function weekStations(w0: number): StationConfig[] {
  return [
    stationFixture('st-001', { township: '城关镇', seats: 4, sockets: 2, hours: '08:00-20:00' }),
    stationFixture('st-002', { township: '新塘镇', seats: 4, sockets: 2 }),
    { ...stationFixture('st-003', { township: '城关镇', seats: 10, sockets: 2 }), opened: openedDate(w0) },
  ];
}

export interface Msg {
  stationId: string;
  leaf: 'telemetry' | 'events';
  payload: object;
  ts: number;
}

const r = (sensor: string, kind: string, value: number) => ({ sensor, kind, value });

/** Every message of the week, in time order per station. */
export function weekMessages(w0: number): Msg[] {
  const out: Msg[] = [];
  const st = { a: new FakeStation('st-001'), b: new FakeStation('st-002'), c: new FakeStation('st-003') };
  const tel = (s: FakeStation, ts: number, readings: ReturnType<typeof r>[]) =>
    out.push({ stationId: s.id, leaf: 'telemetry', payload: s.telemetry(readings, ts), ts });
  const door = (s: FakeStation, ts: number) => {
    out.push({ stationId: s.id, leaf: 'events', payload: s.state('door', 'door', 1, ts), ts });
    out.push({ stationId: s.id, leaf: 'events', payload: s.state('door', 'door', 0, ts + 20_000), ts: ts + 20_000 });
  };
  const doorsA = new Map([
    [0 * DAY + 11 * HOUR + 31 * MIN, 'turned away'],
    [1 * DAY + 11 * HOUR + 34 * MIN, 'came in'],
    [2 * DAY + 15 * HOUR + 1 * MIN, 'not full'],
    [3 * DAY + 12 * HOUR + 11 * MIN, 'turned away'],
  ]);
  for (let t = 0; t < 7 * DAY; t += STEP) {
    const ts = w0 + t;
    const dow = Math.floor(t / DAY);
    const hour = Math.floor((t % DAY) / HOUR);
    const charging = hour === 9 ? 1 : 0;
    let occA = dow < 5 && (hour === 11 || hour === 12) ? 4 : 1;
    if (t === 1 * DAY + 11 * HOUR + 35 * MIN) occA = 5;
    tel(st.a, ts, [
      r('door', 'door', 0),
      r('occupancy', 'occupancy', occA),
      r('socket-1', 'socket_state', charging),
      r('socket-2', 'socket_state', 0),
      r('socket-1-power', 'socket_power', charging * 500),
      r('socket-2-power', 'socket_power', 0),
      r('heater', 'heater', (t / STEP) % 4 === 0 ? 1 : 0),
    ]);
    for (const [at] of doorsA) if (at > t && at < t + STEP) door(st.a, w0 + at);
    const occB = dow >= 5 && hour >= 18 && hour < 21 ? 4 : 2;
    tel(st.b, ts, [
      r('door', 'door', 0),
      r('occupancy', 'occupancy', occB),
      r('socket-1', 'socket_state', 1),
      r('socket-2', 'socket_state', 1),
      r('heater', 'heater', 0),
    ]);
    tel(st.c, ts, [r('door', 'door', 0), r('occupancy', 'occupancy', 1), r('socket-1', 'socket_state', 0)]);
  }
  return out;
}

/** What the week must give, by construction. */
export const TRUTH = {
  a: {
    samples: 7 * 12 * 12,
    full: 5 * 2 * 12,
    occupancySum: 5 * 2 * 12 * 4 + (7 * 12 * 12 - 5 * 2 * 12) * 1 + 1,
    sessions: 7,
    turnedAway: 2,
    /** 500 W for one hour a day (linear between readings: 08:55→09:00 up, 09:55→10:00 down). */
    energyKwh: 7 * 0.5,
    heaterOnShare: 0.25,
  },
  b: { samples: 7 * 24 * 12, full: 2 * 3 * 12, occupancySum: 2 * 3 * 12 * 4 + (7 * 24 * 12 - 2 * 3 * 12) * 2 },
  c: { samples: 7 * 24 * 12, occupancyMean: 1 },
};
