/**
 * A null-modem cable in memory, built on `@serialport/binding-mock`.
 *
 * `PairedMockBinding` is MockBinding with a second end: the edge agent opens a path with it like
 * any serial port (through `serialport`'s stream), while the simulator takes the other end of the
 * same path with {@link mockDevice}. Bytes the device end writes arrive at the agent's port;
 * bytes the agent writes reach the device end's listeners. Plain MockBinding cannot do this: it
 * only records what the opener writes and has no way for a second party to answer.
 */
import { SerialPortMock } from 'serialport';
import type { Binding, BindingOpenOptions, BindingPort, MockBindingType, MockPort } from './types.js';

/** MockBinding exactly as `serialport` loads it (one registry of mock ports per process). */
const MockBinding: MockBindingType = SerialPortMock.binding;
type CreatePortOptions = Parameters<MockBindingType['createPort']>[1];
type PortInfo = Awaited<ReturnType<MockBindingType['list']>>[number];

/** Bytes the agent has not read yet that one pair holds, at most. Beyond that, device writes are dropped. */
export const MAX_PENDING_BYTES = 64 * 1024;
/**
 * Bytes kept while no agent has the port open (delivered when it opens), like a PTY's buffer:
 * enough for a controller's HELLO and first frames, small enough not to replay stale data.
 */
export const MAX_BYTES_WHILE_CLOSED = 4 * 1024;

export interface MockDeviceEnd {
  readonly path: string;
  /** true while the agent side has the port open. */
  readonly connected: boolean;
  /** Bytes dropped because no agent had the port open (beyond {@link MAX_BYTES_WHILE_CLOSED}) or it read too slowly. */
  readonly droppedBytes: number;
  /** Send bytes to the agent; false (and counted) when dropped. */
  write(buf: Buffer): boolean;
  /** Receive what the agent writes. Returns an unsubscribe function. */
  onData(listener: (buf: Buffer) => void): () => void;
  /** Pull the cable: the agent's open port fails with an I/O error and closes, as a removed USB adapter does. */
  unplug(): void;
}

interface Pair {
  agent: PairedPort | undefined;
  listeners: Set<(buf: Buffer) => void>;
  droppedBytes: number;
  /** Written while no agent had the port open. */
  held: Buffer[];
  heldBytes: number;
}
const pairs = new Map<string, Pair>();

function pairFor(path: string, opts?: CreatePortOptions): Pair {
  let p = pairs.get(path);
  if (!p) {
    MockBinding.createPort(path, { echo: false, record: false, ...opts });
    p = { agent: undefined, listeners: new Set(), droppedBytes: 0, held: [], heldBytes: 0 };
    pairs.set(path, p);
  }
  return p;
}

/** The device end of the mock pair at `path` (created on first use). */
export function mockDevice(path: string): MockDeviceEnd {
  const p = pairFor(path);
  return {
    path,
    get connected() {
      return p.agent?.isOpen === true;
    },
    get droppedBytes() {
      return p.droppedBytes;
    },
    write(buf) {
      const a = p.agent;
      if (!a?.isOpen) {
        if (p.heldBytes + buf.length > MAX_BYTES_WHILE_CLOSED) {
          p.droppedBytes += buf.length;
          return false;
        }
        p.held.push(Buffer.from(buf));
        p.heldBytes += buf.length;
        return true;
      }
      if (a.pendingBytes + buf.length > MAX_PENDING_BYTES) {
        p.droppedBytes += buf.length;
        return false;
      }
      a.inner.emitData(buf);
      return true;
    },
    onData(listener) {
      p.listeners.add(listener);
      return () => p.listeners.delete(listener);
    },
    unplug() {
      p.agent?.fail(new Error(`mock serial cable at ${path} unplugged (EIO)`));
    },
  };
}

/** The agent's end: MockBinding's port, with writes forwarded to the device end. */
export class PairedPort implements BindingPort {
  private rejectRead: ((e: Error) => void) | undefined;
  constructor(
    readonly inner: MockPort,
    private readonly pair: Pair,
  ) {}
  get openOptions(): MockPort['openOptions'] {
    return this.inner.openOptions;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  get pendingBytes(): number {
    return this.inner.port.data.length;
  }
  fail(e: Error): void {
    this.rejectRead?.(e);
  }
  async close(): Promise<void> {
    if (this.pair.agent === this) this.pair.agent = undefined;
    await this.inner.close();
  }
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    return new Promise((resolve, reject) => {
      this.rejectRead = reject;
      this.inner.read(buffer, offset, length).then(resolve, reject);
    });
  }
  async write(buffer: Buffer): Promise<void> {
    await this.inner.write(buffer);
    const copy = Buffer.from(buffer);
    for (const l of this.pair.listeners) l(copy);
  }
  update(options: Parameters<MockPort['update']>[0]): Promise<void> {
    return this.inner.update(options);
  }
  set(options: Parameters<MockPort['set']>[0]): Promise<void> {
    return this.inner.set(options);
  }
  get(): ReturnType<MockPort['get']> {
    return this.inner.get();
  }
  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
}

export interface PairedMockBindingInterface extends Binding {
  open(options: BindingOpenOptions): Promise<PairedPort>;
  /** Create the pair at `path` (also done by {@link mockDevice}). */
  createPort(path: string, opts?: CreatePortOptions): void;
  /** Forget every pair and every mock port. */
  reset(): void;
}

/** Pass as `binding` to the agent (and to the simulator's attachToPath) to use a mock pair. */
export const PairedMockBinding: PairedMockBindingInterface = {
  createPort(path, opts) {
    pairFor(path, opts);
  },
  reset() {
    pairs.clear();
    MockBinding.reset();
  },
  list(): Promise<PortInfo[]> {
    return MockBinding.list();
  },
  async open(options: BindingOpenOptions): Promise<PairedPort> {
    const pair = pairs.get(options.path);
    if (!pair)
      throw new Error(
        `no mock serial device at ${options.path}: attach a simulator to it first (mockDevice)`,
      );
    const port = new PairedPort(await MockBinding.open(options), pair);
    pair.agent = port;
    if (pair.heldBytes > 0) port.inner.emitData(Buffer.concat(pair.held.splice(0)));
    pair.heldBytes = 0;
    return port;
  },
};

/** A path for a station's mock pair that cannot collide with real devices. */
export function mockPathFor(stationId: string): string {
  return `/mock/yizhan/${stationId}`;
}
