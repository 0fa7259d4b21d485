/**
 * Faults the controller does not report as FAULT frames, only in what it sends: what the server's
 * sensor rules (water_low, socket_fault, sensor_silent, occupancy_stuck) see from an injection.
 */
import { describe, expect, it } from 'vitest';
import { MIDNIGHT_CST } from '../fixtures.js';
import { HOUR_MS, MIN_MS, recordSim } from '../sim-helpers.js';
import { stationFixture } from '../../helpers/station.js';

const NIGHT = MIDNIGHT_CST + 3 * HOUR_MS;
const NOON = MIDNIGHT_CST + 12 * HOUR_MS;
const after = (xs: { uptimeMs: number; raw: number }[], t: number) =>
  xs.filter((x) => x.uptimeMs > t).map((x) => x.raw);

describe('StationSimulator sensor faults', () => {
  it('water_low: the tank drains under 10 % and stays there (no FAULT); clearing refills it', () => {
    const r = recordSim(stationFixture('st-001'), { startTime: NIGHT });
    r.sim.advance(MIN_MS);
    expect(r.sim.snapshot().waterLevelPct).toBeGreaterThan(25);
    r.sim.injectFault('water_low');
    const at = r.sim.snapshot().uptimeMs;
    r.sim.advance(HOUR_MS);
    const levels = after(r.readings(82), at);
    expect(levels.length).toBeGreaterThan(10);
    expect(Math.max(...levels)).toBeLessThan(10);
    expect(r.of('fault')).toEqual([]);
    r.sim.clearFault('water_low');
    const cleared = r.sim.snapshot().uptimeMs;
    r.sim.advance(10 * MIN_MS);
    expect(after(r.readings(82), cleared).at(-1)).toBeGreaterThan(25);
  });

  it('socket_no_power n: socket n says charging (1) and draws 0 W; clearing restores power', () => {
    const r = recordSim(stationFixture('st-001', { sockets: 4 }), { startTime: NIGHT });
    r.sim.advance(MIN_MS);
    r.sim.injectFault('socket_no_power', 2);
    expect(r.events(11).at(-1)).toMatchObject({ raw: 1 });
    const at = r.sim.snapshot().uptimeMs;
    r.sim.advance(HOUR_MS);
    expect(new Set(after(r.readings(11), at))).toEqual(new Set([1]));
    expect(new Set(after(r.readings(41), at))).toEqual(new Set([0]));
    r.sim.clearFault('socket_no_power', 2);
    const cleared = r.sim.snapshot().uptimeMs;
    r.sim.advance(MIN_MS);
    expect(after(r.readings(41), cleared).at(-1)).toBeGreaterThan(100 * 10); // raw in 0.1 W: > 100 W
    expect(() => r.sim.injectFault('socket_no_power', 9)).toThrow(/socket 9 does not exist/);
  });

  it('sensor_silent: one channel (by id or number) leaves READINGS and EVENT, the rest keep coming; clearing brings it back', () => {
    const r = recordSim(stationFixture('st-001'), { startTime: NOON });
    r.sim.advance(MIN_MS);
    r.sim.injectFault('sensor_silent', 'ambient');
    r.sim.injectFault('sensor_silent', 1); // the door, by channel number
    const at = r.sim.snapshot().uptimeMs;
    r.sim.advance(30 * MIN_MS);
    expect(after(r.readings(3), at)).toEqual([]);
    expect(after(r.readings(1), at)).toEqual([]);
    expect(r.events(1).filter((e) => e.uptimeMs > at)).toEqual([]);
    expect(after(r.readings(82), at).length).toBeGreaterThan(10);
    r.sim.clearFault('sensor_silent', 'ambient');
    const cleared = r.sim.snapshot().uptimeMs;
    r.sim.advance(MIN_MS);
    expect(after(r.readings(3), cleared).length).toBeGreaterThan(0);
    expect(after(r.readings(1), cleared)).toEqual([]);
    expect(() => r.sim.injectFault('sensor_silent', 'no-such')).toThrow(
      /sensor no-such does not exist in st-001/,
    );
  });

  it('occupancy_frozen: the count sticks while riders come and go; clearing sends the real count at once', () => {
    const r = recordSim(stationFixture('st-001', { seats: 30 }), { startTime: NOON, seed: 5 });
    r.sim.advance(30 * MIN_MS);
    const frozenAt = r.sim.snapshot().occupancy;
    r.sim.injectFault('occupancy_frozen');
    const at = r.sim.snapshot().uptimeMs;
    const seen = new Set<number>();
    for (let i = 0; i < 120; i++) {
      r.sim.advance(MIN_MS);
      seen.add(r.sim.snapshot().occupancy);
    }
    expect(seen.size).toBeGreaterThan(1); // people did come and go
    expect(new Set(after(r.readings(2), at))).toEqual(new Set([frozenAt]));
    expect(r.events(2).filter((e) => e.uptimeMs > at)).toEqual([]);
    r.sim.clearFault('occupancy_frozen');
    expect(r.frames.at(-1)).toMatchObject({ type: 'event', channel: 2, raw: r.sim.snapshot().occupancy });
  });
});
