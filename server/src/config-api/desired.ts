/**
 * The desired station configs the server has published, and its own broker connection for them.
 *
 * The connection opens on first use (not at start): a server whose config API is unused keeps a
 * single broker connection. Desired versions are learned from the retained `config/desired`
 * messages after SUBACK, so versions keep increasing across server restarts; until those have
 * arrived (a bounded wait) `ready` stays false and writes are refused by the route.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerRotation } from '@yizhan/common/mqtt-url';
import type { FastifyBaseLogger } from 'fastify';
import {
  allStationsFilter,
  parseStationTopic,
  stationTopic,
  validators,
  type ConfigDesiredPayload,
} from '@yizhan/protocol';
import type { MqttOptions } from '../ingest/mqtt.js';

/** Wait after SUBACK for the retained desired configs before accepting writes, ms. */
export const DEFAULT_CONFIG_SETTLE_MS = 500;
/** Longest wait of a first request for the connection and the retained configs, ms. */
export const DEFAULT_CONFIG_CONNECT_WAIT_MS = 6 * DEFAULT_CONFIG_SETTLE_MS;

export type StationConfig = ConfigDesiredPayload['config'];

export class DesiredConfigs {
  private readonly byStation = new Map<string, ConfigDesiredPayload>();
  private client: MqttClient | undefined;
  private connecting: Promise<void> | undefined;
  private settled = false;

  constructor(
    private readonly mqttOpts: MqttOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** True once the retained configs have been read and the connection is up. */
  get ready(): boolean {
    return this.settled && !!this.client?.connected;
  }

  get(stationId: string): ConfigDesiredPayload | undefined {
    return this.byStation.get(stationId);
  }

  /** Connects on first call; resolves when the retained configs are in or the wait is over. */
  open(): Promise<void> {
    this.connecting ??= new Promise<void>((resolve) => {
      const o = this.mqttOpts;
      const brokers = new BrokerRotation(o.url);
      const c = mqtt.connect({
        ...brokers.first(),
        clientId: `${o.clientId ?? 'yizhan-server'}-config`,
        username: o.username,
        password: o.password,
        clean: true,
        reconnectPeriod: o.reconnectPeriodMs ?? 1000,
        protocolVersion: 4,
      });
      brokers.install(c);
      this.client = c;
      const giveUp = setTimeout(resolve, DEFAULT_CONFIG_CONNECT_WAIT_MS);
      giveUp.unref();
      c.on('connect', () => {
        c.subscribe(allStationsFilter('config/desired'), { qos: 1 }, (e) => {
          if (e) return this.log.error({ err: e.message }, 'cannot subscribe to desired configs');
          setTimeout(() => {
            this.settled = true;
            clearTimeout(giveUp);
            resolve();
          }, DEFAULT_CONFIG_SETTLE_MS).unref();
        });
      });
      c.on('message', (topic, payload) => this.learn(topic, payload));
      c.on('error', (e) => this.log.warn({ url: brokers.current, err: e.message }, 'config-api mqtt error'));
    });
    return this.connecting;
  }

  /**
   * Publishes `config` retained (QoS 1) as the station's next version, above both the last desired
   * and the last reported version. Rejects when the broker does not take it.
   */
  async publish(
    stationId: string,
    config: StationConfig,
    reportedVersion: number,
  ): Promise<ConfigDesiredPayload> {
    if (!this.client) throw new Error('config API connection not open');
    const version = Math.max(this.byStation.get(stationId)?.version ?? 0, reportedVersion) + 1;
    const msg: ConfigDesiredPayload = { v: 1, version, ts: Date.now(), config };
    await this.client.publishAsync(stationTopic(stationId, 'config/desired'), JSON.stringify(msg), {
      qos: 1,
      retain: true,
    });
    this.byStation.set(stationId, msg);
    return msg;
  }

  /** Publishes are awaited by their callers, so nothing is left in flight here. */
  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }

  private learn(topic: string, payload: Buffer): void {
    const t = parseStationTopic(topic);
    const v = validators['config/desired'];
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!t || !v.check(parsed)) {
      this.log.warn({ topic, bytes: payload.length }, 'retained desired config unreadable; ignored');
      return;
    }
    const known = this.byStation.get(t.stationId);
    if (!known || parsed.version > known.version) this.byStation.set(t.stationId, parsed);
  }
}
