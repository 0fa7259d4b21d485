/**
 * Typed frames of serial protocol v1 and their payload codecs.
 * Payload layouts (little-endian) are listed beside each type; see constants.ts for the envelope.
 */
import { FrameType, type FrameTypeCode } from './constants.js';

/** HELLO payload: fwMajor u8, fwMinor u8, fwPatch u8, idLen u8, boardId (idLen ASCII bytes, <= 32),
 *  count u8, then count x { channel u8, kind u8 }. */
export interface HelloFrame {
  type: 'hello';
  seq: number;
  firmware: { major: number; minor: number; patch: number };
  boardId: string;
  sensors: { channel: number; kind: number }[];
}
/** READINGS payload: uptimeMs u32, count u8, then count x { channel u8, raw i32 }. */
export interface ReadingsFrame {
  type: 'readings';
  seq: number;
  uptimeMs: number;
  readings: { channel: number; raw: number }[];
}
/** EVENT payload: uptimeMs u32, channel u8, raw i32 (the channel's new value). */
export interface EventFrame {
  type: 'event';
  seq: number;
  uptimeMs: number;
  channel: number;
  raw: number;
}
/** FAULT payload: uptimeMs u32, channel u8, code u8, active u8 (1 raised, 0 cleared). */
export interface FaultFrame {
  type: 'fault';
  seq: number;
  uptimeMs: number;
  channel: number;
  code: number;
  active: boolean;
}
/** HEARTBEAT payload: uptimeMs u32, status u8 (bit 0: a fault is active, bit 1: config not saved). */
export interface HeartbeatFrame {
  type: 'heartbeat';
  seq: number;
  uptimeMs: number;
  status: number;
}
/** CONFIG_SET payload: key u8, value i32. */
export interface ConfigSetFrame {
  type: 'config_set';
  seq: number;
  key: number;
  value: number;
}
/** CONFIG_GET payload: key u8. */
export interface ConfigGetFrame {
  type: 'config_get';
  seq: number;
  key: number;
}
/** CONFIG_VALUE payload: key u8, value i32. */
export interface ConfigValueFrame {
  type: 'config_value';
  seq: number;
  key: number;
  value: number;
}
/** ACK payload: ackSeq u16. */
export interface AckFrame {
  type: 'ack';
  seq: number;
  ackSeq: number;
}
/** NAK payload: nakSeq u16, reason u8. */
export interface NakFrame {
  type: 'nak';
  seq: number;
  nakSeq: number;
  reason: number;
}

export type Frame =
  | HelloFrame
  | ReadingsFrame
  | EventFrame
  | FaultFrame
  | HeartbeatFrame
  | ConfigSetFrame
  | ConfigGetFrame
  | ConfigValueFrame
  | AckFrame
  | NakFrame;
export type FrameName = Frame['type'];

export const FRAME_CODE: Record<FrameName, FrameTypeCode> = {
  hello: FrameType.HELLO,
  readings: FrameType.READINGS,
  event: FrameType.EVENT,
  fault: FrameType.FAULT,
  heartbeat: FrameType.HEARTBEAT,
  config_set: FrameType.CONFIG_SET,
  config_get: FrameType.CONFIG_GET,
  config_value: FrameType.CONFIG_VALUE,
  ack: FrameType.ACK,
  nak: FrameType.NAK,
};
const NAME_BY_CODE = new Map<number, FrameName>(
  (Object.keys(FRAME_CODE) as FrameName[]).map((n) => [FRAME_CODE[n], n]),
);
export function frameNameFromCode(code: number): FrameName | undefined {
  return NAME_BY_CODE.get(code);
}

/** Longest board id in a HELLO frame, in bytes. */
export const MAX_BOARD_ID = 32;
/** Most channels one READINGS or HELLO frame may list (bounded by MAX_PAYLOAD). */
export const MAX_CHANNELS_PER_FRAME = 100;

const U8 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`${what} must be an integer 0..255, got ${n}`);
  return n;
};
const U16 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${what} must be an integer 0..65535, got ${n}`);
  return n;
};
const U32 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new RangeError(`${what} must be an integer 0..4294967295, got ${n}`);
  return n;
};
const I32 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff)
    throw new RangeError(`${what} must be a 32-bit signed integer, got ${n}`);
  return n;
};

/** Encode the payload of a frame. Throws RangeError for values that do not fit the wire format. */
export function encodePayload(f: Frame): Buffer {
  switch (f.type) {
    case 'hello': {
      const id = Buffer.from(f.boardId, 'ascii');
      if (id.length > MAX_BOARD_ID || !/^[\x20-\x7e]*$/.test(f.boardId))
        throw new RangeError(`boardId must be printable ASCII of at most ${MAX_BOARD_ID} bytes`);
      if (f.sensors.length > MAX_CHANNELS_PER_FRAME) throw new RangeError('too many sensors in hello');
      const b = Buffer.alloc(5 + id.length + 2 * f.sensors.length);
      b[0] = U8(f.firmware.major, 'firmware.major');
      b[1] = U8(f.firmware.minor, 'firmware.minor');
      b[2] = U8(f.firmware.patch, 'firmware.patch');
      b[3] = id.length;
      id.copy(b, 4);
      let o = 4 + id.length;
      b[o++] = f.sensors.length;
      for (const s of f.sensors) {
        b[o++] = U8(s.channel, 'sensor.channel');
        b[o++] = U8(s.kind, 'sensor.kind');
      }
      return b;
    }
    case 'readings': {
      if (f.readings.length > MAX_CHANNELS_PER_FRAME) throw new RangeError('too many readings in one frame');
      const b = Buffer.alloc(5 + 5 * f.readings.length);
      b.writeUInt32LE(U32(f.uptimeMs, 'uptimeMs'), 0);
      b[4] = f.readings.length;
      let o = 5;
      for (const r of f.readings) {
        b[o] = U8(r.channel, 'reading.channel');
        b.writeInt32LE(I32(r.raw, 'reading.raw'), o + 1);
        o += 5;
      }
      return b;
    }
    case 'event': {
      const b = Buffer.alloc(9);
      b.writeUInt32LE(U32(f.uptimeMs, 'uptimeMs'), 0);
      b[4] = U8(f.channel, 'channel');
      b.writeInt32LE(I32(f.raw, 'raw'), 5);
      return b;
    }
    case 'fault': {
      const b = Buffer.alloc(7);
      b.writeUInt32LE(U32(f.uptimeMs, 'uptimeMs'), 0);
      b[4] = U8(f.channel, 'channel');
      b[5] = U8(f.code, 'code');
      b[6] = f.active ? 1 : 0;
      return b;
    }
    case 'heartbeat': {
      const b = Buffer.alloc(5);
      b.writeUInt32LE(U32(f.uptimeMs, 'uptimeMs'), 0);
      b[4] = U8(f.status, 'status');
      return b;
    }
    case 'config_set':
    case 'config_value': {
      const b = Buffer.alloc(5);
      b[0] = U8(f.key, 'key');
      b.writeInt32LE(I32(f.value, 'value'), 1);
      return b;
    }
    case 'config_get':
      return Buffer.from([U8(f.key, 'key')]);
    case 'ack': {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(U16(f.ackSeq, 'ackSeq'), 0);
      return b;
    }
    case 'nak': {
      const b = Buffer.alloc(3);
      b.writeUInt16LE(U16(f.nakSeq, 'nakSeq'), 0);
      b[2] = U8(f.reason, 'reason');
      return b;
    }
  }
}

/**
 * Decode a payload whose envelope (SOF, version, length, CRC) already checked out.
 * Returns a string naming what is wrong instead of throwing: a payload that does not
 * match its type's layout is counted as `bad_payload` by the decoder.
 */
export function decodePayload(name: FrameName, seq: number, p: Buffer): Frame | string {
  const need = (n: number): string | undefined =>
    p.length === n ? undefined : `${name} payload must be ${n} bytes, got ${p.length}`;
  switch (name) {
    case 'hello': {
      if (p.length < 5) return `hello payload too short (${p.length} bytes)`;
      const idLen = p[3]!;
      if (idLen > MAX_BOARD_ID) return `hello boardId length ${idLen} > ${MAX_BOARD_ID}`;
      if (p.length < 5 + idLen) return 'hello payload shorter than its boardId';
      const boardId = p.subarray(4, 4 + idLen).toString('latin1');
      if (!/^[\x20-\x7e]*$/.test(boardId)) return 'hello boardId is not printable ASCII';
      const count = p[4 + idLen]!;
      const err = p.length === 5 + idLen + 2 * count ? undefined : `hello lists ${count} sensors but has ${p.length} bytes`;
      if (err) return err;
      const sensors: HelloFrame['sensors'] = [];
      for (let i = 0, o = 5 + idLen; i < count; i++, o += 2) sensors.push({ channel: p[o]!, kind: p[o + 1]! });
      return { type: 'hello', seq, firmware: { major: p[0]!, minor: p[1]!, patch: p[2]! }, boardId, sensors };
    }
    case 'readings': {
      if (p.length < 5) return `readings payload too short (${p.length} bytes)`;
      const count = p[4]!;
      if (p.length !== 5 + 5 * count) return `readings lists ${count} channels but has ${p.length} bytes`;
      const readings: ReadingsFrame['readings'] = [];
      for (let i = 0, o = 5; i < count; i++, o += 5) readings.push({ channel: p[o]!, raw: p.readInt32LE(o + 1) });
      return { type: 'readings', seq, uptimeMs: p.readUInt32LE(0), readings };
    }
    case 'event':
      return need(9) ?? { type: 'event', seq, uptimeMs: p.readUInt32LE(0), channel: p[4]!, raw: p.readInt32LE(5) };
    case 'fault': {
      const e = need(7);
      if (e) return e;
      if (p[6]! > 1) return `fault active flag must be 0 or 1, got ${p[6]}`;
      return { type: 'fault', seq, uptimeMs: p.readUInt32LE(0), channel: p[4]!, code: p[5]!, active: p[6] === 1 };
    }
    case 'heartbeat':
      return need(5) ?? { type: 'heartbeat', seq, uptimeMs: p.readUInt32LE(0), status: p[4]! };
    case 'config_set':
    case 'config_value':
      return need(5) ?? { type: name, seq, key: p[0]!, value: p.readInt32LE(1) };
    case 'config_get':
      return need(1) ?? { type: 'config_get', seq, key: p[0]! };
    case 'ack':
      return need(2) ?? { type: 'ack', seq, ackSeq: p.readUInt16LE(0) };
    case 'nak':
      return need(3) ?? { type: 'nak', seq, nakSeq: p.readUInt16LE(0), reason: p[2]! };
  }
}
