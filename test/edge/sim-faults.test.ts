import { describe, expect, it } from 'vitest';
import { ConfigKey, FaultCode, NakReason } from '@yizhan/protocol/serial';
import { encodeFrame } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { stationFixture, MIDNIGHT_CST } from './fixtures.js';
import { MIN_MS, recordSim, settle } from './sim-helpers.js';
import { waitFor } from './helpers.js';

const NIGHT = MIDNIGHT_CST + 3 * 3_600_000;

describe('StationSimulator faults', () => {
  it('heater_failure: heater stays on, water stops warming, FAULT after heatingTimeout; readings alone show it', () => {
    const r = recordSim(stationFixture({ heatingTimeout: '5min', minRiseC: 2 }), {
      seed: 3,
      startTime: NIGHT,
    });
    r.sim.advance(5 * MIN_MS);
    const injectedAt = r.sim.snapshot().uptimeMs;
    const tempAtInjection = r.sim.snapshot().waterTempC;
    r.sim.injectFault('heater_failure');
    expect(r.sim.snapshot().heater).toBe(true);
    r.sim.advance(4 * MIN_MS);
    expect(r.of('fault')).toEqual([]);
    r.sim.advance(2 * MIN_MS);
    const faults = r.of('fault');
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ channel: 81, code: FaultCode.heater_failure, active: true });
    expect(faults[0]?.uptimeMs).toBeGreaterThanOrEqual(injectedAt + 5 * MIN_MS);
    expect(faults[0]?.uptimeMs).toBeLessThanOrEqual(injectedAt + 6 * MIN_MS);
    r.sim.advance(20 * MIN_MS);
    // What a server sees: heater 1 in every reading since the injection, water never 2 °C warmer.
    const after = (ch: number) => r.readings(ch).filter((x) => x.uptimeMs > injectedAt);
    expect(after(81).every((x) => x.raw === 1)).toBe(true);
    expect(Math.max(...after(80).map((x) => x.raw / 10))).toBeLessThan(tempAtInjection + 0.5);
    expect(r.of('heartbeat').at(-1)?.status).toBe(1);
    r.sim.clearFault('heater_failure');
    expect(r.of('fault').at(-1)).toMatchObject({
      channel: 81,
      code: FaultCode.heater_failure,
      active: false,
    });
    const clearedAt = r.sim.snapshot().uptimeMs;
    r.sim.advance(30 * MIN_MS);
    const heaterOff = r.events(81).find((e) => e.uptimeMs > clearedAt && e.raw === 0);
    expect(heaterOff).toBeDefined();
    const warmest = Math.max(
      ...r
        .readings(80)
        .filter((x) => x.uptimeMs > clearedAt)
        .map((x) => x.raw / 10),
    );
    expect(warmest).toBeGreaterThan(89.5);
    expect(r.of('heartbeat').at(-1)?.status).toBe(0);
  });

  it('door_stuck: door opens and stays open, FAULT after door_stuck_s, clearing closes it', () => {
    const r = recordSim(stationFixture({ seats: 0 }), { startTime: NIGHT });
    r.sim.advance(MIN_MS);
    r.sim.injectFault('door_stuck');
    expect(r.events(1).at(-1)).toMatchObject({ raw: 1 });
    r.sim.advance(179_000);
    expect(r.of('fault')).toEqual([]);
    r.sim.advance(2000);
    expect(r.of('fault')).toEqual([
      expect.objectContaining({ channel: 1, code: FaultCode.door_stuck, active: true }),
    ]);
    r.sim.advance(10 * MIN_MS);
    expect(r.events(1)).toHaveLength(1);
    r.sim.clearFault('door_stuck');
    expect(r.events(1).at(-1)).toMatchObject({ raw: 0 });
    expect(r.of('fault').at(-1)).toMatchObject({ channel: 1, code: FaultCode.door_stuck, active: false });
  });

  it('socket_tripped n: socket n goes to state 2 with no power and a FAULT; clearing resets it', () => {
    const r = recordSim(stationFixture({ sockets: 4 }), { startTime: NIGHT });
    r.sim.advance(MIN_MS);
    r.sim.injectFault('socket_tripped', 3);
    expect(r.events(12).at(-1)).toMatchObject({ raw: 2 });
    expect(r.of('fault').at(-1)).toMatchObject({ channel: 12, code: FaultCode.socket_tripped, active: true });
    r.sim.advance(2 * 3_600_000);
    expect(r.sim.snapshot().sockets[2]).toBe(2);
    const late = r.of('readings').at(-1)?.readings;
    expect(late?.find((x) => x.channel === 12)?.raw).toBe(2);
    expect(late?.find((x) => x.channel === 42)?.raw).toBe(0);
    r.sim.clearFault('socket_tripped', 3);
    expect(r.events(12).at(-1)).toMatchObject({ raw: 0 });
    expect(r.of('fault').at(-1)).toMatchObject({
      channel: 12,
      code: FaultCode.socket_tripped,
      active: false,
    });
    expect(() => r.sim.injectFault('socket_tripped', 5)).toThrow(
      /socket 5 does not exist in st-001 \(1\.\.4\)/,
    );
  });

  it('setDoor emits the EVENT at once and holds the door until released', () => {
    const r = recordSim(stationFixture({ seats: 0 }), { startTime: NIGHT });
    r.sim.advance(10_000);
    r.sim.setDoor(true);
    expect(r.frames.at(-1)).toMatchObject({ type: 'event', channel: 1, raw: 1, uptimeMs: 10_000 });
    r.sim.advance(60_000);
    expect(r.sim.snapshot().door).toBe(true);
    r.sim.setDoor(false);
    expect(r.frames.at(-1)).toMatchObject({ type: 'event', channel: 1, raw: 0, uptimeMs: 70_000 });
  });
});

describe('StationSimulator configuration (CONFIG_SET / CONFIG_GET)', () => {
  let seq = 100;
  const set = (key: number, value: number): Frame => ({ type: 'config_set', seq: seq++, key, value });
  const answer = async (r: ReturnType<typeof recordSim>, frame: Frame): Promise<Frame> => {
    const before = r.frames.length;
    r.sim.receive(encodeFrame(frame));
    return waitFor(
      'an answer',
      () =>
        r.frames.slice(before).find((f) => f.type === 'ack' || f.type === 'nak' || f.type === 'config_value'),
      2000,
    );
  };

  it.each([
    ['reading_interval_s 5', 'ack', ConfigKey.reading_interval_s, 5],
    ['reading_interval_s 0', 'value_out_of_range', ConfigKey.reading_interval_s, 0],
    ['reading_interval_s 3601', 'value_out_of_range', ConfigKey.reading_interval_s, 3601],
    ['heartbeat_interval_s 3600', 'ack', ConfigKey.heartbeat_interval_s, 3600],
    ['door_stuck_s 9', 'value_out_of_range', ConfigKey.door_stuck_s, 9],
    ['door_stuck_s 86400', 'ack', ConfigKey.door_stuck_s, 86400],
    ['water_setpoint_dc 399', 'value_out_of_range', ConfigKey.water_setpoint_dc, 399],
    ['water_setpoint_dc 950', 'ack', ConfigKey.water_setpoint_dc, 950],
    ['channel_enable ch 3 off', 'ack', ConfigKey.channel_enable, (3 << 8) | 0],
    ['channel_enable unknown ch 99', 'value_out_of_range', ConfigKey.channel_enable, (99 << 8) | 1],
    ['channel_enable flag 2', 'value_out_of_range', ConfigKey.channel_enable, (3 << 8) | 2],
    ['unknown key 77', 'unknown_key', 77, 1],
  ] as const)('%s → %s', async (_name, expected, key, value) => {
    const r = recordSim();
    r.sim.boot();
    const req = set(key, value);
    const a = await answer(r, req);
    if (expected === 'ack') expect(a).toMatchObject({ type: 'ack', ackSeq: req.seq });
    else expect(a).toMatchObject({ type: 'nak', nakSeq: req.seq, reason: NakReason[expected] });
  });

  it('applies what it acknowledged and reads it back', async () => {
    const r = recordSim();
    r.sim.boot();
    await answer(r, set(ConfigKey.reading_interval_s, 2));
    await answer(r, set(ConfigKey.channel_enable, 3 << 8));
    const n = r.of('readings').length;
    r.sim.advance(10_000);
    const fresh = r.of('readings').slice(n);
    expect(fresh.map((f) => f.uptimeMs)).toEqual([2000, 4000, 6000, 8000, 10_000]);
    expect(fresh.every((f) => !f.readings.some((x) => x.channel === 3))).toBe(true);
    expect(await answer(r, { type: 'config_get', seq: 7, key: ConfigKey.reading_interval_s })).toEqual({
      type: 'config_value',
      seq: expect.any(Number) as number,
      key: 1,
      value: 2,
    });
    expect(await answer(r, { type: 'config_get', seq: 8, key: ConfigKey.water_setpoint_dc })).toMatchObject({
      value: 900,
    });
    expect(await answer(r, { type: 'config_get', seq: 9, key: 0 })).toMatchObject({
      type: 'nak',
      nakSeq: 9,
      reason: NakReason.unknown_key,
    });
    await answer(r, set(ConfigKey.door_stuck_s, 10));
    r.sim.setDoor(true);
    r.sim.advance(10_000);
    expect(r.of('fault').at(-1)).toMatchObject({ code: FaultCode.door_stuck, active: true });
  });

  it('counts garbage from the edge and still answers the frame after it', async () => {
    const r = recordSim();
    r.sim.boot();
    r.sim.receive(Buffer.from([0x00, 0xa5, 0x5a, 0x09, 0xff, 0x13]));
    const req = set(ConfigKey.heartbeat_interval_s, 30);
    expect(await answer(r, req)).toMatchObject({ type: 'ack', ackSeq: req.seq });
    expect(r.sim.stats.badFramesIn).toBeGreaterThan(0);
    r.sim.receive(encodeFrame({ type: 'readings', seq: 1, uptimeMs: 0, readings: [] }));
    await settle();
    expect(r.sim.stats.unexpectedIn).toBe(1);
  });

  it('reboot: HELLO with SEQ 0 and uptime from 0, faults forgotten without clear frames, a dead heater raised again', () => {
    const r = recordSim(stationFixture({ heatingTimeout: '5min' }), { seed: 3, startTime: NIGHT });
    r.sim.advance(2 * MIN_MS);
    r.sim.injectFault('socket_tripped', 1);
    r.sim.injectFault('heater_failure');
    r.sim.advance(7 * MIN_MS);
    expect(r.of('fault').map((f) => f.code).sort()).toEqual([FaultCode.heater_failure, FaultCode.socket_tripped]);
    const n = r.frames.length;
    r.sim.reboot();
    expect(r.frames[n]).toMatchObject({ type: 'hello', seq: 0 });
    r.sim.advance(MIN_MS);
    const after = r.frames.slice(n);
    expect(after.filter((f) => f.type === 'fault')).toEqual([]);
    expect(after.find((f) => f.type === 'heartbeat')).toMatchObject({ status: 0 });
    expect(after.find((f) => f.type === 'readings')?.uptimeMs).toBe(0);
    // The socket's protection reset with the power; the heater is still dead and is raised again.
    r.sim.advance(6 * MIN_MS);
    expect(r.frames.slice(n).filter((f) => f.type === 'fault')).toEqual([
      expect.objectContaining({ code: FaultCode.heater_failure, active: true }),
    ]);
  });
});
