/**
 * The board screen's live state from the agent's own messages: what the page shows (free seats,
 * door, dispenser fault, serial link down) is derived with the server's rules, and a message that
 * arrives late never overwrites a newer one.
 */
import { describe, expect, it } from 'vitest';
import { BoardState, observationsOf } from '../../../edge/src/screen/board-state.js';
import { stationFixture } from '../../helpers/station.js';

const station = stationFixture('st-871', { seats: 10, sockets: 4 });
const envelope = (ts: number) => ({ v: 1, stationId: 'st-871', bootId: 'b', seq: 0, ts });
const health = (ts: number, state: 'up' | 'down') => ({
  ...envelope(ts),
  agentVersion: '1.0.0',
  uptimeS: 1,
  rssBytes: 1,
  cpuPct: 0,
  serial: { state, port: '/dev/x', lastFrameAgeMs: null, framesGood: 1, framesBad: {} },
});

describe('BoardState', () => {
  it('is online from the start, with nothing to show until the controller speaks', () => {
    const s = new BoardState(station, 1000).live();
    expect(s.online).toBe(true);
    expect(s.seats).toEqual({ total: 10, occupied: null, free: null });
    expect(s.lastReading).toBeNull();
    expect(s.name).toBe('测试871号驿站');
    expect(s.address).toBe('测试路871号');
  });

  it('shows readings, state events and faults as the server would', () => {
    const b = new BoardState(station, 1000);
    const tel = { ...envelope(2000), readings: [{ sensor: 'occupancy', kind: 'occupancy', value: 3 }] };
    expect(b.observe('telemetry', tel)).toBe(true);
    expect(
      b.observe('events', {
        ...envelope(2100),
        event: { type: 'state', sensor: 'door', kind: 'door', value: 1 },
      }),
    ).toBe(true);
    b.observe('events', {
      ...envelope(2200),
      event: { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true },
    });
    const s = b.live();
    expect(s.seats.free).toBe(7);
    expect(s.door).toEqual({ open: true, since: 2100 });
    expect(s.water.state).toBe('fault');
    expect(s.lastReading).toBe(2200);
  });

  it('a late message does not overwrite a newer reading', () => {
    const b = new BoardState(station, 1000);
    b.observe('telemetry', {
      ...envelope(3000),
      readings: [{ sensor: 'occupancy', kind: 'occupancy', value: 5 }],
    });
    expect(
      b.observe('telemetry', {
        ...envelope(2000),
        readings: [{ sensor: 'occupancy', kind: 'occupancy', value: 1 }],
      }),
    ).toBe(false);
    expect(b.live().seats.free).toBe(5);
  });

  it("takes the serial link's state from the agent's health (the page pauses on it)", () => {
    const b = new BoardState(station, 1000);
    b.observe('health', health(5000, 'down'));
    expect(b.live().health?.serialUp).toBe(false);
    b.observe('health', health(6000, 'up'));
    expect(b.live().health?.serialUp).toBe(true);
  });

  it('ignores what the screen does not show', () => {
    expect(observationsOf('cmd/result', { ...envelope(1) })).toEqual([]);
    expect(observationsOf('config/reported', { ...envelope(1) })).toEqual([]);
  });
});
