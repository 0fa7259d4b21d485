/**
 * Serial protocol v1 codec: properties (fast-check) and fixed wire vectors.
 * Run sizes are chosen so the whole file takes a few seconds on a 2-core machine.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serial } from '@yizhan/protocol';
import { cutsArb, FRAME_ARBS, FRAME_NAMES, frameArb, hostileStreamArb } from './fixtures/arbitraries.js';
import { fromHex, SERIAL_VECTORS, toHex, vectorNamed } from './fixtures/serial-vectors.js';
import { byteByByte, crcValidCandidateAt, decodeChunks, rawFrame, splitAt, sum } from './helpers.js';

const { encodeFrame, HEADER_SIZE, MAX_PAYLOAD, MAX_FRAME } = serial;
const RUNS = { numRuns: 100 };

describe('encode → decode', () => {
  it.each(FRAME_NAMES)('%s: any valid frame comes back unchanged', async (name) => {
    await fc.assert(
      fc.asyncProperty(FRAME_ARBS[name], async (frame) => {
        const wire = encodeFrame(frame);
        expect(wire.length).toBeLessThanOrEqual(MAX_FRAME);
        const run = await decodeChunks([wire]);
        expect(run.frames).toStrictEqual([frame]);
        expect(run.drops).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('a run of frames cut into arbitrary chunks decodes to the same frames, with no drops', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), cutsArb, async (frames, cuts) => {
        const run = await decodeChunks(splitAt(Buffer.concat(frames.map(encodeFrame)), cuts));
        expect(run.frames).toStrictEqual(frames);
        expect(run.drops).toEqual([]);
        expect(run.stats.frames).toBe(frames.length);
      }),
      RUNS,
    );
  });
});

describe('any bytes at all', () => {
  /** Properties that must hold for every input, checked on one decoder run. */
  async function checkInvariants(bytes: Uint8Array, chunks: Uint8Array[]): Promise<void> {
    const run = await decodeChunks(chunks);
    expect(run.errors).toEqual([]);
    expect(run.stats.frames).toBe(run.frames.length);
    // Every byte is either part of a delivered frame or counted in exactly one drop.
    const frameBytes = sum(run.frames.map((f) => encodeFrame(f).length));
    expect(frameBytes + sum(run.drops.map((d) => d.bytes))).toBe(bytes.length);
    // Counters agree with the 'drop' events.
    for (const reason of serial.DROP_REASONS)
      expect(run.stats.dropped[reason]).toBe(run.drops.filter((d) => d.reason === reason).length);
    // Only frames that were really on the wire come out, in order.
    const wire = Buffer.from(bytes);
    let cursor = 0;
    for (const f of run.frames) {
      const at = wire.indexOf(encodeFrame(f), cursor);
      expect(at).toBeGreaterThanOrEqual(cursor);
      cursor = at + encodeFrame(f).length;
    }
  }

  it('random bytes in random chunks: never throws, never errors the stream, every byte accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), cutsArb, async (bytes, cuts) => {
        await checkInvariants(bytes, splitAt(bytes, cuts));
      }),
      RUNS,
    );
  });

  it('hostile streams (frames, noise, stray markers, false headers, damaged frames) keep the same invariants', async () => {
    await fc.assert(
      fc.asyncProperty(hostileStreamArb, cutsArb, async (bytes, cuts) => {
        await checkInvariants(bytes, splitAt(bytes, cuts));
      }),
      { numRuns: 300 },
    );
  });

  it('the decoder holds at most one maximal frame between writes', async () => {
    await fc.assert(
      fc.asyncProperty(hostileStreamArb, async (bytes) => {
        const run = await decodeChunks(splitAt(bytes, [1, 7, 300, 901]), { maxBuffer: 0 });
        expect(run.errors).toEqual([]);
        expect(run.stats.dropped.overflow).toBe(0);
      }),
      { numRuns: 30 },
    );
  });
});

describe('byte-by-byte delivery', () => {
  it('decodes exactly as one big chunk does (frames, drops, counters; only the number of garbage runs differs)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileStreamArb, async (bytes) => {
        const whole = await decodeChunks([bytes]);
        const slow = await decodeChunks(byteByByte(bytes));
        expect(slow.frames).toStrictEqual(whole.frames);
        const framing = (r: typeof whole): serial.DropInfo[] => r.drops.filter((d) => d.reason !== 'garbage');
        expect(framing(slow)).toStrictEqual(framing(whole));
        expect(slow.stats.garbageBytes).toBe(whole.stats.garbageBytes);
        expect({ ...slow.stats.dropped, garbage: 0 }).toStrictEqual({ ...whole.stats.dropped, garbage: 0 });
      }),
      { numRuns: 100 },
    );
  });
});

/** How a frame is damaged, and under which reason the decoder must count it. */
type Corruption =
  | { kind: 'bit_flip'; bit: number }
  | { kind: 'truncated'; keep: number }
  | { kind: 'bad_length'; len: number }
  | { kind: 'bad_version'; version: number }
  | { kind: 'unknown_type'; type: number }
  | { kind: 'bad_payload'; delta: 1 | -1 };

const KNOWN_TYPES = new Set<number>(Object.values(serial.FrameType));
const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant('bit_flip' as const), bit: fc.nat() }),
  fc.record({ kind: fc.constant('truncated' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('bad_length' as const),
    len: fc.integer({ min: MAX_PAYLOAD + 1, max: 0xffff }),
  }),
  fc.record({
    kind: fc.constant('bad_version' as const),
    version: fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1),
  }),
  fc.record({
    kind: fc.constant('unknown_type' as const),
    type: fc.integer({ min: 0, max: 255 }).filter((t) => !KNOWN_TYPES.has(t)),
  }),
  fc.record({ kind: fc.constant('bad_payload' as const), delta: fc.constantFrom(1 as const, -1 as const) }),
);

/** Damage `good` and return the bytes plus the drop reason the decoder must report first. */
function corrupt(good: Buffer, c: Corruption): { bytes: Buffer; reason: serial.DropReason } {
  const b = Buffer.from(good);
  const payloadLen = good.readUInt16LE(6);
  const payload = good.subarray(HEADER_SIZE, HEADER_SIZE + payloadLen);
  switch (c.kind) {
    case 'bit_flip': {
      const i = (c.bit >> 3) % b.length;
      b.writeUInt8(b.readUInt8(i) ^ (1 << (c.bit & 7)), i);
      if (i < 2) return { bytes: b, reason: 'garbage' }; // start-of-frame marker gone
      if (i === 2) return { bytes: b, reason: 'bad_version' };
      if (i >= 6 && i < 8 && b.readUInt16LE(6) > MAX_PAYLOAD) return { bytes: b, reason: 'bad_length' };
      return { bytes: b, reason: 'bad_crc' }; // CRC-16 catches every single-bit error
    }
    case 'truncated': // header intact, payload or CRC cut short, more traffic follows
      return { bytes: b.subarray(0, HEADER_SIZE + (c.keep % (b.length - HEADER_SIZE))), reason: 'bad_crc' };
    case 'bad_length':
      b.writeUInt16LE(c.len, 6);
      return { bytes: b, reason: 'bad_length' };
    case 'bad_version':
      b[2] = c.version;
      return { bytes: b, reason: 'bad_version' };
    case 'unknown_type':
      return { bytes: rawFrame({ type: c.type, seq: b.readUInt16LE(4), payload }), reason: 'unknown_type' };
    case 'bad_payload': {
      const p = c.delta > 0 ? Buffer.concat([payload, Buffer.of(0)]) : payload.subarray(0, payloadLen - 1);
      return {
        bytes: rawFrame({ type: b.readUInt8(3), seq: b.readUInt16LE(4), payload: p }),
        reason: 'bad_payload',
      };
    }
  }
}

describe('a damaged frame', () => {
  it('is counted under the right reason, and the good frames around it still decode', async () => {
    await fc.assert(
      fc.asyncProperty(
        frameArb,
        frameArb,
        frameArb,
        corruptionArb,
        cutsArb,
        async (before, victim, after, c, cuts) => {
          const bad = corrupt(encodeFrame(victim), c);
          const head = encodeFrame(before);
          // Idle-line filler after the last frame lets any false candidate resolve.
          const stream = Buffer.concat([head, bad.bytes, encodeFrame(after), Buffer.alloc(MAX_FRAME)]);
          fc.pre(!crcValidCandidateAt(stream, head.length));
          const run = await decodeChunks(splitAt(stream, cuts));
          expect(run.frames).toStrictEqual([before, after]);
          expect(run.drops[0]?.reason).toBe(bad.reason);
          expect(run.stats.dropped[bad.reason]).toBeGreaterThanOrEqual(1);
          expect(run.errors).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('cut anywhere at the end of the stream is dropped as an incomplete frame; frames before it still decode', async () => {
    await fc.assert(
      fc.asyncProperty(frameArb, frameArb, fc.nat(), async (before, victim, n) => {
        const wire = encodeFrame(victim);
        const cut = wire.subarray(0, 1 + (n % (wire.length - 1)));
        const run = await decodeChunks([encodeFrame(before), cut]);
        expect(run.frames).toStrictEqual([before]);
        expect(run.drops[0]).toMatchObject({
          reason: 'garbage',
          detail: 'incomplete frame at end of stream',
        });
        expect(sum(run.drops.map((d) => d.bytes))).toBe(cut.length);
      }),
      RUNS,
    );
  });

  it('does not hide a complete frame behind a false header at the end of the stream', async () => {
    const falseHeader = Buffer.from('a55a01020000ff01', 'hex'); // a READINGS header with LEN 511 that never completes
    const good = encodeFrame({ type: 'heartbeat', seq: 9, uptimeMs: 1, status: 0 });
    const run = await decodeChunks([falseHeader, good]);
    expect(run.frames).toStrictEqual([{ type: 'heartbeat', seq: 9, uptimeMs: 1, status: 0 }]);
    expect(run.drops).toStrictEqual([
      { reason: 'garbage', detail: 'incomplete frame at end of stream', bytes: HEADER_SIZE },
    ]);
  });
});

describe('fixed vectors', () => {
  it('CRC-16/CCITT-FALSE check value: crc16("123456789") = 0x29B1', () => {
    expect(serial.crc16(Buffer.from('123456789', 'ascii'))).toBe(0x29b1);
    expect(serial.crc16(Buffer.alloc(0))).toBe(0xffff);
    expect(serial.crc16(Buffer.from('xx123456789yy', 'ascii'), 2, 11)).toBe(0x29b1);
  });

  it.each(SERIAL_VECTORS)(
    '$name encodes to its documented bytes and decodes back',
    async ({ frame, hex }) => {
      expect(toHex(encodeFrame(frame))).toBe(hex);
      const run = await decodeChunks([fromHex(hex)]);
      expect(run.frames).toStrictEqual([frame]);
      expect(run.drops).toEqual([]);
    },
  );

  it('every frame type has at least one vector', () => {
    expect(new Set(SERIAL_VECTORS.map((v) => v.frame.type))).toStrictEqual(new Set(FRAME_NAMES));
  });

  it('docs/protocol/serial-v1.md shows every vector byte for byte', () => {
    const doc = readFileSync(new URL('../../docs/protocol/serial-v1.md', import.meta.url), 'utf8');
    const docHex = doc.replace(/\|/g, ' ').replace(/\s+/g, ' ');
    for (const v of SERIAL_VECTORS) expect(docHex, v.name).toContain(v.hex);
  });

  it.each([
    ['HELLO shorter than 5 bytes', serial.FrameType.HELLO, '01020304', 'hello payload too short (4 bytes)'],
    [
      'HELLO with idLen 33',
      serial.FrameType.HELLO,
      '01020321' + '41'.repeat(33) + '00',
      'hello boardId length 33 > 32',
    ],
    [
      'HELLO cut inside its boardId',
      serial.FrameType.HELLO,
      '0102030841424344',
      'hello payload shorter than its boardId',
    ],
    [
      'HELLO boardId with a control byte',
      serial.FrameType.HELLO,
      '01020302410a00',
      'hello boardId is not printable ASCII',
    ],
    [
      'HELLO listing 2 sensors but carrying 1',
      serial.FrameType.HELLO,
      '0102030002' + '0101',
      'hello lists 2 sensors but has 7 bytes',
    ],
    [
      'READINGS listing 2 channels but carrying 1',
      serial.FrameType.READINGS,
      '1027000002' + '0100000000',
      'readings lists 2 channels but has 10 bytes',
    ],
    ['EVENT of 8 bytes', serial.FrameType.EVENT, '3930000001010000', 'event payload must be 9 bytes, got 8'],
    [
      'FAULT with active = 2',
      serial.FrameType.FAULT,
      'c0270900510102',
      'fault active flag must be 0 or 1, got 2',
    ],
    [
      'HEARTBEAT of 6 bytes',
      serial.FrameType.HEARTBEAT,
      '204e00000100',
      'heartbeat payload must be 5 bytes, got 6',
    ],
    ['CONFIG_GET of 0 bytes', serial.FrameType.CONFIG_GET, '', 'config_get payload must be 1 bytes, got 0'],
    ['ACK of 3 bytes', serial.FrameType.ACK, '000000', 'ack payload must be 2 bytes, got 3'],
  ])('a CRC-valid %s is dropped as bad_payload', async (_what, type, payloadHex, detail) => {
    const frame = rawFrame({ type, seq: 1, payload: Buffer.from(payloadHex, 'hex') });
    const next = vectorNamed('HEARTBEAT');
    const run = await decodeChunks([frame, next.bytes]);
    expect(run.drops).toStrictEqual([{ reason: 'bad_payload', detail, bytes: frame.length }]);
    expect(run.frames).toStrictEqual([next.frame]);
  });

  it.each([
    ['seq above 65535', { type: 'ack', seq: 0x10000, ackSeq: 0 }, /seq must be an integer 0\.\.65535/],
    [
      'negative uptime',
      { type: 'heartbeat', seq: 0, uptimeMs: -1, status: 0 },
      /uptimeMs must be an integer/,
    ],
    [
      'raw above i32',
      { type: 'event', seq: 0, uptimeMs: 0, channel: 1, raw: 2 ** 31 },
      /raw must be a 32-bit signed integer/,
    ],
    [
      'channel 256',
      { type: 'event', seq: 0, uptimeMs: 0, channel: 256, raw: 0 },
      /channel must be an integer 0\.\.255/,
    ],
    [
      'fractional value',
      { type: 'config_set', seq: 0, key: 1, value: 1.5 },
      /value must be a 32-bit signed integer/,
    ],
    [
      'non-ASCII board id',
      { type: 'hello', seq: 0, firmware: { major: 1, minor: 0, patch: 0 }, boardId: '驿站', sensors: [] },
      /boardId must be printable ASCII/,
    ],
    [
      'board id of 33 bytes',
      {
        type: 'hello',
        seq: 0,
        firmware: { major: 1, minor: 0, patch: 0 },
        boardId: 'x'.repeat(33),
        sensors: [],
      },
      /boardId/,
    ],
    [
      '101 readings',
      {
        type: 'readings',
        seq: 0,
        uptimeMs: 0,
        readings: Array.from({ length: 101 }, (_, channel) => ({ channel, raw: 0 })),
      },
      /too many readings/,
    ],
  ] satisfies [string, serial.Frame, RegExp][])(
    'the encoder refuses %s with a RangeError',
    (_what, frame, message) => {
      expect(() => encodeFrame(frame)).toThrow(RangeError);
      expect(() => encodeFrame(frame)).toThrow(message);
    },
  );
});
