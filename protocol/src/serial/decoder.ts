import { Transform, type TransformCallback } from 'node:stream';
import { HEADER_SIZE, MAX_FRAME, MAX_PAYLOAD, PROTOCOL_VERSION, SOF1, SOF2, TRAILER_SIZE } from './constants.js';
import { crc16 } from './crc16.js';
import { decodePayload, frameNameFromCode, type Frame } from './frames.js';

/**
 * Why the decoder dropped bytes or a frame. Each has a counter in {@link DecoderStats}.
 * - `garbage`: bytes before a start-of-frame marker (counted in bytes, not frames)
 * - `bad_version`: VERSION byte is not 0x01
 * - `bad_length`: LEN larger than MAX_PAYLOAD
 * - `bad_crc`: CRC mismatch
 * - `unknown_type`: TYPE is not a v1 frame type (CRC was valid)
 * - `bad_payload`: payload does not match its type's layout (CRC was valid)
 * - `overflow`: a partial frame was discarded because the buffer hit its bound (never in normal use)
 */
export type DropReason = 'garbage' | 'bad_version' | 'bad_length' | 'bad_crc' | 'unknown_type' | 'bad_payload' | 'overflow';
export const DROP_REASONS: readonly DropReason[] = [
  'garbage',
  'bad_version',
  'bad_length',
  'bad_crc',
  'unknown_type',
  'bad_payload',
  'overflow',
];

export interface DecoderStats {
  /** Frames decoded and pushed downstream. */
  frames: number;
  /** Bytes discarded while searching for a start-of-frame marker. */
  garbageBytes: number;
  /** Frames (or frame candidates) dropped, by reason. `garbage` counts discarded runs of bytes. */
  dropped: Record<DropReason, number>;
}

export interface DropInfo {
  reason: DropReason;
  /** Human-readable detail, e.g. "crc 0x1234 != 0xabcd". */
  detail: string;
  /** Bytes discarded for this drop. */
  bytes: number;
}

export interface FrameDecoderOptions {
  /**
   * Upper bound of bytes held while waiting for the rest of a frame.
   * Default {@link DEFAULT_MAX_BUFFER} (bytes). Can never be smaller than one maximal frame.
   */
  maxBuffer?: number;
  /**
   * A partial frame that gets no further byte for this long is given up (up to the next start-of-frame
   * marker, counted as `garbage`) and the bytes behind it are searched again. Without it, noise that
   * looks like a header with a large LEN would hold the good frames behind it until LEN bytes arrive.
   * Default {@link DEFAULT_STALL_TIMEOUT_MS} (ms); 0 disables. Every chunk that arrives restarts it, so
   * it is an inter-byte timeout: it bounds the pauses between bytes, not the time a whole frame takes
   * (545 ms for a maximal frame at 9600 baud). docs/protocol/serial-v1.md §3 and §9 state it.
   */
  stallTimeoutMs?: number;
}
/** Default wait for the rest of a started frame, in milliseconds. */
export const DEFAULT_STALL_TIMEOUT_MS = 500;
/** Default upper bound of buffered bytes: four maximal frames. */
export const DEFAULT_MAX_BUFFER = 4 * MAX_FRAME;
const SOF_MARKER = Buffer.from([SOF1, SOF2]);

/**
 * Stream decoder for serial protocol v1: bytes in, {@link Frame} objects out.
 *
 * It never throws and never errors the stream, whatever bytes arrive. It searches for
 * SOF1 SOF2, checks VERSION, LEN and CRC, then decodes the payload. A candidate that fails
 * VERSION, LEN or CRC is abandoned by one byte only, so a real frame that started inside
 * the garbage is still found. Each drop increments `stats.dropped[reason]` and emits
 * `'drop'` with a {@link DropInfo}.
 *
 * ```ts
 * port.pipe(new FrameDecoder()).on('data', (f: Frame) => …).on('drop', (d: DropInfo) => …)
 * ```
 */
export class FrameDecoder extends Transform {
  readonly stats: DecoderStats = {
    frames: 0,
    garbageBytes: 0,
    dropped: { garbage: 0, bad_version: 0, bad_length: 0, bad_crc: 0, unknown_type: 0, bad_payload: 0, overflow: 0 },
  };
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxBuffer: number;
  private readonly stallTimeoutMs: number;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(opts: FrameDecoderOptions = {}) {
    super({ readableObjectMode: true });
    this.maxBuffer = Math.max(opts.maxBuffer ?? DEFAULT_MAX_BUFFER, MAX_FRAME);
    this.stallTimeoutMs = Math.max(0, opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    this.drain();
    if (this.buf.length > this.maxBuffer) {
      // Cannot happen with a sane LEN check, but bound memory regardless.
      this.recordDrop('overflow', `buffer exceeded ${this.maxBuffer} bytes`, this.buf.length);
      this.buf = Buffer.alloc(0);
    }
    this.armStallTimer();
    cb();
  }

  override _flush(cb: TransformCallback): void {
    // No more bytes will come, so the candidate at the head of the buffer can never complete.
    this.clearStallTimer();
    while (this.buf.length > 0) this.abandonHead('incomplete frame at end of stream');
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.clearStallTimer();
    cb(err);
  }

  /**
   * Give up the candidate at the head of the buffer, up to the next start-of-frame marker, and look
   * again: a complete frame held behind a false start-of-frame (garbage that looked like a header)
   * is still delivered.
   */
  private abandonHead(detail: string): void {
    const next = this.buf.indexOf(SOF_MARKER, 1);
    const cut = next < 0 ? this.buf.length : next;
    this.recordDrop('garbage', detail, cut);
    this.buf = this.buf.subarray(cut);
    this.drain();
  }

  private clearStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** (Re)start the stall timer while a partial frame waits; every new chunk restarts it. */
  private armStallTimer(): void {
    this.clearStallTimer();
    if (this.buf.length === 0 || this.stallTimeoutMs === 0) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.buf.length === 0 || this.destroyed) return;
      this.abandonHead(`frame incomplete after ${this.stallTimeoutMs} ms`);
      this.armStallTimer();
    }, this.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private recordDrop(reason: DropReason, detail: string, bytes: number): void {
    this.stats.dropped[reason]++;
    if (reason === 'garbage' || reason === 'overflow') this.stats.garbageBytes += bytes;
    this.emit('drop', { reason, detail, bytes } satisfies DropInfo);
  }

  private drain(): void {
    const b = this.buf;
    let pos = 0;
    for (;;) {
      // 1. find SOF1 SOF2
      let start = pos;
      while (start < b.length && !(b[start] === SOF1 && (start + 1 >= b.length || b[start + 1] === SOF2))) start++;
      if (start > pos) this.recordDrop('garbage', `${start - pos} bytes before start of frame`, start - pos);
      pos = start;
      if (b.length - pos < HEADER_SIZE) break; // wait for more
      const version = b[pos + 2]!;
      if (version !== PROTOCOL_VERSION) {
        this.recordDrop('bad_version', `version 0x${version.toString(16)} != 0x01`, 1);
        pos += 1;
        continue;
      }
      const len = b.readUInt16LE(pos + 6);
      if (len > MAX_PAYLOAD) {
        this.recordDrop('bad_length', `length ${len} > ${MAX_PAYLOAD}`, 1);
        pos += 1;
        continue;
      }
      const total = HEADER_SIZE + len + TRAILER_SIZE;
      if (b.length - pos < total) break; // wait for more
      const want = b.readUInt16LE(pos + HEADER_SIZE + len);
      const got = crc16(b, pos + 2, pos + HEADER_SIZE + len);
      if (want !== got) {
        this.recordDrop('bad_crc', `crc 0x${got.toString(16)} != 0x${want.toString(16)}`, 1);
        pos += 1;
        continue;
      }
      const typeCode = b[pos + 3]!;
      const seq = b.readUInt16LE(pos + 4);
      const name = frameNameFromCode(typeCode);
      if (!name) {
        this.recordDrop('unknown_type', `type 0x${typeCode.toString(16)}`, total);
        pos += total;
        continue;
      }
      const payload = Buffer.from(b.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + len));
      const frame = decodePayload(name, seq, payload);
      pos += total;
      if (typeof frame === 'string') {
        this.recordDrop('bad_payload', frame, total);
        continue;
      }
      this.stats.frames++;
      this.push(frame satisfies Frame);
    }
    this.buf = pos === 0 ? b : Buffer.from(b.subarray(pos));
  }
}
