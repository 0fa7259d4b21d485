/**
 * The load generator's connections (bench/loadgen.ts): one light MQTT 3.1.1 connection per station
 * that behaves like the edge agent's (edge/src/agent/mqtt-link.ts): a CONNACK must come within the
 * agent's connect timeout, any failed attempt or dropped connection is retried after the agent's
 * exponential backoff with jitter, unacknowledged messages are resent with DUP after every
 * reconnect, PUBACKs free them, PINGREQs keep the connections alive. What the stations send, and
 * when, is the subclass's (LoadGenerator).
 */
import { connect, type Socket } from 'node:net';
import { Backoff } from '@yizhan/common/backoff';
import { DEFAULT_MQTT_BACKOFF, DEFAULT_CONNECT_TIMEOUT_MS } from '@yizhan/edge/agent';
import type { LoadOptions, LoadStats } from './loadgen-types.js';
import { DISCONNECT, PINGREQ, connectPacket, frames, loopbackAddress, newBoot } from './loadgen-wire.js';

/** One simulated station: its connection and what it has sent. */
export interface St {
  id: string;
  password: Buffer | undefined;
  local: string | undefined;
  sock: Socket | undefined;
  up: boolean;
  /** Connect attempts since the last success. */
  attempts: number;
  backoff: Backoff;
  retry: NodeJS.Timeout | undefined;
  connTimer: NodeJS.Timeout | undefined;
  /** Called once when the current first attempt succeeds or fails (start-up pacing). */
  settled: (() => void) | undefined;
  /** Telemetry messages to replay under a new boot at the next CONNACK (storm). */
  replay: number;
  rx: Buffer | undefined;
  bootId: string;
  seq: number;
  msgId: number;
  /** Encoded PUBLISH packets not yet acknowledged, by message id. */
  inflight: Map<number, Buffer>;
  /** Reading times of the last telemetry messages sent (values are a function of the time). */
  history: number[];
  door: number;
}

const KEEPALIVE_S = 300;

export abstract class StationLinks {
  protected readonly st: St[];
  private readonly host: string;
  private readonly port: number;
  private ping: NodeJS.Timeout | undefined;
  protected stopped = false;
  private readonly connectTimeoutMs: number;
  readonly stats: LoadStats;

  constructor(protected readonly o: LoadOptions) {
    const u = new URL(o.url);
    this.host = u.hostname;
    this.port = Number(u.port || 1883);
    this.connectTimeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const k = /^127\./.test(this.host) ? (o.sourceAddresses ?? o.stations.length) : 0;
    this.st = o.stations.map((s, i) => ({
      id: s.id,
      password: s.password !== undefined ? Buffer.from(s.password) : undefined,
      local: k > 0 ? loopbackAddress((o.addressOffset ?? 0) + (i % k)) : undefined,
      sock: undefined,
      up: false,
      attempts: 0,
      backoff: new Backoff(o.backoff ?? DEFAULT_MQTT_BACKOFF),
      retry: undefined,
      connTimer: undefined,
      settled: undefined,
      replay: 0,
      rx: undefined,
      bootId: newBoot(),
      seq: 0,
      msgId: 0,
      inflight: new Map(),
      history: [],
      door: 0,
    }));
    this.stats = {
      stations: this.st.length,
      connected: 0,
      messages: 0,
      readings: 0,
      uniqueReadings: 0,
      acked: 0,
      inflight: 0,
      skipped: 0,
      connectAttempts: 0,
      connectFailures: {},
      dropped: 0,
      replayedMessages: 0,
      replayedReadings: 0,
      redelivered: 0,
      sentBySecond: {},
      skippedBySecond: {},
      memory: { rssMB: 0, heapUsedMB: 0, externalMB: 0 },
    };
  }

  /**
   * Connect every station, at most `concurrency` first attempts at a time (failed ones retry on
   * their own backoff); resolves when all are up or `timeoutMs` passed, with the number up.
   */
  async connectAll(concurrency = this.o.connectConcurrency ?? 500, timeoutMs = 600_000): Promise<number> {
    let next = 0;
    let active = 0;
    const pump = () => {
      while (!this.stopped && active < concurrency && next < this.st.length) {
        const s = this.st[next++];
        if (!s) continue;
        active++;
        s.settled = () => {
          active--;
          pump();
        };
        this.open(s);
      }
    };
    pump();
    await this.until(() => this.stats.connected === this.st.length, timeoutMs);
    this.ping ??= setInterval(() => this.pingAll(), (KEEPALIVE_S / 5) * 1000);
    return this.stats.connected;
  }

  /** Called at every CONNACK, after the unacknowledged messages were resent. */
  protected abstract connected(s: St): void;

  /** Close every connection (DISCONNECT first where one is up), no reconnects from now on. */
  protected async closeAll(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ping);
    for (const s of this.st) {
      clearTimeout(s.retry);
      clearTimeout(s.connTimer);
      if (s.sock && s.up) s.sock.write(DISCONNECT);
      s.sock?.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const s of this.st) s.sock?.destroy();
  }

  /** Drop every connection at once (their close events are ignored); nothing is retried yet. */
  protected dropAll(): void {
    for (const s of this.st) {
      clearTimeout(s.retry);
      clearTimeout(s.connTimer);
      const old = s.sock;
      s.sock = undefined; // its close event is now ignored
      old?.destroy();
      if (s.up) this.stats.connected--;
      s.up = false;
      s.attempts = 0;
      s.backoff.reset();
    }
  }

  protected until(done: () => boolean, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (done() || this.stopped || Date.now() > end) resolve();
        else setTimeout(check, 10);
      };
      check();
    });
  }

  /** One connection attempt; its failure schedules the next after the station's backoff. */
  protected open(s: St): void {
    s.retry = undefined;
    s.attempts++;
    this.stats.connectAttempts++;
    s.rx = undefined;
    const sock = connect({ host: this.host, port: this.port, ...(s.local ? { localAddress: s.local } : {}) });
    s.sock = sock;
    sock.setNoDelay(true);
    s.connTimer = setTimeout(() => this.lost(s, sock, 'connack_timeout'), this.connectTimeoutMs);
    sock.on('data', (d: Buffer) => this.onData(s, sock, d));
    sock.on('error', (e: NodeJS.ErrnoException) => this.lost(s, sock, e.code ?? 'socket_error'));
    sock.on('close', () => this.lost(s, sock, 'closed'));
    sock.write(connectPacket(s.id, s.password, KEEPALIVE_S));
  }

  /** The connection `sock` of `s` failed or ended; retry unless it is stale or we are stopping. */
  private lost(s: St, sock: Socket, reason: string): void {
    if (s.sock !== sock) return;
    clearTimeout(s.connTimer);
    s.sock = undefined;
    sock.destroy();
    if (s.up) {
      s.up = false;
      this.stats.connected--;
      this.stats.dropped++;
    } else {
      this.stats.connectFailures[reason] = (this.stats.connectFailures[reason] ?? 0) + 1;
      this.settle(s);
    }
    if (!this.stopped) s.retry = setTimeout(() => this.open(s), s.backoff.next());
  }

  private settle(s: St): void {
    const f = s.settled;
    s.settled = undefined;
    f?.();
  }

  private onData(s: St, sock: Socket, d: Buffer): void {
    s.rx = frames(s.rx, d, (type, body) => {
      if (type === 2) this.onConnack(s, sock, body[1] ?? 255);
      else if (type === 4 && body.length >= 2) this.onPuback(s, body.readUInt16BE(0));
      return s.sock === sock;
    });
  }

  private onConnack(s: St, sock: Socket, code: number): void {
    if (code !== 0) return this.lost(s, sock, `connack_${code}`);
    clearTimeout(s.connTimer);
    s.up = true;
    this.stats.connected++;
    s.backoff.reset();
    this.settle(s);
    for (const p of s.inflight.values()) {
      const dup = Buffer.from(p);
      dup[0] = (dup[0] ?? 0) | 0x08;
      sock.write(dup);
      this.stats.redelivered++;
    }
    this.connected(s);
  }

  private onPuback(s: St, id: number): void {
    if (s.inflight.delete(id)) {
      this.stats.acked++;
      this.stats.inflight--;
    }
  }

  private pingAll(): void {
    for (const s of this.st) if (s.up) s.sock?.write(PINGREQ);
  }
}
