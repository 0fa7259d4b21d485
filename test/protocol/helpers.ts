/**
 * Helpers shared by the protocol tests: run bytes through a FrameDecoder, cut byte strings into
 * chunks, and build raw frames with chosen (possibly wrong) envelope fields.
 */
import { serial } from '@yizhan/protocol';

export interface DecodeRun {
  frames: serial.Frame[];
  drops: serial.DropInfo[];
  stats: serial.DecoderStats;
  /** 'error' events of the stream; must stay empty whatever the input. */
  errors: unknown[];
}

/** Write `chunks` into a fresh decoder, end it, and collect everything it produced. */
export async function decodeChunks(
  chunks: Iterable<Uint8Array>,
  opts: serial.FrameDecoderOptions = {},
): Promise<DecodeRun> {
  const d = new serial.FrameDecoder(opts);
  const run: DecodeRun = { frames: [], drops: [], stats: d.stats, errors: [] };
  d.on('data', (f: serial.Frame) => run.frames.push(f));
  d.on('drop', (x: serial.DropInfo) => run.drops.push(x));
  const done = new Promise<void>((resolve) => {
    d.once('end', resolve);
    d.once('close', resolve);
    d.once('error', (e) => {
      run.errors.push(e);
      resolve();
    });
  });
  for (const c of chunks) d.write(c);
  d.end();
  await done;
  run.stats = structuredClone(d.stats);
  return run;
}

/** Cut `bytes` at the given positions (taken modulo length + 1, in any order, duplicates allowed). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** One chunk per byte, as a slow UART with a tiny FIFO would deliver them. */
export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1));
}

export interface RawFrameFields {
  version?: number;
  type: number;
  seq?: number;
  /** LEN field; defaults to the payload length. */
  len?: number;
  payload?: Uint8Array;
  /** CRC field; defaults to the correct CRC. */
  crc?: number;
}

/** A frame with any envelope fields, e.g. a CRC-valid frame of an unknown type. */
export function rawFrame(f: RawFrameFields): Buffer {
  const payload = Buffer.from(f.payload ?? []);
  const b = Buffer.alloc(serial.HEADER_SIZE + payload.length + serial.TRAILER_SIZE);
  b[0] = serial.SOF1;
  b[1] = serial.SOF2;
  b[2] = f.version ?? serial.PROTOCOL_VERSION;
  b[3] = f.type;
  b.writeUInt16LE(f.seq ?? 0, 4);
  b.writeUInt16LE(f.len ?? payload.length, 6);
  payload.copy(b, serial.HEADER_SIZE);
  const end = serial.HEADER_SIZE + payload.length;
  b.writeUInt16LE(f.crc ?? serial.crc16(b, 2, end), end);
  return b;
}

/**
 * True when the bytes at `offset` form a CRC-valid v1 frame by accident. A corrupted frame
 * whose LEN field changed reads its CRC from the wrong place and passes with probability
 * 2^-16; property tests skip those cases instead of flaking once in a few thousand runs.
 */
export function crcValidCandidateAt(bytes: Uint8Array, offset: number): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length - offset < serial.HEADER_SIZE) return false;
  if (b[offset] !== serial.SOF1 || b[offset + 1] !== serial.SOF2 || b[offset + 2] !== serial.PROTOCOL_VERSION)
    return false;
  const len = b.readUInt16LE(offset + 6);
  if (len > serial.MAX_PAYLOAD || b.length - offset < serial.HEADER_SIZE + len + serial.TRAILER_SIZE)
    return false;
  return (
    b.readUInt16LE(offset + serial.HEADER_SIZE + len) ===
    serial.crc16(b, offset + 2, offset + serial.HEADER_SIZE + len)
  );
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
