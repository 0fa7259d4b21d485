import { describe, expect, it } from 'vitest';
import { Backoff } from '../../edge/src/agent/backoff.js';
import { FrameMapper, type MappedBody } from '../../edge/src/agent/mapper.js';
import type { Frame } from '@yizhan/protocol/serial';
import { markHistorical } from '../../edge/src/agent/mqtt-link.js';
import { resolveOptions, AgentConfigError } from '../../edge/src/agent/options.js';
import { validators } from '@yizhan/protocol/mqtt';
import { MemoryOutbox, type OutboxMessage } from '../../edge/src/agent/outbox.js';
import { mockDevice, MAX_BYTES_WHILE_CLOSED } from '../../edge/src/serial/mock-pair.js';
import { demandAt, isOpenAt, parseOpeningHours } from '../../edge/src/simulator/daily.js';
import { mulberry32 } from '@yizhan/common/prng';
import { stationFixture } from './fixtures.js';

const msg = (n: number): OutboxMessage => ({
  topic: `t/${n}`,
  leaf: 'telemetry',
  payload: Buffer.from(String(n)),
  retain: false,
  enqueuedAt: n,
});
const drain = (o: MemoryOutbox) => {
  const out: number[] = [];
  for (let m = o.shift(); m; m = o.shift()) out.push(m.enqueuedAt);
  return out;
};

describe('MemoryOutbox', () => {
  it('keeps order, drops the oldest when full and counts it', () => {
    const o = new MemoryOutbox(3);
    for (let n = 1; n <= 5; n++) o.push(msg(n));
    expect(o.depth).toBe(3);
    expect(o.dropped).toBe(2);
    expect(o.oldestEnqueuedAt()).toBe(3);
    expect(drain(o)).toEqual([3, 4, 5]);
    expect(o.oldestEnqueuedAt()).toBeUndefined();
  });
  it('requeues at the head in order, dropping what does not fit', () => {
    const o = new MemoryOutbox(4);
    o.push(msg(5));
    o.push(msg(6));
    o.requeue([msg(3), msg(4)]);
    expect(drain(o)).toEqual([3, 4, 5, 6]);
    o.push(msg(8));
    o.push(msg(9));
    o.push(msg(10));
    o.requeue([msg(5), msg(6), msg(7)]);
    expect(o.dropped).toBe(2);
    expect(drain(o)).toEqual([7, 8, 9, 10]);
  });
  it('refuses a capacity below 1', () => {
    expect(() => new MemoryOutbox(0)).toThrow(/capacity must be >= 1/);
  });
});

describe('Backoff', () => {
  it.each([
    [0, [1000, 2000, 4000, 8000, 10_000, 10_000]],
    [1, [0, 0, 0, 0, 0, 0]],
  ])('grows exponentially to the cap (random=%d → jitter share taken)', (rnd, want) => {
    const b = new Backoff(
      { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: rnd === 0 ? 0.5 : 1 },
      () => rnd,
    );
    expect(Array.from({ length: 6 }, () => b.next())).toEqual(want);
    b.reset();
    expect(b.attempts).toBe(0);
  });
  it('with jitter 0.5 stays within half and full delay', () => {
    const r = mulberry32(3);
    const b = new Backoff({ initialMs: 100, maxMs: 100, factor: 2, jitter: 0.5 }, r);
    for (let i = 0; i < 100; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(100);
    }
  });
});

describe('FrameMapper', () => {
  const m = new FrameMapper(stationFixture({ sockets: 1 }));
  it.each<[string, Frame, MappedBody]>([
    [
      'socket power in 0.1 W',
      { type: 'readings', seq: 0, uptimeMs: 0, readings: [{ channel: 40, raw: 655 }] },
      { leaf: 'telemetry', readings: [{ sensor: 'socket-1-power', kind: 'socket_power', value: 65.5 }] },
    ],
    [
      'negative room temperature',
      { type: 'event', seq: 0, uptimeMs: 0, channel: 3, raw: -52 },
      { leaf: 'events', event: { type: 'state', sensor: 'ambient', kind: 'ambient_temp', value: -5.2 } },
    ],
    [
      'fault cleared',
      { type: 'fault', seq: 0, uptimeMs: 0, channel: 10, code: 3, active: false },
      {
        leaf: 'events',
        event: { type: 'fault', sensor: 'socket-1', fault: 'socket_tripped', active: false },
      },
    ],
  ])('%s', (_name, frame, body) => {
    expect(m.map(frame)).toEqual({ bodies: [body], problems: [], notes: [] });
  });
  it('notes a HELLO inventory that differs from the config, and names unknown kinds', () => {
    const r = m.map({
      type: 'hello',
      seq: 0,
      firmware: { major: 2, minor: 0, patch: 1 },
      boardId: 'X',
      sensors: [
        { channel: 1, kind: 1 },
        { channel: 2, kind: 5 },
        { channel: 200, kind: 99 },
      ],
    });
    expect(r.bodies[0]).toMatchObject({
      leaf: 'events',
      event: {
        firmware: '2.0.1',
        sensors: [
          { channel: 1, kind: 'door' },
          { channel: 2, kind: 'water_temp' },
          { channel: 200, kind: 'unknown:99' },
        ],
      },
    });
    expect(r.notes[0]).toMatch(/channel 2 is water_temp on the controller, occupancy in the config/);
    expect(r.notes[0]).toMatch(/channel 3 \(ambient_temp\) configured but not reported/);
    expect(r.notes[0]).toMatch(/channel 200 \(unknown:99\) reported but not configured/);
  });
  it('calls a CONFIG_SET from the controller unexpected', () => {
    expect(m.map({ type: 'config_set', seq: 4, key: 1, value: 1 }).problems).toEqual([
      { reason: 'unexpected_type', detail: 'config_set frame from the controller (seq 4)' },
    ]);
  });
});

describe('agent options', () => {
  it.each([
    [{}, /no MQTT password; give --password-file/],
    [{ passwordFile: '/nonexistent/secret' }, /cannot read the MQTT password file \/nonexistent\/secret/],
    [{ password: 'x', healthIntervalMs: 0 }, /healthIntervalMs must be a positive number/],
  ])('refuses %o', (o, re) => {
    expect(() => resolveOptions({ station: stationFixture(), mqttUrl: 'mqtt://x', ...o })).toThrow(re);
    expect(() => resolveOptions({ station: stationFixture(), mqttUrl: 'mqtt://x', ...o })).toThrow(
      AgentConfigError,
    );
  });
  it('takes the frame timeout and serial path from the station config', () => {
    const r = resolveOptions({
      station: stationFixture({ frameTimeout: '2min', serialPath: '/dev/ttyYZ3' }),
      mqttUrl: 'mqtt://x',
      password: 'p',
    });
    expect(r).toMatchObject({ frameTimeoutMs: 120_000, serialPath: '/dev/ttyYZ3', healthIntervalMs: 30_000 });
  });
});

describe('daily curve and opening hours', () => {
  it.each([
    ['07:00-22:00', 6 * 60 + 59, false],
    ['07:00-22:00', 7 * 60, true],
    ['07:00-22:00', 22 * 60, false],
    ['22:00-06:00', 23 * 60, true],
    ['22:00-06:00', 5 * 60, true],
    ['22:00-06:00', 12 * 60, false],
    ['00:00-24:00', 0, true],
  ] as const)('%s at minute %d open=%s', (hours, minute, open) => {
    expect(isOpenAt(parseOpeningHours(hours), minute)).toBe(open);
  });
  it('peaks at lunch and dinner, quiet at night', () => {
    expect(demandAt(12.25 * 60)).toBeGreaterThan(0.9);
    expect(demandAt(18.5 * 60)).toBeGreaterThan(0.8);
    expect(demandAt(3 * 60)).toBeLessThan(0.05);
    expect(demandAt(15.5 * 60)).toBeLessThan(0.3);
  });
});

describe('mock pair device end', () => {
  it('holds a little while no agent listens and drops (counted) beyond that', () => {
    const d = mockDevice('/mock/test/unit-hold');
    expect(d.connected).toBe(false);
    expect(d.write(Buffer.alloc(MAX_BYTES_WHILE_CLOSED))).toBe(true);
    expect(d.write(Buffer.alloc(10))).toBe(false);
    expect(d.droppedBytes).toBe(10);
  });
});

describe('markHistorical', () => {
  it('adds historical: true and keeps the payload valid', () => {
    const p = {
      v: 1,
      stationId: 'st-001',
      bootId: 'abcdefgh12',
      seq: 3,
      ts: 1,
      readings: [{ sensor: 'door', kind: 'door', value: 1 }],
    };
    const marked = JSON.parse(markHistorical(Buffer.from(JSON.stringify(p))).toString()) as unknown;
    expect(marked).toEqual({ ...p, historical: true });
    expect(validators.telemetry.check(marked)).toBe(true);
    const twice = markHistorical(Buffer.from(JSON.stringify(marked)));
    expect(JSON.parse(twice.toString())).toEqual(marked);
  });
});
