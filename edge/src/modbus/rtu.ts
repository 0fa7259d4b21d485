/**
 * Modbus RTU master, the small part the agent needs: read holding (0x03) and input (0x04)
 * registers from slaves on one serial line, one request at a time, with a response timeout.
 *
 * Written here rather than taken from modbus-serial: that package brings its own serialport major
 * (a second native addon to build for armv7/arm64) and a callback/promise API around many function
 * codes we do not use; these ~150 lines reuse the agent's serialport and are tested against a
 * third-party slave (pymodbus) on a PTY.
 *
 * ```
 * request:   addr u8 | fc u8 | start u16 BE | count u16 BE | crc u16 LE
 * response:  addr u8 | fc u8 | bytes u8 | data (bytes) | crc u16 LE
 * exception: addr u8 | fc|0x80 u8 | code u8 | crc u16 LE
 * ```
 */
import type { SerialPortStream } from '@serialport/stream';

export type RegisterTable = 'holding' | 'input';

/** Why a request failed; `timeout` and `crc` may pass on retry, `exception` usually will not. */
export type ModbusErrorKind = 'timeout' | 'crc' | 'exception' | 'bad_response' | 'port_closed';

export class ModbusError extends Error {
  constructor(
    readonly kind: ModbusErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusError';
  }
  get retryable(): boolean {
    return this.kind !== 'exception';
  }
}

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF). */
export function crc16modbus(buf: Uint8Array, end = buf.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) {
    crc ^= buf[i] ?? 0;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function readRequest(unit: number, table: RegisterTable, start: number, count: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = unit;
  b[1] = table === 'holding' ? 0x03 : 0x04;
  b.writeUInt16BE(start, 2);
  b.writeUInt16BE(count, 4);
  b.writeUInt16LE(crc16modbus(b, 6), 6);
  return b;
}

const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  6: 'slave device busy',
};

/**
 * Parse what has arrived for a read request. `undefined` = not complete yet; registers on success;
 * throws ModbusError for a complete but wrong answer.
 */
export function parseReadResponse(
  buf: Buffer,
  unit: number,
  fc: number,
  count: number,
): number[] | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== unit) throw new ModbusError('bad_response', `answer from unit ${buf[0]}, asked ${unit}`);
  if (buf[1] === (fc | 0x80)) {
    if (crc16modbus(buf, 3) !== buf.readUInt16LE(3))
      throw new ModbusError('crc', 'exception frame with a bad CRC');
    const code = buf[2] ?? 0;
    throw new ModbusError('exception', `unit ${unit} exception ${code} (${EXCEPTIONS[code] ?? 'unknown'})`);
  }
  if (buf[1] !== fc) throw new ModbusError('bad_response', `function ${buf[1]} in the answer, asked ${fc}`);
  const n = buf[2] ?? 0;
  if (n !== count * 2) throw new ModbusError('bad_response', `${n} data bytes, expected ${count * 2}`);
  if (buf.length < 3 + n + 2) return undefined;
  if (crc16modbus(buf, 3 + n) !== buf.readUInt16LE(3 + n))
    throw new ModbusError('crc', `bad CRC from unit ${unit}`);
  const regs: number[] = [];
  for (let i = 0; i < count; i++) regs.push(buf.readUInt16BE(3 + i * 2));
  return regs;
}

/** One serial line, one outstanding request. */
export class ModbusMaster {
  private rx = Buffer.alloc(0);
  private pending: ((b: Buffer) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: SerialPortStream,
    private readonly timeoutMs: number,
  ) {
    port.on('data', (d: Buffer) => {
      this.rx = Buffer.concat([this.rx, d]).subarray(-512);
      this.pending?.(this.rx);
    });
  }

  /** Read `count` registers from `start`; queued behind earlier requests. */
  read(unit: number, table: RegisterTable, start: number, count: number): Promise<number[]> {
    const run = this.chain.then(() => this.once(unit, table, start, count));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private once(unit: number, table: RegisterTable, start: number, count: number): Promise<number[]> {
    const fc = table === 'holding' ? 0x03 : 0x04;
    return new Promise<number[]>((resolve, reject) => {
      if (!this.port.isOpen) return reject(new ModbusError('port_closed', 'Modbus port is not open'));
      this.rx = Buffer.alloc(0);
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new ModbusError('timeout', `no answer from unit ${unit} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending = (b) => {
        try {
          const regs = parseReadResponse(b, unit, fc, count);
          if (!regs) return;
          clearTimeout(timer);
          this.pending = undefined;
          resolve(regs);
        } catch (e) {
          clearTimeout(timer);
          this.pending = undefined;
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      this.port.write(readRequest(unit, table, start, count));
    });
  }
}
