/**
 * The agent against frames a controller should not send and against its own restarts: READINGS and
 * HELLO with more than 100 channels are counted as `too_many_channels` while what can be trusted
 * still goes out; health reports the controller's active faults once the agent knows the whole set
 * (after a HELLO, or a heartbeat saying none is active), and an empty set after a reboot.
 */
import { describe, expect, it } from 'vitest';
import { validators } from '@yizhan/protocol/mqtt';
import {
  FaultCode,
  FrameType,
  HEADER_SIZE,
  PROTOCOL_VERSION,
  SOF1,
  SOF2,
  SensorKind,
} from '@yizhan/protocol/serial';
import { crc16 } from '@yizhan/protocol/serial';
import { harnessSuite, type Harness } from './agent-harness.js';
import { waitFor } from './helpers.js';

const suite = harnessSuite();
const start = (id: string, healthIntervalMs = 60_000): Promise<Harness> =>
  suite.start({ id }, { healthIntervalMs });

/** A frame with any payload, CRC right (the encoder refuses more than 100 channels, a controller may not). */
function rawFrame(type: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + payload.length + 2);
  b[0] = SOF1;
  b[1] = SOF2;
  b[2] = PROTOCOL_VERSION;
  b[3] = type;
  b.writeUInt16LE(seq, 4);
  b.writeUInt16LE(payload.length, 6);
  payload.copy(b, HEADER_SIZE);
  b.writeUInt16LE(crc16(b, 2, HEADER_SIZE + payload.length), HEADER_SIZE + payload.length);
  return b;
}

describe('frames listing more than 100 channels', () => {
  it('READINGS of 101 channels: counted too_many_channels, the configured channels still published', async () => {
    const h = await start('st-201');
    const p = Buffer.alloc(5 + 5 * 101);
    p[4] = 101;
    for (let i = 0; i < 101; i++) {
      p[5 + 5 * i] = i === 0 ? 2 : 150 + (i % 100); // channel 2 is occupancy; the others are not configured
      p.writeInt32LE(i === 0 ? 4 : i, 6 + 5 * i);
    }
    h.device.write(rawFrame(FrameType.READINGS, 0, p));
    await waitFor('the occupancy reading', () => h.got('telemetry').length === 1);
    expect(h.got('telemetry')[0]?.json.readings).toEqual([
      { sensor: 'occupancy', kind: 'occupancy', value: 4 },
    ]);
    expect(h.agent.health().serial.framesBad.too_many_channels).toBe(1);
    expect(h.agent.health().invalidPayloads).toBe(0);
    expect(h.lines.find((l) => l.reason === 'too_many_channels')?.msg).toMatch(
      /READINGS lists 101 channels, serial v1 allows at most 100/,
    );
  });

  it('HELLO of 150 entries: counted too_many_channels, published with the first 100', async () => {
    const h = await start('st-202');
    const id = Buffer.from('YZC-150');
    const p = Buffer.alloc(5 + id.length + 2 * 150);
    p.set([1, 2, 3, id.length]);
    id.copy(p, 4);
    p[4 + id.length] = 150;
    for (let i = 0; i < 150; i++) {
      p[5 + id.length + 2 * i] = i + 1;
      p[6 + id.length + 2 * i] = SensorKind.door.code;
    }
    h.device.write(rawFrame(FrameType.HELLO, 0, p));
    const hello = await waitFor('the hello event', () => h.got('events')[0]);
    expect(hello.json.event).toMatchObject({ type: 'hello', firmware: '1.2.3', boardId: 'YZC-150' });
    expect((hello.json.event as { sensors: unknown[] }).sensors).toHaveLength(100);
    expect(h.agent.health().serial.framesBad.too_many_channels).toBe(1);
    expect(h.agent.health().invalidPayloads).toBe(0);
  });
});

describe('active faults in health', () => {
  const raise = (active: boolean) =>
    ({ type: 'fault', uptimeMs: 5, channel: 81, code: FaultCode.heater_failure, active }) as const;
  const lastHealth = (h: Harness) => h.got('health').at(-1)?.json;

  it('not reported after the agent starts until it knows the whole set; then kept up to date', async () => {
    const h = await start('st-203', 100);
    h.send(raise(true), { type: 'heartbeat', uptimeMs: 6, status: 1 });
    await waitFor(
      'a health after the fault',
      () => h.got('health').length > 0 && h.got('events').length === 1,
    );
    await waitFor('another health', () => h.got('health').length > 1);
    // Started after the controller: another fault may have been raised before, so no set is claimed.
    expect(lastHealth(h)).not.toHaveProperty('faults');
    expect(h.agent.health().faults).toBeNull();

    h.send(raise(false), { type: 'heartbeat', uptimeMs: 7, status: 0 });
    await waitFor('an empty set', () => (lastHealth(h)?.faults as unknown[] | undefined)?.length === 0);
    h.send(raise(true), { type: 'heartbeat', uptimeMs: 8, status: 1 });
    const m = await waitFor('the fault in health', () =>
      (lastHealth(h)?.faults as unknown[] | undefined)?.length === 1 ? lastHealth(h) : undefined,
    );
    expect(validators.health.check(m)).toBe(true);
    expect(m.faults).toEqual([
      { sensor: 'heater', fault: 'heater_failure', since: expect.any(Number) as number },
    ]);
  });

  it('a controller reboot (HELLO) without a clear event empties the set at once', async () => {
    const h = await start('st-204');
    h.send({ type: 'heartbeat', uptimeMs: 1, status: 0 }, raise(true));
    await waitFor('the raise', () => h.got('events').length === 1);
    expect(h.agent.health().faults).toEqual([
      { sensor: 'heater', fault: 'heater_failure', since: expect.any(Number) as number },
    ]);
    h.send({
      type: 'hello',
      uptimeMs: 0,
      firmware: { major: 1, minor: 0, patch: 0 },
      boardId: 'B',
      sensors: [],
    } as never);
    // No health period passes (60 s): the reboot is reported right away.
    const m = await waitFor('a health with no fault', () =>
      h.got('health').find((x) => Array.isArray(x.json.faults) && x.json.faults.length === 0),
    );
    expect(m.json.faults).toEqual([]);
  });

  it('a heartbeat saying a fault is active that the agent never saw raised: no set claimed', async () => {
    const h = await start('st-205');
    h.send({ type: 'heartbeat', uptimeMs: 1, status: 0 });
    await waitFor('an empty set reported', () => Array.isArray(lastHealth(h)?.faults));
    h.send({ type: 'heartbeat', uptimeMs: 2, status: 1 });
    // A raise was lost on the line: the set is no longer known, and the server is told at once.
    await waitFor('a health without a set', () => lastHealth(h) && !('faults' in (lastHealth(h) ?? {})));
    expect(h.agent.health().faults).toBeNull();
  });
});
