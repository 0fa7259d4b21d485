/**
 * Open a serial port with `serialport`: the native binding (real UARTs, USB adapters, PTYs) by
 * default, or any other binding (the mock binding in tests and in `npm start`).
 */
import type { Binding } from './types.js';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

export interface PortSettings {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** Binding to open the port with; default: serialport's native binding for this OS. */
  binding?: Binding;
}

/** Thrown when a port cannot be opened. Retrying can help (the device may appear later). */
export class PortOpenError extends Error {
  readonly retryable = true;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot open serial port ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'PortOpenError';
  }
}

/** Open the port; resolves when it is open, rejects with {@link PortOpenError}. */
export async function openPort(s: PortSettings): Promise<SerialPortStream> {
  const port = new SerialPortStream({
    binding: s.binding ?? SerialPort.binding,
    path: s.path,
    baudRate: s.baudRate,
    dataBits: s.dataBits ?? 8,
    parity: s.parity ?? 'none',
    stopBits: s.stopBits ?? 1,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new PortOpenError(s.path, err)) : resolve())),
  );
  return port;
}

/** Close a port if it is open; never throws (a port that already went away is closed enough). */
export async function closePort(port: SerialPortStream): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}
