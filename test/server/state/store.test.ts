/**
 * Live state: what a station screen shows for given facts (free seats/sockets, water ready, door),
 * and that late or replayed facts never overwrite newer ones.
 */
import { describe, expect, it } from 'vitest';
import { StationRegistry } from '../../../server/src/registry.js';
import { StateStore } from '../../../server/src/state/store.js';
import type { Observation } from '../../../server/src/state/observation.js';
import type { StationLive } from '../../../server/src/state/schema.js';
import { stationFixture } from '../../helpers/station.js';

const T = 1_700_000_000_000;
const r = (
  sensor: string,
  kind: Extract<Observation, { type: 'reading' }>['kind'],
  value: number,
  ts = T,
): Observation => ({
  type: 'reading',
  sensor,
  kind,
  value,
  ts,
  historical: false,
});

function store(): StateStore {
  return new StateStore(
    new StationRegistry([stationFixture('st-001', { seats: 10, sockets: 4, setpointC: 95 })]),
  );
}

describe('derived station state', () => {
  const cases: { name: string; obs: Observation[]; expect: (s: StationLive) => void }[] = [
    {
      name: 'nothing known yet: nulls, water unknown',
      obs: [],
      expect: (s) => {
        expect(s.online).toBeNull();
        expect(s.seats).toEqual({ total: 10, occupied: null, free: null });
        expect(s.sockets).toEqual({ total: 4, free: null, charging: null, tripped: null });
        expect(s.water.state).toBe('unknown');
        expect(s.door).toEqual({ open: null, since: null });
      },
    },
    {
      name: 'free seats = seats − occupancy',
      obs: [r('occupancy', 'occupancy', 3)],
      expect: (s) => expect(s.seats).toEqual({ total: 10, occupied: 3, free: 7 }),
    },
    {
      name: 'free seats never below 0',
      obs: [r('occupancy', 'occupancy', 14)],
      expect: (s) => expect(s.seats.free).toBe(0),
    },
    {
      name: 'sockets: 0 free, 1 charging, 2 tripped',
      obs: [
        r('socket-1', 'socket_state', 0),
        r('socket-2', 'socket_state', 1),
        r('socket-3', 'socket_state', 2),
        r('socket-4', 'socket_state', 0),
      ],
      expect: (s) => expect(s.sockets).toEqual({ total: 4, free: 2, charging: 1, tripped: 1 }),
    },
    {
      name: 'water ready at setpoint − 5',
      obs: [r('water-temp', 'water_temp', 90), r('heater', 'heater', 0)],
      expect: (s) =>
        expect(s.water).toMatchObject({ tempC: 90, ready: true, state: 'ready', heaterOn: false }),
    },
    {
      name: 'water heating below setpoint − 5',
      obs: [r('water-temp', 'water_temp', 89.9), r('heater', 'heater', 1)],
      expect: (s) => expect(s.water).toMatchObject({ ready: false, state: 'heating', heaterOn: true }),
    },
    {
      name: 'water fault: hot but heater_failure active',
      obs: [
        r('water-temp', 'water_temp', 95),
        { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true, ts: T, historical: false },
      ],
      expect: (s) => {
        expect(s.water).toMatchObject({ ready: false, faulted: true, state: 'fault' });
        expect(s.faults).toEqual([{ sensor: 'heater', fault: 'heater_failure', since: T }]);
      },
    },
    {
      name: 'fault cleared: ready again',
      obs: [
        r('water-temp', 'water_temp', 95),
        { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true, ts: T, historical: false },
        {
          type: 'fault',
          sensor: 'heater',
          fault: 'heater_failure',
          active: false,
          ts: T + 1,
          historical: false,
        },
      ],
      expect: (s) => {
        expect(s.water.state).toBe('ready');
        expect(s.faults).toEqual([]);
      },
    },
    {
      name: 'door open since the change, not since the last repeat',
      obs: [r('door', 'door', 0, T), r('door', 'door', 1, T + 1000), r('door', 'door', 1, T + 5000)],
      expect: (s) => expect(s.door).toEqual({ open: true, since: T + 1000 }),
    },
    {
      name: 'a late reading does not overwrite a newer one',
      obs: [r('occupancy', 'occupancy', 5, T + 10), r('occupancy', 'occupancy', 1, T)],
      expect: (s) => expect(s.seats.occupied).toBe(5),
    },
    {
      name: 'online, then a will from before the reconnect is ignored',
      obs: [
        { type: 'status', online: true, bootId: 'boot-bbbbbbbb', ts: T + 100 },
        { type: 'status', online: false, bootId: 'boot-aaaaaaaa', ts: T, reason: 'will' },
      ],
      expect: (s) => expect(s.online).toBe(true),
    },
    {
      name: 'offline by the will of the same connection (same ts as its online), since the will arrived',
      obs: [
        { type: 'status', online: true, bootId: 'boot-aaaaaaaa', ts: T },
        { type: 'status', online: false, bootId: 'boot-aaaaaaaa', ts: T, at: T + 45_000, reason: 'will' },
      ],
      expect: (s) =>
        expect(s).toMatchObject({ online: false, offlineReason: 'will', onlineSince: T + 45_000 }),
    },
    {
      name: 'a reconnect after the will is online again',
      obs: [
        { type: 'status', online: true, bootId: 'boot-aaaaaaaa', ts: T },
        { type: 'status', online: false, bootId: 'boot-aaaaaaaa', ts: T, at: T + 45_000, reason: 'will' },
        { type: 'status', online: true, bootId: 'boot-aaaaaaaa', ts: T + 50_000 },
      ],
      expect: (s) => expect(s).toMatchObject({ online: true, onlineSince: T + 50_000 }),
    },
  ];
  it.each(cases)('$name', ({ obs, expect: check }) => {
    const s = store();
    s.apply('st-001', obs);
    const live = s.live('st-001');
    expect(live).toBeDefined();
    if (live) check(live);
  });

  it('apply() returns only the newer observations and emits one change per message', () => {
    const s = store();
    const changes: StationLive[] = [];
    s.on('change', (c) => changes.push(c));
    s.apply('st-001', [r('door', 'door', 1, T + 10)]);
    const live = s.apply('st-001', [r('door', 'door', 0, T), r('occupancy', 'occupancy', 2, T)]);
    expect(live.map((o) => (o.type === 'reading' ? o.sensor : o.type))).toEqual(['occupancy']);
    expect(changes).toHaveLength(2);
    expect(changes[1]?.door.open).toBe(true);
    expect(changes[1]?.lastSeen).toBe(T + 10);
  });
});

describe('online count', () => {
  it('follows every status as applied, and agrees with the stations’ own states', () => {
    const ids = ['st-001', 'st-002', 'st-003'];
    const reported: number[] = [];
    const s = new StateStore(new StationRegistry(ids.map((id) => stationFixture(id))), (n) =>
      reported.push(n),
    );
    const status = (online: boolean, ts: number): Observation =>
      online
        ? { type: 'status', online, bootId: 'boot-aaaaaaaa', ts }
        : { type: 'status', online, bootId: 'boot-aaaaaaaa', ts, at: ts, reason: 'will' };
    const steps: [string, boolean, number][] = [
      ['st-001', true, T],
      ['st-002', true, T],
      ['st-001', true, T + 10], // online again: no change
      ['st-003', false, T], // offline first: still 0 for it
      ['st-002', false, T + 20],
      ['st-002', true, T + 5], // older than its offline: not applied, not reported
      ['st-003', true, T + 30],
    ];
    for (const [id, online, ts] of steps) s.apply(id, [status(online, ts)]);
    expect(reported).toEqual([1, 2, 2, 2, 1, 2]);
    const walked = ids.filter((id) => s.live(id)?.online === true).length;
    expect(s.onlineCount()).toBe(walked);
    expect(walked).toBe(2);
  });

  it('is not told of messages without a status', () => {
    const reported: number[] = [];
    const s = new StateStore(new StationRegistry([stationFixture('st-001')]), (n) => reported.push(n));
    s.apply('st-001', [r('occupancy', 'occupancy', 3)]);
    expect(reported).toEqual([]);
  });
});
