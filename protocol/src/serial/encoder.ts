import { HEADER_SIZE, MAX_PAYLOAD, PROTOCOL_VERSION, SOF1, SOF2, TRAILER_SIZE } from './constants.js';
import { crc16 } from './crc16.js';
import { encodePayload, FRAME_CODE, type Frame } from './frames.js';

/**
 * Encode one frame into its wire bytes (envelope + payload + CRC).
 * Throws RangeError when a field does not fit: that is a bug in the caller, never input from a device.
 */
export function encodeFrame(frame: Frame): Buffer {
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 0xffff)
    throw new RangeError(`seq must be an integer 0..65535, got ${frame.seq}`);
  const payload = encodePayload(frame);
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes > ${MAX_PAYLOAD}`);
  const buf = Buffer.alloc(HEADER_SIZE + payload.length + TRAILER_SIZE);
  buf[0] = SOF1;
  buf[1] = SOF2;
  buf[2] = PROTOCOL_VERSION;
  buf[3] = FRAME_CODE[frame.type];
  buf.writeUInt16LE(frame.seq, 4);
  buf.writeUInt16LE(payload.length, 6);
  payload.copy(buf, HEADER_SIZE);
  buf.writeUInt16LE(crc16(buf, 2, HEADER_SIZE + payload.length), HEADER_SIZE + payload.length);
  return buf;
}

/** A sequence counter for outgoing frames: 0..65535, wrapping. */
export class SeqCounter {
  private n: number;
  constructor(start = 0) {
    this.n = start & 0xffff;
  }
  next(): number {
    const v = this.n;
    this.n = (this.n + 1) & 0xffff;
    return v;
  }
}
