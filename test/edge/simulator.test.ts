import { describe, expect, it } from 'vitest';
import { FaultCode } from '@yizhan/protocol/serial';
import { stationFixture, MIDNIGHT_CST } from './fixtures.js';
import { decodeAll, HOUR_MS, MIN_MS, recordSim } from './sim-helpers.js';

const LUNCH = MIDNIGHT_CST + 11 * HOUR_MS;

function run(seed: number, chunkMs: number, minutes = 30): Buffer {
  const r = recordSim(stationFixture(), { seed, startTime: LUNCH });
  for (let t = 0; t < minutes * MIN_MS; t += chunkMs) r.sim.advance(chunkMs);
  return Buffer.concat(r.bytes);
}

describe('StationSimulator determinism', () => {
  it('gives identical bytes for the same seed, however time is chopped up', () => {
    const a = run(42, 60_000);
    expect(run(42, 1000).equals(a)).toBe(true);
    expect(
      run(42, 7 * MIN_MS + 13_000, 30)
        .subarray(0, a.length / 2)
        .equals(a.subarray(0, a.length / 2)),
    ).toBe(true);
    expect(a.length).toBeGreaterThan(10_000);
  });

  it('gives identical bytes when driven by an irregular clock at speed 60', () => {
    let now = 1_000_000;
    const r = recordSim(stationFixture(), {
      seed: 42,
      startTime: LUNCH,
      speed: 60,
      clock: { now: () => now },
    });
    r.sim.boot();
    const steps = [17, 333, 1, 999, 250, 2500, 42];
    for (let i = 0; now < 1_000_000 + 30_000; i++) {
      now = Math.min(1_030_000, now + (steps[i % steps.length] ?? 1));
      r.sim.tick();
    }
    expect(Buffer.concat(r.bytes).equals(run(42, 60_000))).toBe(true);
  });

  it('gives different bytes for a different seed', () => {
    expect(run(42, 60_000).equals(run(43, 60_000))).toBe(false);
  });

  it('writes valid protocol v1 frames: HELLO first, READINGS every 10 s, HEARTBEAT every 10 s', async () => {
    const r = recordSim(stationFixture(), { startTime: LUNCH });
    r.sim.advance(10 * MIN_MS);
    const { frames, dropped } = await decodeAll(Buffer.concat(r.bytes));
    expect(dropped).toBe(0);
    expect(frames).toEqual(r.frames);
    const hello = r.frames[0];
    expect(hello).toMatchObject({
      type: 'hello',
      seq: 0,
      firmware: { major: 1, minor: 4, patch: 2 },
      boardId: 'YZC-st-001',
    });
    expect(hello?.type === 'hello' && hello.sensors).toEqual(
      stationFixture().sensors.map((s) => ({
        channel: s.channel,
        kind: {
          door: 1,
          occupancy: 2,
          socket_state: 3,
          socket_power: 4,
          water_temp: 5,
          heater: 6,
          water_level: 7,
          ambient_temp: 8,
        }[s.kind],
      })),
    );
    expect(r.of('readings').map((f) => f.uptimeMs)).toEqual(Array.from({ length: 61 }, (_, i) => i * 10_000));
    expect(r.of('heartbeat').map((f) => f.uptimeMs)).toEqual(
      Array.from({ length: 60 }, (_, i) => (i + 1) * 10_000),
    );
    expect(r.of('readings')[0]?.readings.map((x) => x.channel)).toEqual(
      stationFixture()
        .sensors.map((s) => s.channel)
        .sort((a, b) => a - b),
    );
    expect(r.frames.map((f) => f.seq)).toEqual(r.frames.map((_, i) => i));
  });
});

describe('StationSimulator behaviour over a day', () => {
  it.each([
    { seats: 4, seed: 1 },
    { seats: 12, seed: 2 },
    { seats: 30, seed: 3 },
  ])('occupancy never exceeds $seats seats and peaks at lunch and dinner (seed $seed)', ({ seats, seed }) => {
    const r = recordSim(stationFixture({ seats }), { seed });
    const perMinute: number[] = [];
    for (let m = 0; m < 1440; m++) {
      r.sim.advance(MIN_MS);
      perMinute.push(r.sim.snapshot().occupancy);
    }
    const occEvents = r.events(2).map((e) => e.raw);
    const occReadings = r.readings(2).map((x) => x.raw);
    expect(Math.max(...occEvents, ...occReadings, ...perMinute)).toBeLessThanOrEqual(seats);
    expect(Math.min(...occEvents, ...occReadings)).toBeGreaterThanOrEqual(0);
    const mean = (fromH: number, toH: number): number => {
      const xs = perMinute.slice(fromH * 60, toH * 60);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const night = mean(1, 5);
    const lunch = mean(11.5, 13);
    const dinner = mean(17.75, 19.5);
    const afternoon = mean(15, 16.5);
    expect(night).toBeLessThan(0.2 * seats);
    expect(lunch).toBeGreaterThan(Math.max(3 * night, 0.5 * seats));
    expect(dinner).toBeGreaterThan(Math.max(3 * night, 0.45 * seats));
    expect(lunch).toBeGreaterThan(1.5 * afternoon);
    expect(dinner).toBeGreaterThan(1.5 * afternoon);
  });

  it('opens the door for every arrival and departure and closes it again', () => {
    const r = recordSim(stationFixture({ seats: 12 }), { seed: 5 });
    r.sim.advance(24 * HOUR_MS);
    let door = r.readings(1)[0]?.raw;
    let occ = r.readings(2)[0]?.raw ?? 0;
    let changesWhileOpen = 0;
    let opens = 0;
    let occChanges = 0;
    for (const f of r.of('event')) {
      if (f.channel === 1) {
        expect(f.raw).not.toBe(door);
        if (f.raw === 1) opens++;
        else expect(changesWhileOpen).toBeGreaterThan(0);
        door = f.raw;
        changesWhileOpen = 0;
      } else if (f.channel === 2) {
        expect(door).toBe(1);
        expect(Math.abs(f.raw - occ)).toBe(1);
        occ = f.raw;
        changesWhileOpen++;
        occChanges++;
      }
    }
    expect(opens).toBeGreaterThan(50);
    expect(occChanges).toBeGreaterThanOrEqual(opens);
    expect(r.sim.snapshot().door).toBe(false);
  });

  it('charges phones (5-20 W) and e-bikes (up to 400 W) for minutes to hours', () => {
    const r = recordSim(stationFixture({ seats: 20, sockets: 6 }), { seed: 9 });
    r.sim.advance(24 * HOUR_MS);
    const sessions: { minutes: number; maxW: number; end: number }[] = [];
    for (let n = 1; n <= 6; n++) {
      const power = r.readings(39 + n);
      let start: number | undefined;
      for (const e of r.events(9 + n)) {
        if (e.raw === 1) start = e.uptimeMs;
        else if (start !== undefined) {
          const s = start;
          const ws = power.filter((p) => p.uptimeMs > s && p.uptimeMs < e.uptimeMs).map((p) => p.raw / 10);
          sessions.push({ minutes: (e.uptimeMs - s) / MIN_MS, maxW: Math.max(0, ...ws), end: e.raw });
          start = undefined;
        }
      }
      for (const p of power) expect(p.raw / 10).toBeLessThanOrEqual(400 * 1.1);
    }
    const normal = sessions.filter((s) => s.end === 0);
    expect(normal.length).toBeGreaterThan(20);
    expect(normal.some((s) => s.maxW > 0 && s.maxW <= 21)).toBe(true);
    expect(normal.some((s) => s.maxW >= 60)).toBe(true);
    expect(Math.min(...normal.map((s) => s.minutes))).toBeGreaterThanOrEqual(4.9);
    expect(Math.max(...normal.map((s) => s.minutes))).toBeGreaterThan(60);
  });

  it('runs the heater by the thermostat and draws, cools and refills the tank', () => {
    const setpoint = 90;
    const r = recordSim(stationFixture({ seats: 12, setpointC: setpoint }), { seed: 4 });
    const atHeaterEvents: { on: boolean; temp: number }[] = [];
    r.sim.onFrame((_b, f) => {
      if (f.type === 'event' && f.channel === 81)
        atHeaterEvents.push({ on: f.raw === 1, temp: r.sim.snapshot().waterTempC });
    });
    r.sim.advance(24 * HOUR_MS);
    expect(atHeaterEvents.length).toBeGreaterThan(4);
    for (const e of atHeaterEvents) {
      if (e.on) expect(e.temp).toBeLessThan(setpoint - 5);
      else expect(e.temp).toBeGreaterThanOrEqual(setpoint);
    }
    const level = r.readings(82).map((x) => x.raw);
    const temp = r.readings(80).map((x) => x.raw / 10);
    expect(Math.min(...level)).toBeLessThan(30);
    expect(Math.max(...level)).toBe(100);
    expect(Math.max(...temp)).toBeLessThan(setpoint + 1);
    // No false alarm from refills or draws: the controller's heater check stays quiet.
    expect(r.of('fault').filter((f) => f.code === FaultCode.heater_failure)).toEqual([]);
  });
});
