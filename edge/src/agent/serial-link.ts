/**
 * The agent's side of the serial line: opens the port, pipes it through a FrameDecoder, watches
 * for silence, and reopens the port when it fails. The link is "up" from the first good frame until
 * the port errors or closes, or no frame arrives within the frame timeout; then it is "down".
 *
 * - Silence: the link is reported down, and the port stays open. A controller that was quiet (or
 *   powered off) and comes back is heard at once, including the HELLO of a reboot, after which the
 *   agent applies the remote config again. Closing the port would lose whatever arrives while it is
 *   closed.
 * - Silence on a device that is gone or replaced: while the link is silent, the port's path is
 *   looked at every frame timeout; when it names no device any more, or another device than the
 *   one opened (an adapter plugged back, given the same name by udev), the port is treated as
 *   lost. A pulled adapter does not always make the open port fail, and waiting for it would leave
 *   the agent on a dead port while the controller talks on the new one at the same path.
 * - Port error or close (cable or USB adapter pulled): the port is reopened at once; if that open
 *   fails, again after a backoff delay (growing, with jitter) until it works. The first reopen after
 *   a loss is immediate only when frames arrived since the last one, so a port that opens and
 *   closes again at once cannot make a busy loop.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SerialPortStream } from '@serialport/stream';
import {
  FrameDecoder,
  DROP_REASONS,
  type DropInfo,
  type DropReason,
} from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { closePort, openPort, type PortSettings } from '../serial/open-port.js';
import { Backoff, type BackoffOptions } from '@yizhan/common/backoff';

export type LinkState = 'up' | 'down';

export interface SerialLinkOptions {
  port: PortSettings;
  /** No frame for this long (ms) means the link is down. */
  frameTimeoutMs: number;
  backoff: BackoffOptions;
  logger: Logger;
  now: () => number;
  onFrame(frame: Frame): void;
  onState(state: LinkState, reason: string): void;
}

export interface SerialLinkStats {
  state: LinkState;
  port: string;
  framesGood: number;
  dropped: Record<DropReason, number>;
  lastFrameAt: number | undefined;
  opens: number;
  openFailures: number;
}

export class SerialLink {
  readonly stats: SerialLinkStats;
  private port: SerialPortStream | undefined;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** While the link is silent: the next look at the port's path (watchDevice). */
  private deviceCheck: NodeJS.Timeout | undefined;
  /** The open (generation) whose path could not be read, already logged once. */
  private uncheckable = -1;
  private stopped = false;
  /** The device the open port is (its path resolved), to notice a device replaced at the same path. */
  private device: string | undefined;
  /** A loss since the last good frame already had its immediate reopen: the next one waits. */
  private reopenedAtOnce = false;
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(private readonly o: SerialLinkOptions) {
    this.backoff = new Backoff(o.backoff);
    this.log = o.logger.child({ serial: o.port.path });
    this.stats = {
      state: 'down',
      port: o.port.path,
      framesGood: 0,
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
      lastFrameAt: undefined,
      opens: 0,
      openFailures: 0,
    };
  }

  start(): void {
    void this.open();
  }

  /** The port is open now (frames may or may not be arriving). */
  get portOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** Write bytes to the controller (CONFIG_SET…); false when the port is not open. */
  write(buf: Buffer): boolean {
    if (!this.port?.isOpen) return false;
    this.port.write(buf);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    clearTimeout(this.deviceCheck);
    const p = this.port;
    this.port = undefined;
    if (p) await closePort(p);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    let port: SerialPortStream;
    try {
      port = await openPort(this.o.port);
    } catch (e) {
      this.stats.openFailures++;
      const delay = this.backoff.next();
      this.log.warn(
        { err: (e as Error).message, attempt: this.backoff.attempts, retryInMs: delay },
        'serial port open failed; will retry',
      );
      this.setState('down', 'open failed');
      this.scheduleOpen(delay);
      return;
    }
    if (this.stopped || gen !== this.generation) {
      await closePort(port);
      return;
    }
    this.stats.opens++;
    this.port = port;
    this.device = await deviceAt(this.o.port.path).catch(() => undefined);
    this.log.info({ baudRate: this.o.port.baudRate }, 'serial port open');
    const decoder = new FrameDecoder();
    decoder.on('data', (f: Frame) => {
      if (gen === this.generation) this.onFrame(f);
    });
    decoder.on('drop', (d: DropInfo) => {
      this.stats.dropped[d.reason]++;
      this.log.debug({ reason: d.reason, detail: d.detail, bytes: d.bytes }, 'serial bytes dropped');
    });
    port.on('error', (e: Error) => {
      this.log.warn({ err: e.message }, 'serial port error');
      if (gen === this.generation && !this.stopped) this.lost(`port error: ${e.message}`);
    });
    port.on('close', (err: Error | null) => {
      if (gen !== this.generation || this.stopped) return;
      this.lost(err ? `port closed: ${err.message}` : 'port closed');
    });
    port.pipe(decoder);
    this.armWatchdog(gen);
  }

  private onFrame(f: Frame): void {
    this.stats.framesGood++;
    this.stats.lastFrameAt = this.o.now();
    this.watchdog?.refresh();
    clearTimeout(this.deviceCheck);
    this.reopenedAtOnce = false;
    if (this.stats.state === 'down') {
      this.backoff.reset();
      this.setState('up', 'frames arriving');
    }
    this.o.onFrame(f);
  }

  /** No frame within the frame timeout: report the link down, keep the port open and listening. */
  private armWatchdog(gen: number): void {
    clearTimeout(this.watchdog);
    clearTimeout(this.deviceCheck);
    this.watchdog = setTimeout(() => {
      if (gen !== this.generation) return;
      if (this.stats.state === 'up') {
        this.log.warn(
          { silentMs: this.o.frameTimeoutMs },
          'no frame from the controller within the frame timeout; the port stays open',
        );
        this.setState('down', `no frame for ${this.o.frameTimeoutMs} ms`);
      }
      this.watchDevice(gen);
    }, this.o.frameTimeoutMs);
  }

  /** While silent: is the path still the device that was opened? If not, the port is lost. */
  private watchDevice(gen: number): void {
    // a port that is no file (a test binding, a Windows COM port) has nothing to compare
    const opened = this.device;
    if (opened === undefined) return;
    this.deviceCheck = setTimeout(() => {
      const path = this.o.port.path;
      // undefined: nothing at the path any more; a path that cannot be read now counts as unchanged
      void deviceAt(path)
        .catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          if (this.uncheckable !== gen) {
            this.uncheckable = gen;
            this.log.warn({ path, code: e.code }, 'cannot read the serial port path; assuming the same device');
          }
          return opened;
        })
        .then((now) => {
          if (gen !== this.generation || this.stopped || this.stats.state === 'up') return;
          if (now === opened) this.watchDevice(gen);
          else this.lost(now === undefined ? `${path} is gone` : `another device at ${path}`);
        });
    }, this.o.frameTimeoutMs);
  }

  /** The port failed or closed: mark down, close it, reopen at once (then with backoff). */
  private lost(reason: string): void {
    this.generation++;
    clearTimeout(this.watchdog);
    clearTimeout(this.deviceCheck);
    this.setState('down', reason);
    const p = this.port;
    this.port = undefined;
    const delay = this.reopenedAtOnce ? this.backoff.next() : 0;
    this.reopenedAtOnce = true;
    this.log.warn({ reason, retryInMs: delay }, 'serial link lost; reopening');
    if (p) void closePort(p).finally(() => this.scheduleOpen(delay));
    else this.scheduleOpen(delay);
  }

  private scheduleOpen(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  private setState(state: LinkState, reason: string): void {
    if (this.stats.state === state) return;
    this.stats.state = state;
    if (state === 'up') this.log.info({ reason }, 'serial link up');
    else this.log.warn({ reason }, 'serial link down');
    this.o.onState(state, reason);
  }
}

/** Which device a path names now (symbolic links followed): its device number and inode. */
async function deviceAt(path: string): Promise<string> {
  const st = await stat(path);
  return `${st.rdev}:${st.dev}:${st.ino}`;
}
