/**
 * The FrameDecoder behind a real serial-port stack, over two transports:
 * (a) the mock binding (@serialport/binding-mock behind @serialport/stream), fast and in-process;
 * (b) a real PTY pair made by socat, `serialport`'s SerialPort on the agent end and raw writes
 *     to the device end, so termios settings, kernel buffering and read chunking are real.
 * One script of good frames interleaved with noise and damaged frames is fed through both;
 * each script line states what it must add to the decoder's output and counters.
 */
import { once } from 'node:events';
import { constants, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort, SerialPortMock } from 'serialport';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serial } from '@yizhan/protocol';
import { startPtyPair } from '../../scripts/lib/socat.js';
import { vectorNamed } from './fixtures/serial-vectors.js';
import { rawFrame } from './helpers.js';

/**
 * The mock binding of @serialport/binding-mock. Taken from `serialport`, which re-exports that
 * same package: imported directly, its package.json "exports" hide its types from NodeNext
 * resolution (TS7016), while serialport's own typings resolve it.
 */
const MockBinding = SerialPortMock.binding;

/** The agent end of a serial line plus a way to put bytes on the wire from the device end. */
interface Line {
  port: Duplex;
  send(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}
interface Transport {
  name: string;
  open(): Promise<Line>;
}

function closePort(port: { isOpen: boolean; close(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

let mockPorts = 0;
const mockTransport: Transport = {
  name: 'mock binding',
  async open() {
    const path = `/dev/yizhan-mock-${++mockPorts}`;
    // Small reads, so frames arrive split across many chunks.
    MockBinding.createPort(path, { echo: false, record: false, maxReadSize: 61 });
    const port = new SerialPortStream({ binding: MockBinding, path, baudRate: 115200 });
    await once(port, 'open');
    return {
      port,
      send(bytes) {
        const binding = port.port;
        if (!binding) return Promise.reject(new Error(`mock port ${path} is not open`));
        binding.emitData(bytes);
        return Promise.resolve();
      },
      close: () => closePort(port),
    };
  },
};

const ptyTransport: Transport = {
  name: 'socat PTY pair',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'yizhan-pty-'));
    const pair = await startPtyPair(dir);
    const port = new SerialPort({
      path: pair.agentPath,
      baudRate: 115200,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
    });
    await once(port, 'open');
    // O_NOCTTY: never let the device end become this process's controlling terminal.
    const device = await open(pair.devicePath, constants.O_RDWR | constants.O_NOCTTY);
    return {
      port,
      async send(bytes) {
        for (let off = 0; off < bytes.length;) off += (await device.write(bytes, off)).bytesWritten;
      },
      async close() {
        await closePort(port);
        await device.close();
        await pair.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

afterAll(() => MockBinding.reset());

const vector = vectorNamed;
/** A copy of `b` with byte `i` replaced by `f(old)`. */
const withByte = (b: Buffer, i: number, f: (old: number) => number): Buffer => {
  const c = Buffer.from(b);
  c.writeUInt8(f(c.readUInt8(i)), i);
  return c;
};
/** Deterministic line noise without 0xA5, so it can never start a frame. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const v = x >>> 24;
    b[i] = v === serial.SOF1 ? 0 : v;
  }
  return b;
}

/** One line of the script: bytes on the wire and what they must add to the decoder's output. */
interface Step {
  what: string;
  bytes: Buffer;
  frames?: serial.Frame[];
  drops?: Partial<Record<serial.DropReason, number>>;
  garbageBytes?: number;
}

const hb = vector('HEARTBEAT');
const burst = Array.from({ length: 200 }, (_, i): serial.Frame => ({
  type: 'heartbeat',
  seq: 100 + i,
  uptimeMs: 30_000 + i * 10_000,
  status: i % 4,
}));

const SCRIPT: Step[] = [
  { what: 'modem chatter', bytes: Buffer.from('AT+RST\r\n', 'ascii'), garbageBytes: 8 },
  { what: 'HELLO', bytes: vector('HELLO').bytes, frames: [vector('HELLO').frame] },
  {
    what: 'control characters a tty would eat if it were not raw (XON, XOFF, ^C, ^D, ^Z, DEL, CR, LF, NUL, 0xFF)',
    bytes: Buffer.from([0x11, 0x13, 0x03, 0x04, 0x1a, 0x7f, 0x0d, 0x0a, 0x00, 0xff]),
    garbageBytes: 10,
  },
  { what: 'READINGS', bytes: vector('READINGS').bytes, frames: [vector('READINGS').frame] },
  {
    what: 'HEARTBEAT with a damaged CRC: the marker is skipped, the other 14 bytes are garbage',
    bytes: withByte(hb.bytes, hb.bytes.length - 1, (v) => v ^ 0x01),
    drops: { bad_crc: 1 },
    garbageBytes: 14,
  },
  { what: 'EVENT', bytes: vector('EVENT').bytes, frames: [vector('EVENT').frame] },
  {
    what: 'FAULT claiming protocol version 2',
    bytes: withByte(vector('FAULT').bytes, 2, () => 0x02),
    drops: { bad_version: 1 },
    garbageBytes: 16,
  },
  { what: 'HEARTBEAT', bytes: hb.bytes, frames: [hb.frame] },
  {
    what: 'ACK whose LEN says 1024',
    bytes: withByte(vector('ACK').bytes, 7, () => 0x04),
    drops: { bad_length: 1 },
    garbageBytes: 11,
  },
  {
    what: 'CRC-valid frame of unknown type 0x20',
    bytes: rawFrame({ type: 0x20, seq: 3, payload: Buffer.from([1, 2, 3]) }),
    drops: { unknown_type: 1 },
  },
  {
    what: 'CRC-valid HEARTBEAT with a 4-byte payload',
    bytes: rawFrame({ type: serial.FrameType.HEARTBEAT, seq: 4, payload: Buffer.from([0, 0, 0, 0]) }),
    drops: { bad_payload: 1 },
  },
  { what: 'a stray 0xA5', bytes: Buffer.from([serial.SOF1]), garbageBytes: 1 },
  { what: 'CONFIG_VALUE', bytes: vector('CONFIG_VALUE').bytes, frames: [vector('CONFIG_VALUE').frame] },
  {
    what: 'ACK and NAK back to back',
    bytes: Buffer.concat([vector('ACK').bytes, vector('NAK').bytes]),
    frames: [vector('ACK').frame, vector('NAK').frame],
  },
  { what: '500 bytes of line noise', bytes: noise(500, 7), garbageBytes: 500 },
  {
    what: '200 heartbeats in one burst',
    bytes: Buffer.concat(burst.map((f) => serial.encodeFrame(f))),
    frames: burst,
  },
];

async function until(cond: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each([mockTransport, ptyTransport])('FrameDecoder behind a serial port: $name', (transport) => {
  let line: Line;
  let decoder: serial.FrameDecoder;
  let frames: serial.Frame[];
  let errors: unknown[];

  beforeEach(async () => {
    line = await transport.open();
    decoder = new serial.FrameDecoder();
    frames = [];
    errors = [];
    decoder.on('data', (f: serial.Frame) => frames.push(f));
    decoder.on('error', (e) => errors.push(e));
    line.port.on('error', (e) => errors.push(e));
    line.port.pipe(decoder);
  });
  afterEach(async () => {
    line.port.unpipe(decoder);
    await line.close();
  });

  it('delivers every good frame between noise and damaged frames, and counts each drop under its reason', async () => {
    for (const step of SCRIPT) await line.send(step.bytes);

    const want = SCRIPT.flatMap((s) => s.frames ?? []);
    await until(
      () => frames.length >= want.length,
      () => `${want.length} frames, got ${frames.length}; stats ${JSON.stringify(decoder.stats)}`,
    );
    expect(frames).toStrictEqual(want);
    expect(errors).toEqual([]);
    const total = (r: serial.DropReason): number => SCRIPT.reduce((n, s) => n + (s.drops?.[r] ?? 0), 0);
    const { dropped } = decoder.stats;
    expect({ ...dropped, garbage: 0 }).toStrictEqual({
      garbage: 0,
      bad_version: total('bad_version'),
      bad_length: total('bad_length'),
      bad_crc: total('bad_crc'),
      unknown_type: total('unknown_type'),
      bad_payload: total('bad_payload'),
      overflow: 0,
    });
    expect(decoder.stats.garbageBytes).toBe(SCRIPT.reduce((n, s) => n + (s.garbageBytes ?? 0), 0));
    // Garbage is counted per run of bytes; read chunking can split a run, never merge two.
    expect(dropped.garbage).toBeGreaterThanOrEqual(SCRIPT.filter((s) => s.garbageBytes).length);
    expect(decoder.stats.frames).toBe(want.length);
  });

  it('holds a frame that trickles in one byte per write until its last byte arrives', async () => {
    const { frame, bytes } = vector('HELLO');
    for (let i = 0; i < bytes.length - 1; i++) await line.send(bytes.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, 50));
    expect(frames).toEqual([]);
    await line.send(bytes.subarray(bytes.length - 1));
    await until(
      () => frames.length > 0,
      () => 'the HELLO frame',
    );
    expect(frames).toStrictEqual([frame]);
    expect(decoder.stats.dropped).toStrictEqual(Object.fromEntries(serial.DROP_REASONS.map((r) => [r, 0])));
  });
});
