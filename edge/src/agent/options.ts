/**
 * Options of the edge agent, their defaults, and how they are resolved from the station config.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { StationConfig } from '@yizhan/station-config/schema';
import { DEFAULT_FRAME_TIMEOUT } from '@yizhan/station-config/timings';
import { parseDuration } from '@yizhan/protocol/duration';
import { DEFAULT_HEALTH_INTERVAL_MS } from '@yizhan/protocol/mqtt';
import type { Binding } from '../serial/types.js';
import type { BackoffOptions } from '@yizhan/common/backoff';
import { brokerListProblem } from '@yizhan/common/mqtt-url';
import { DEFAULT_MQTT_BACKOFF, DEFAULT_SERIAL_BACKOFF } from './backoff.js';
import type { Outbox } from './outbox.js';
import type { FsyncPolicy } from './spool.js';
import type { ModbusConfig } from '../modbus/poller.js';

export interface AgentOptions {
  /** The station's config: its id (the MQTT username), serial settings and channel → sensor map. */
  station: StationConfig;
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` (mqtts:// for TLS), or a cluster's nodes separated by commas. */
  mqttUrl: string;
  /** Broker password of the station's account. Give this or {@link passwordFile}. */
  password?: string;
  /** File holding the broker password (trailing newline ignored). */
  passwordFile?: string;
  /** Serial device to open instead of `station.serial.path` (e.g. a PTY or a mock pair path). */
  serialPath?: string;
  /** serialport binding; default the native one. `PairedMockBinding` for an in-memory pair. */
  binding?: Binding;
  /** pino logger; default a new one at LOG_LEVEL (info). */
  logger?: Logger;
  /** Period of health messages, ms. Default DEFAULT_HEALTH_INTERVAL_MS (30 s, @yizhan/protocol/mqtt: the server's dark threshold counts on it). */
  healthIntervalMs?: number;
  /** No frame for this long (ms) = serial link down. Default: `station.serial.frameTimeout` (its schema default when absent). */
  frameTimeoutMs?: number;
  /**
   * Folder for what must outlive the process: `spool/` (the durable outbox, a DiskSpool) and
   * `config.json` (the applied remote config). Without it, messages wait in memory only.
   */
  stateDir?: string;
  /** Bound of the disk spool, bytes. Default 64 MiB (DEFAULT_SPOOL_MAX_BYTES). */
  spoolMaxBytes?: number;
  /** fsync policy of the disk spool. Default `interval` (1 s). */
  spoolFsync?: FsyncPolicy;
  /** Where messages wait while the broker is away. Default a DiskSpool in `stateDir`, else a {@link MemoryOutbox} of `outboxCapacity`. */
  outbox?: Outbox;
  /** Capacity of the default outbox, messages. Default 10 000. */
  outboxCapacity?: number;
  /** Most unacknowledged QoS 1 messages at once. Default {@link DEFAULT_MAX_INFLIGHT}. */
  maxInflight?: number;
  /** Most MQTT publishes per second (spool replays are paced by this). Default {@link DEFAULT_MAX_PUBLISH_RATE_PER_S}. */
  maxPublishRatePerS?: number;
  mqttBackoff?: BackoffOptions;
  serialBackoff?: BackoffOptions;
  /** MQTT CONNECT → CONNACK timeout, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** MQTT keepalive, seconds. Default 30. */
  keepaliveS?: number;
  /** How long stop() may take to flush and say goodbye, ms. Default 5 000. */
  stopTimeoutMs?: number;
  /**
   * Telemetry and events that waited longer than this (ms) in the outbox are published with
   * `historical: true` (not live). Default {@link DEFAULT_HISTORICAL_AFTER_MS}.
   */
  historicalAfterMs?: number;
  /** Modbus meters to poll next to the controller (edge/src/modbus/poller.ts, `--modbus <file>`). */
  modbus?: ModbusConfig;
  /** serialport binding of the Modbus line; default the native one. */
  modbusBinding?: Binding;
  /** Clock for message timestamps (Unix ms). Default Date.now. */
  now?: () => number;
  /**
   * Each station message the agent built and checked, as it is queued for the broker (leaf and
   * payload, not to be changed): the board's screen (edge/src/screen/) reads the station's own
   * readings from here, so it keeps going while the broker is away.
   */
  onMessage?: (leaf: string, payload: Readonly<Record<string, unknown>>) => void;
}

/** Unacknowledged QoS 1 messages at once. */
export const DEFAULT_MAX_INFLIGHT = 100;
/** 500 publishes per second: a 10 000-message backlog replays in 20 s. */
export const DEFAULT_MAX_PUBLISH_RATE_PER_S = 500;
/** Serial frame timeout when the config gives none, ms: the station schema's default. */
export const DEFAULT_FRAME_TIMEOUT_MS: number = durationMs(DEFAULT_FRAME_TIMEOUT);
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_S = 30;
export const DEFAULT_STOP_TIMEOUT_MS = 5_000;
/** Queued longer than 30 s = historical. */
export const DEFAULT_HISTORICAL_AFTER_MS = 30_000;

function durationMs(text: string): number {
  const d = parseDuration(text);
  if (!d.ok) throw new Error(`station schema default: ${d.message}`);
  return d.ms;
}

/** The options cannot work as given; retrying will not help until they are fixed. */
export class AgentConfigError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

export interface ResolvedAgentOptions {
  password: string;
  serialPath: string;
  frameTimeoutMs: number;
  healthIntervalMs: number;
  maxInflight: number;
  maxPublishRatePerS: number;
  mqttBackoff: BackoffOptions;
  serialBackoff: BackoffOptions;
  connectTimeoutMs: number;
  keepaliveS: number;
  stopTimeoutMs: number;
  historicalAfterMs: number;
  now: () => number;
}

export function resolveOptions(o: AgentOptions): ResolvedAgentOptions {
  const id = o.station.id;
  let password = o.password;
  if (password === undefined && o.passwordFile !== undefined) {
    try {
      password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new AgentConfigError(
        `${id}: cannot read the MQTT password file ${o.passwordFile}: ${(e as Error).message}`,
      );
    }
  }
  if (password === undefined || password === '')
    throw new AgentConfigError(`${id}: no MQTT password; give --password-file (or the password option)`);
  const brokerProblem = brokerListProblem(o.mqttUrl);
  if (brokerProblem !== undefined) throw new AgentConfigError(`${id}: mqttUrl: ${brokerProblem}`);
  let frameTimeoutMs = o.frameTimeoutMs;
  if (frameTimeoutMs === undefined) {
    const d = parseDuration(o.station.serial.frameTimeout ?? DEFAULT_FRAME_TIMEOUT);
    if (!d.ok) throw new AgentConfigError(`${id}: serial.frameTimeout: ${d.message}`);
    frameTimeoutMs = d.ms;
  }
  const positive = (name: string, v: number): number => {
    if (!(Number.isFinite(v) && v > 0))
      throw new AgentConfigError(`${id}: ${name} must be a positive number, got ${v}`);
    return v;
  };
  return {
    password,
    serialPath: o.serialPath ?? o.station.serial.path,
    frameTimeoutMs: positive('frameTimeoutMs', frameTimeoutMs),
    healthIntervalMs: positive('healthIntervalMs', o.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS),
    maxInflight: positive('maxInflight', o.maxInflight ?? DEFAULT_MAX_INFLIGHT),
    maxPublishRatePerS: positive('maxPublishRatePerS', o.maxPublishRatePerS ?? DEFAULT_MAX_PUBLISH_RATE_PER_S),
    mqttBackoff: o.mqttBackoff ?? DEFAULT_MQTT_BACKOFF,
    serialBackoff: o.serialBackoff ?? DEFAULT_SERIAL_BACKOFF,
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    keepaliveS: positive('keepaliveS', o.keepaliveS ?? DEFAULT_KEEPALIVE_S),
    stopTimeoutMs: positive('stopTimeoutMs', o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS),
    historicalAfterMs: o.historicalAfterMs ?? DEFAULT_HISTORICAL_AFTER_MS,
    now: o.now ?? Date.now,
  };
}
