/**
 * Limits that keep one misbehaving client from slowing or stopping the others, with their
 * defaults, and the two small tools they use: a token bucket and a per-key log throttle.
 */
import type { Role } from './credentials.js';

export interface RateLimit {
  /** Sustained rate, in events per second. */
  perSecond: number;
  /** Events allowed at once above the sustained rate. */
  burst: number;
}

export interface BrokerLimits {
  /** Largest MQTT packet (fixed header included) after CONNACK, in bytes. Checked on the wire, before buffering. */
  maxPacketBytes: number;
  /** Largest packet before the connection is authenticated (the CONNECT itself and anything sent with it), in bytes. */
  maxConnectPacketBytes: number;
  /** Time from TCP accept to a complete CONNECT (TLS handshake and WebSocket upgrade included), in milliseconds; then the socket is closed. */
  connectTimeoutMs: number;
  /** Connections from one address that have not yet sent a complete CONNECT; more are closed at accept. */
  maxPreAuthPerAddress: number;
  /** Such connections over all listeners and addresses (at most a quarter of the process' open-file limit); see preauth.ts. */
  maxPreAuth: number;
  /** Smallest accepted CONNECT keepalive, in seconds (0 = "no keepalive" is refused when this is ≥ 1). */
  keepaliveMinS: number;
  /** Largest accepted CONNECT keepalive, in seconds. */
  keepaliveMaxS: number;
  /** Most levels in a topic name or filter (aedes caps this at 100). */
  maxTopicLevels: number;
  /** A client whose socket does not drain for this long (it stopped reading) is disconnected, in milliseconds. */
  drainTimeoutMs: number;
  /** Packets a client may send after CONNECT before it is authenticated; more closes it. */
  preConnectQueue: number;
  /** QoS 1/2 messages kept per persistent-session client (offline or unacknowledged); newer ones are dropped and counted. */
  maxQueuedPerClient: number;
  /** PUBLISH rate per client, by role. Excess publishes are delayed (TCP back-pressure). */
  publishRate: Record<Role, RateLimit>;
  /** A client more than this far behind its publish rate is disconnected, in milliseconds. */
  publishMaxDelayMs: number;
  /** New connections per remote address. Excess connections are closed at accept and count as strikes. */
  connectRate: RateLimit;
  /** Failed logins (bad/unknown credentials) or refused connects from one address within `strikeWindowMs` before a ban. */
  maxStrikes: number;
  /** Window over which strikes are counted, in milliseconds. */
  strikeWindowMs: number;
  /** Length of a ban, in milliseconds. While banned, connections from the address are closed at accept. */
  banMs: number;
  /** Remote addresses (exact strings) never rate-limited or banned, e.g. the server's host. */
  trustedAddresses: readonly string[];
  /** Repeated log lines of one kind for one client/address: one line per interval, in milliseconds. */
  logIntervalMs: number;
}

/**
 * Defaults sized for a fleet of dozens to thousands of stations on a mobile network:
 * - packets: 256 KiB (a station's largest message is a few KiB); 16 KiB before authentication;
 * - CONNECT within 5 s of accept (aedes' own default is 30 s), TLS handshake and WebSocket
 *   upgrade included; at most 128 such unfinished connections per address and 4,096 in all;
 * - keepalive 1 s..20 min (0 is refused: a station must be detectably gone);
 * - 16 topic levels (the station tree has 5 or 6);
 * - a subscriber that stops reading is dropped after 10 s;
 * - 1,000 queued QoS 1 messages per persistent session;
 * - stations 100 msg/s (burst 1,000; a station sends one message per serial frame, so a fast
 *   simulator or a busy controller must not trip it), server/operators 5,000 msg/s (burst 20,000),
 *   disconnected when more than 10 s behind;
 * - 50 connects/s per address (burst 200); 20 strikes in 60 s ban the address for 5 min;
 * - one log line per client and kind of problem per 10 s.
 */
export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketBytes: 256 * 1024,
  maxConnectPacketBytes: 16 * 1024,
  connectTimeoutMs: 5_000,
  maxPreAuthPerAddress: 128,
  maxPreAuth: 4_096,
  keepaliveMinS: 1,
  keepaliveMaxS: 1_200,
  maxTopicLevels: 16,
  drainTimeoutMs: 10_000,
  preConnectQueue: 16,
  maxQueuedPerClient: 1_000,
  publishRate: {
    station: { perSecond: 100, burst: 1_000 },
    server: { perSecond: 5_000, burst: 20_000 },
    operator: { perSecond: 5_000, burst: 20_000 },
  },
  publishMaxDelayMs: 10_000,
  connectRate: { perSecond: 50, burst: 200 },
  maxStrikes: 20,
  strikeWindowMs: 60_000,
  banMs: 5 * 60_000,
  trustedAddresses: [],
  logIntervalMs: 10_000,
};

/** Options as given by a caller: any field may be left out, publishRate per role too. */
export type LimitsInput = Partial<Omit<BrokerLimits, 'publishRate'>> & { publishRate?: Partial<Record<Role, RateLimit>> };

export function resolveLimits(input: LimitsInput = {}): BrokerLimits {
  return {
    ...DEFAULT_LIMITS,
    ...input,
    publishRate: { ...DEFAULT_LIMITS.publishRate, ...input.publishRate },
  };
}

/**
 * Token bucket that tells how long to wait instead of refusing: `take()` returns 0 when a token
 * is free now, else the milliseconds until this event's token is due (tokens are reserved, so
 * delayed events keep their order).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: RateLimit,
    now = Date.now(),
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }
  take(now = Date.now()): number {
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate.perSecond) * 1000);
  }
  /** True when the bucket has refilled completely: forgetting it changes nothing. */
  isFull(now = Date.now()): boolean {
    return this.tokens + ((now - this.at) / 1000) * this.rate.perSecond >= this.rate.burst;
  }
  /** Like take(), but only consumes when a token is free now. */
  tryTake(now = Date.now()): boolean {
    if (this.take(now) === 0) return true;
    this.tokens += 1;
    return false;
  }
}

/**
 * Releases delayed callbacks strictly in the order they were queued, each not before its due time,
 * with one timer per queue. (One `setTimeout` per callback is not enough: Node runs all expired
 * timers of one duration before those of another, so a 90 ms timer set after a 100 ms one can
 * fire after it even when it is due later. Delayed PUBLISHes of one client must keep their order,
 * MQTT-4.6.0-6.)
 */
export class OrderedDelay {
  private readonly queue: { due: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** Run `run` after `delayMs`, and after everything queued before it. */
  push(delayMs: number, run: () => void, now = Date.now()): void {
    const last = this.queue[this.queue.length - 1];
    this.queue.push({ due: Math.max(now + delayMs, last?.due ?? 0), run });
    if (!this.timer) this.arm(now);
  }

  /** True while something waits: what comes next must queue behind it. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Drop what waits (the client is gone). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private arm(now: number): void {
    const head = this.queue[0];
    if (!head) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => {
      const t = Date.now();
      while (this.queue.length > 0 && (this.queue[0] as { due: number }).due <= t) this.queue.shift()?.run();
      this.arm(t);
    }, Math.max(0, head.due - now));
  }
}

/**
 * Lets one log line per key through per interval and counts the rest, so a client that repeats a
 * forbidden action thousands of times per second costs one line per interval (shared with the
 * server: O(1) per call where a Map kept in use order cost 20 to 60 µs).
 */
