/**
 * Where a simulator's bytes go: small adapters behind one interface, so the simulator core stays
 * transport-agnostic (write(buf) sink + onData(buf) source).
 */
import type { Binding } from '../serial/types.js';
import { mockDevice, PairedMockBinding } from '../serial/mock-pair.js';
import { closePort, openPort } from '../serial/open-port.js';

export interface SimTransport {
  /** What this transport is attached to, for logs. */
  readonly path: string;
  /** Send bytes; never throws. Bytes that cannot be sent are dropped and counted. */
  write(buf: Buffer): void;
  /** Bytes from the other side. */
  onData(listener: (buf: Buffer) => void): void;
  readonly stats: { droppedBytes: number; errors: number };
  close(): Promise<void>;
}

export interface AttachOptions {
  /** Binding to open the path with: default native serialport; `PairedMockBinding` = the device end of a mock pair. */
  binding?: Binding;
  baudRate?: number;
  /** Most bytes waiting in the serial port's write buffer before frames are dropped. Default 64 KiB. */
  maxPendingBytes?: number;
}

export async function openSimTransport(path: string, opts: AttachOptions = {}): Promise<SimTransport> {
  if (opts.binding === PairedMockBinding) return mockTransport(path);
  return serialTransport(path, opts);
}

/** The device end of the in-memory mock pair at `path`. */
export function mockTransport(path: string): SimTransport {
  const dev = mockDevice(path);
  const off: (() => void)[] = [];
  const stats = {
    get droppedBytes() {
      return dev.droppedBytes;
    },
    errors: 0,
  };
  return {
    path,
    stats,
    write: (buf) => void dev.write(buf),
    onData: (l) => void off.push(dev.onData(l)),
    close: () => {
      off.splice(0).forEach((f) => f());
      return Promise.resolve();
    },
  };
}

/** A real serial port (e.g. the device end of a socat PTY pair) or a port of another binding. */
export async function serialTransport(path: string, opts: AttachOptions = {}): Promise<SimTransport> {
  const port = await openPort({ path, baudRate: opts.baudRate ?? 115200, binding: opts.binding });
  const max = opts.maxPendingBytes ?? 64 * 1024;
  const stats = { droppedBytes: 0, errors: 0 };
  // A write to a port nobody reads fills the OS buffer, then ours; both are bounded.
  port.on('error', () => stats.errors++);
  return {
    path,
    stats,
    write(buf) {
      if (!port.isOpen || port.writableLength + buf.length > max) {
        stats.droppedBytes += buf.length;
        return;
      }
      port.write(buf);
    },
    onData: (l) => void port.on('data', l),
    close: () => closePort(port),
  };
}
