/**
 * The agent's side of MQTT: one mqtt.js client, a retained will, QoS 1 publishing from the outbox,
 * and reconnecting with exponential backoff and jitter.
 *
 * Reconnect: mqtt.js's own reconnect uses a fixed `reconnectPeriod` (a setInterval), so 47 agents
 * that lose the broker together would hammer it in lockstep. We set `reconnectPeriod: 0` and call
 * `client.reconnect()` from our own timer (Backoff). Messages that were handed to mqtt.js but not
 * acknowledged when the connection dropped are taken back into the outbox (at its head, in order)
 * and sent again on the next connection (fresh mqtt.js stores, so they are not sent twice by it):
 * at-least-once delivery; the server can drop repeats by (bootId, seq).
 *
 * Live before backlog: the link tells the outbox when it is up (`setLive`), so a two-lane outbox
 * (DiskSpool) hands out messages made during this connection ahead of an outage's backlog; both
 * lanes share the publish rate, so the replay keeps its pace and live data is not stuck behind it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerRotation, shownBrokers } from '@yizhan/common/mqtt-url';
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '@yizhan/common/backoff';
import type { Outbox, OutboxMessage } from './outbox.js';

export interface MqttLinkOptions {
  /** Broker URL, or a cluster's nodes separated by commas: each reconnect tries the next one. */
  url: string;
  clientId: string;
  username: string;
  password: string;
  /** Status topic, and fresh payloads for the online message and the will (built per connection). */
  statusTopic: string;
  onlinePayload: () => Buffer;
  willPayload: () => Buffer;
  outbox: Outbox;
  /** Most messages handed to mqtt.js and not yet acknowledged. */
  maxInflight: number;
  /**
   * Most publishes per second (token bucket, burst of one second's worth), so that a spool
   * replay after an outage does not flood the broker and server while 46 other stations do the same.
   */
  maxPublishRatePerS: number;
  backoff: BackoffOptions;
  connectTimeoutMs: number;
  keepaliveS: number;
  /** Telemetry/events older than this (ms) when published get `historical: true`. */
  historicalAfterMs: number;
  now: () => number;
  logger: Logger;
  onConnectionChange?: (connected: boolean) => void;
  /** Topics subscribed (QoS 1) on every connection, and where their messages go. */
  subscriptions?: readonly string[];
  onMessage?: (topic: string, payload: Buffer) => void;
}

export interface MqttLinkStats {
  connected: boolean;
  connects: number;
  connectFailures: number;
  published: number;
  acked: number;
  /** Messages taken back into the outbox after a connection loss. */
  requeued: number;
}

export class MqttLink {
  readonly stats: MqttLinkStats = {
    connected: false,
    connects: 0,
    connectFailures: 0,
    published: 0,
    acked: 0,
    requeued: 0,
  };
  private client: MqttClient | undefined;
  private readonly inflight = new Map<number, OutboxMessage>();
  private nextId = 0;
  private generation = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly backoff: Backoff;
  private readonly brokers: BrokerRotation;
  private readonly log: Logger;
  private drainWaiters: (() => void)[] = [];
  private tokens: number;
  private tokensAt = Date.now();
  private pumpTimer: NodeJS.Timeout | undefined;
  /** When the current connection came up (the agent's clock). */
  private connectedAt = -Infinity;

  constructor(private readonly o: MqttLinkOptions) {
    this.backoff = new Backoff(o.backoff);
    this.brokers = new BrokerRotation(o.url);
    this.log = o.logger.child({ mqtt: shownBrokers(o.url) });
    this.tokens = o.maxPublishRatePerS;
  }

  get connected(): boolean {
    return this.stats.connected;
  }

  /** The broker connected to (or tried next), without credentials. */
  get broker(): string {
    return this.brokers.current;
  }

  start(): void {
    const c = mqtt.connect({
      ...this.brokers.first(),
      clientId: this.o.clientId,
      username: this.o.username,
      password: this.o.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: this.o.connectTimeoutMs,
      keepalive: this.o.keepaliveS,
      // mqtt-packet otherwise pre-builds a Buffer for each of the 65 536 packet ids: ~6 MB of heap
      // (a tenth of the agent's RSS target) to save one 2-byte allocation per publish.
      writeCache: false,
      will: { topic: this.o.statusTopic, payload: this.o.willPayload(), qos: 1, retain: true },
    });
    this.brokers.install(c);
    this.client = c;
    c.on('connect', () => this.onConnect(c));
    c.on('close', () => this.onClose());
    c.on('message', (topic, payload) => this.o.onMessage?.(topic, payload));
    c.on('error', (e) =>
      this.log.warn({ err: e.message, code: (e as { code?: unknown }).code }, 'mqtt error'),
    );
  }

  /** Queue a message; it is published when connected (live before a replay's backlog; each in order). */
  enqueue(m: OutboxMessage): void {
    this.o.outbox.push(m);
    this.pump();
  }

  /**
   * Flush what is queued (up to `timeoutMs`), publish `finalStatus` retained on the status topic,
   * then disconnect cleanly (so the broker does not publish the will).
   */
  async stop(finalStatus: Buffer, timeoutMs: number): Promise<void> {
    clearTimeout(this.reconnectTimer);
    const c = this.client;
    if (!c) return;
    if (this.stats.connected) {
      await this.waitDrained(timeoutMs);
      await withTimeout(
        c.publishAsync(this.o.statusTopic, finalStatus, { qos: 1, retain: true }),
        timeoutMs,
      ).catch((e: unknown) =>
        this.log.warn({ err: (e as Error).message }, 'could not publish the final status'),
      );
    }
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pumpTimer);
    if (this.stats.connected) await withTimeout(c.endAsync(false), timeoutMs).catch(() => c.end(true));
    else c.end(true); // nothing to say goodbye to; do not wait for a connection attempt in flight
    this.stats.connected = false;
  }

  private onConnect(c: MqttClient): void {
    this.stats.connected = true;
    this.stats.connects++;
    this.connectedAt = this.o.now();
    this.backoff.reset();
    this.o.outbox.setLive?.(true);
    this.log.info(
      { url: this.brokers.current, connects: this.stats.connects, queued: this.o.outbox.depth },
      'mqtt connected',
    );
    c.publish(this.o.statusTopic, this.o.onlinePayload(), { qos: 1, retain: true }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'online status not acknowledged');
    });
    const subs = this.o.subscriptions ?? [];
    if (subs.length)
      c.subscribe([...subs], { qos: 1 }, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (err || refused.length)
          this.log.error({ err: err?.message, refused }, 'mqtt subscribe failed (check the broker ACL)');
      });
    this.o.onConnectionChange?.(true);
    this.pump();
  }

  private onClose(): void {
    const wasConnected = this.stats.connected;
    this.stats.connected = false;
    this.o.outbox.setLive?.(false);
    if (this.stopping) return;
    this.generation++;
    if (this.inflight.size > 0) {
      this.stats.requeued += this.inflight.size;
      this.o.outbox.requeue([...this.inflight.values()]);
      this.inflight.clear();
    }
    if (wasConnected) {
      this.log.warn({ url: this.brokers.current, queued: this.o.outbox.depth }, 'mqtt connection lost');
      this.o.onConnectionChange?.(false);
    } else this.stats.connectFailures++;
    if (this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.log.info({ attempt: this.backoff.attempts, retryInMs: delay }, 'mqtt reconnect scheduled');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      const c = this.client;
      if (!c || this.stopping) return;
      c.options.will = { topic: this.o.statusTopic, payload: this.o.willPayload(), qos: 1, retain: true };
      c.reconnect();
    }, delay);
  }

  /** Take a publish token; false (and a pump scheduled) when the rate is used up. */
  private takeToken(): boolean {
    const now = Date.now();
    const rate = this.o.maxPublishRatePerS;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    if (!this.pumpTimer && !this.stopping) {
      this.pumpTimer = setTimeout(
        () => {
          this.pumpTimer = undefined;
          this.pump();
        },
        Math.ceil(((1 - this.tokens) / rate) * 1000),
      );
    }
    return false;
  }

  private pump(): void {
    const c = this.client;
    while (c && this.stats.connected && this.inflight.size < this.o.maxInflight) {
      if (this.o.outbox.depth === 0 || !this.takeToken()) break;
      const m = this.o.outbox.shift();
      if (!m) break;
      const id = this.nextId++;
      const gen = this.generation;
      this.inflight.set(id, m);
      this.stats.published++;
      const payload = this.isHistorical(m) ? markHistorical(m.payload) : m.payload;
      c.publish(m.topic, payload, { qos: 1, retain: m.retain }, (err) => {
        if (gen !== this.generation) return; // taken back into the outbox on close
        this.inflight.delete(id);
        if (err) {
          // Refused while connected (e.g. the client is shutting down): keep it, try again later.
          this.log.warn({ err: err.message, topic: m.topic }, 'publish failed; requeued');
          this.o.outbox.requeue([m]);
          this.stats.requeued++;
          if (!this.stopping) setTimeout(() => this.pump(), 1000).unref();
          return;
        }
        this.stats.acked++;
        this.o.outbox.ack?.(m);
        this.pump();
      });
    }
    if (this.inflight.size === 0 && this.o.outbox.depth === 0)
      this.drainWaiters.splice(0).forEach((w) => w());
  }

  /**
   * Historical (not live): queued before the current connection came up (it waited out an outage,
   * or a previous run left it in the spool), or waited longer than historicalAfterMs.
   */
  private isHistorical(m: OutboxMessage): boolean {
    return (
      (m.leaf === 'telemetry' || m.leaf === 'events') &&
      (m.enqueuedAt < this.connectedAt || this.o.now() - m.enqueuedAt > this.o.historicalAfterMs)
    );
  }

  private waitDrained(timeoutMs: number): Promise<void> {
    if (this.inflight.size === 0 && this.o.outbox.depth === 0) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => this.drainWaiters.push(resolve)), timeoutMs).catch(() =>
      this.log.warn(
        { queued: this.o.outbox.depth, inflight: this.inflight.size },
        'stopping with messages not yet delivered',
      ),
    );
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * Add `"historical":true` to a serialized payload. Station payloads are JSON objects built by the
 * agent without that field (and `historical` is optional in both schemas), so appending before the
 * closing brace keeps them valid; done at publish time so nothing is stored twice.
 */
export function markHistorical(payload: Buffer): Buffer {
  const text = payload.toString('utf8');
  if (!text.endsWith('}') || text.includes('"historical":')) return payload;
  return Buffer.from(`${text.slice(0, -1)},"historical":true}`);
}
