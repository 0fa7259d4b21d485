/**
 * The server's MQTT connection: a persistent session (clean: false, stable client id) so QoS 1
 * messages published while the server restarts are delivered when it is back; subscribes at QoS 1
 * to every consumed leaf of all stations and feeds each message to the Ingestor. With an AckGate,
 * a message's PUBACK leaves only once its lines are durable (ack-gate.ts): a server killed at any
 * moment loses nothing the broker does not send again.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerRotation } from '@yizhan/common/mqtt-url';
import type { FastifyBaseLogger } from 'fastify';
import { allStationsFilter } from '@yizhan/protocol';
import { corkUntilNextTurn } from '@yizhan/common/cork';
import type { Metrics } from '../metrics.js';
import { INGEST_LEAVES } from './ingest.js';
import type { AckGate } from './ack-gate.js';

export interface MqttOptions {
  /**
   * Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://…`, or a cluster's nodes separated by
   * commas (each reconnect tries the next one).
   */
  url: string;
  username?: string;
  password?: string;
  /** Stable id so the broker keeps the session. Default {@link DEFAULT_MQTT_CLIENT_ID}. */
  clientId?: string;
  /** Wait between reconnect attempts, ms. Default 1000. */
  reconnectPeriodMs?: number;
  /** Give up one connect attempt after this many ms. Default 10 000. */
  connectTimeoutMs?: number;
}

export const DEFAULT_MQTT_CLIENT_ID = 'yizhan-server';

export const INGEST_FILTERS = INGEST_LEAVES.map((leaf) => allStationsFilter(leaf));

export class MqttIngest {
  private client: MqttClient | undefined;
  private subscribed = false;

  constructor(
    private readonly opts: MqttOptions,
    private readonly onMessage: (topic: string, payload: Buffer) => void,
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    private readonly gate?: AckGate,
  ) {}

  /** Connected to the broker and subscribed. */
  get ready(): boolean {
    return this.subscribed && this.client?.connected === true;
  }

  /** Start connecting (returns at once; reconnects forever in the background). */
  start(): void {
    const o = this.opts;
    const brokers = new BrokerRotation(o.url);
    const client = mqtt.connect({
      ...brokers.first(),
      clientId: o.clientId ?? DEFAULT_MQTT_CLIENT_ID,
      clean: false,
      username: o.username,
      password: o.password,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      protocolVersion: 4,
      // mqtt.js logs through `debug` several times per packet; even disabled, each call builds an
      // argument array (about 1.5 kB of garbage per message at province scale). DEBUG=mqttjs*
      // still turns its log on.
      ...(process.env.DEBUG?.includes('mqttjs') ? {} : { log: noop }),
    });
    brokers.install(client);
    this.client = client;
    this.gate?.install(client);
    // One PUBACK per message, each its own socket write (a syscall) otherwise: hold the acks of
    // every packet parsed in this turn of the event loop and send them in one write (they leave
    // at most one loop turn later; each is still sent only after its message was handled).
    client.on('packetreceive', () => corkUntilNextTurn(client.stream));
    client.on('connect', (ack) => {
      this.metrics.mqttConnected.set(1);
      this.log.info({ url: brokers.current, sessionPresent: ack.sessionPresent }, 'mqtt connected');
      client.subscribe([...INGEST_FILTERS], { qos: 1 }, (err, granted) => {
        if (err) {
          this.log.error({ err: err.message }, 'mqtt subscribe failed; will retry on reconnect');
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128);
        if (refused.length)
          this.log.error(
            { topics: refused.map((g) => g.topic) },
            'mqtt broker refused subscriptions (check the server ACL)',
          );
        this.subscribed = refused.length === 0;
      });
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('reconnect', () => this.metrics.mqttReconnects.inc());
    client.on('close', () => {
      this.metrics.mqttConnected.set(0);
      this.subscribed = false;
    });
    client.on('error', (err) => {
      // Auth failures say "Connection refused: Not authorized"; mqtt.js keeps retrying either way.
      this.log.error({ url: brokers.current, err: err.message }, 'mqtt connection error');
    });
    client.on('offline', () => this.log.warn({ url: brokers.current }, 'mqtt offline; reconnecting'));
  }

  /** Disconnect cleanly (held acks are sent first, for at most `drainMs`). */
  async stop(drainMs = 2000): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    await this.gate?.drained(drainMs);
    await c.endAsync();
    this.subscribed = false;
    this.metrics.mqttConnected.set(0);
  }
}

function noop(): void {}
