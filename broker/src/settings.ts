/**
 * Settings of the broker process, from environment variables (each has a default).
 *
 * | variable                     | default                         |
 * |------------------------------|---------------------------------|
 * | YIZHAN_MQTT_PORT             | 1883                            |
 * | YIZHAN_MQTT_HOST             | 127.0.0.1 (0.0.0.0 for remote)  |
 * | YIZHAN_BROKER_METRICS_PORT   | 9101                            |
 * | YIZHAN_BROKER_METRICS_HOST   | 127.0.0.1                       |
 * | YIZHAN_DATA_DIR              | .data                           |
 * | YIZHAN_CREDENTIALS_FILE      | <YIZHAN_DATA_DIR>/credentials.json |
 * | YIZHAN_MQTT_TLS_PORT         | – (TLS off); needs the two below |
 * | YIZHAN_MQTT_TLS_CERT / _KEY  | – PEM files, re-read on SIGHUP  |
 * | YIZHAN_MQTT_WS_PORT          | – (MQTT over WebSocket off)     |
 * | YIZHAN_REDIS_URL             | – (one process, state on disk)  |
 * | YIZHAN_BROKER_STATE_DIR      | <YIZHAN_DATA_DIR>/broker-state; `memory` = nothing kept on disk |
 * | YIZHAN_MQTT_MAX_PACKET       | 256KB                           |
 * | YIZHAN_MQTT_CONNECT_TIMEOUT  | 5s                              |
 * | YIZHAN_MQTT_TRUSTED_ADDRESSES| – comma-separated IPs never rate-limited or banned |
 * | YIZHAN_MQTT_STATION_RATE     | 100 (PUBLISH/s per station; burst 10×) |
 * | YIZHAN_MQTT_SESSION_QUEUE    | 1000 (QoS 1 messages kept per persistent session, e.g. the server's while it restarts) |
 * | LOG_LEVEL                    | info                            |
 */
import { resolve } from 'node:path';
import { parseDuration, parseSize } from '../../protocol/src/index.js';
import { defaultCredentialsFile } from './credentials-file.js';
import { DEFAULT_BROKER_HOST } from './broker.js';
import { DEFAULT_LIMITS, type LimitsInput } from './limits.js';

export interface BrokerSettings {
  mqttPort: number;
  mqttHost: string;
  metricsPort: number;
  metricsHost: string;
  credentialsFile: string;
  tls: { port: number; certFile: string; keyFile: string } | undefined;
  wsPort: number | undefined;
  redisUrl: string | undefined;
  /** Folder of the broker's state journal; undefined: in memory (YIZHAN_BROKER_STATE_DIR=memory, or Redis). */
  stateDir: string | undefined;
  limits: LimitsInput;
  logLevel: string;
}

/** A setting has a bad value; fix the environment (retrying unchanged cannot help). */
export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${variable}: must be ${expected}, got "${value}"`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function port(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) throw new SettingsError(name, raw, 'a port number 1..65535');
  return n;
}

function optionalPort(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return env[name] ? port(env, name, 0) : undefined;
}

function tlsSettings(env: NodeJS.ProcessEnv): BrokerSettings['tls'] {
  const tlsPort = optionalPort(env, 'YIZHAN_MQTT_TLS_PORT');
  if (tlsPort === undefined) return undefined;
  const certFile = env.YIZHAN_MQTT_TLS_CERT;
  const keyFile = env.YIZHAN_MQTT_TLS_KEY;
  if (!certFile) throw new SettingsError('YIZHAN_MQTT_TLS_CERT', '', 'a PEM certificate file when YIZHAN_MQTT_TLS_PORT is set');
  if (!keyFile) throw new SettingsError('YIZHAN_MQTT_TLS_KEY', '', 'a PEM key file when YIZHAN_MQTT_TLS_PORT is set');
  return { port: tlsPort, certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

function limitSettings(env: NodeJS.ProcessEnv): LimitsInput {
  const limits: LimitsInput = {};
  const size = env.YIZHAN_MQTT_MAX_PACKET;
  if (size) {
    const r = parseSize(size);
    if (!r.ok || r.bytes < 1024 || r.bytes > 256 * 1024 * 1024) throw new SettingsError('YIZHAN_MQTT_MAX_PACKET', size, 'a size from 1KB to 256MB, e.g. 256KB');
    limits.maxPacketBytes = r.bytes;
  }
  const timeout = env.YIZHAN_MQTT_CONNECT_TIMEOUT;
  if (timeout) {
    const r = parseDuration(timeout);
    if (!r.ok || r.ms < 100 || r.ms > 120_000) throw new SettingsError('YIZHAN_MQTT_CONNECT_TIMEOUT', timeout, `a duration from 100ms to 2min, e.g. ${DEFAULT_LIMITS.connectTimeoutMs / 1000}s`);
    limits.connectTimeoutMs = r.ms;
  }
  const rate = env.YIZHAN_MQTT_STATION_RATE;
  if (rate) {
    const n = Number(rate);
    if (!/^\d+$/.test(rate) || n < 1 || n > 1_000_000) throw new SettingsError('YIZHAN_MQTT_STATION_RATE', rate, 'a whole number of messages per second, 1..1000000');
    limits.publishRate = { station: { perSecond: n, burst: n * 10 } };
  }
  const queue = env.YIZHAN_MQTT_SESSION_QUEUE;
  if (queue) {
    const n = Number(queue);
    if (!/^\d+$/.test(queue) || n < 10 || n > 100_000_000)
      throw new SettingsError('YIZHAN_MQTT_SESSION_QUEUE', queue, 'a whole number of messages, 10..100000000 (size it for the server\'s longest restart: messages/s × seconds)');
    limits.maxQueuedPerClient = n;
  }
  if (env.YIZHAN_MQTT_TRUSTED_ADDRESSES) limits.trustedAddresses = env.YIZHAN_MQTT_TRUSTED_ADDRESSES.split(',').map((a) => a.trim()).filter(Boolean);
  return limits;
}

function stateDir(env: NodeJS.ProcessEnv, redisUrl: string | undefined): string | undefined {
  const raw = env.YIZHAN_BROKER_STATE_DIR;
  if (redisUrl !== undefined) return undefined; // Redis keeps the state
  if (raw === 'memory') return undefined;
  return raw ? resolve(raw) : resolve(env.YIZHAN_DATA_DIR || '.data', 'broker-state');
}

export function readBrokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new SettingsError('LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  const redisUrl = env.YIZHAN_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) throw new SettingsError('YIZHAN_REDIS_URL', redisUrl, 'a URL like redis://127.0.0.1:6379/0');
  return {
    mqttPort: port(env, 'YIZHAN_MQTT_PORT', 1883),
    mqttHost: env.YIZHAN_MQTT_HOST || DEFAULT_BROKER_HOST,
    metricsPort: port(env, 'YIZHAN_BROKER_METRICS_PORT', 9101),
    metricsHost: env.YIZHAN_BROKER_METRICS_HOST || DEFAULT_BROKER_HOST,
    credentialsFile: env.YIZHAN_CREDENTIALS_FILE ? resolve(env.YIZHAN_CREDENTIALS_FILE) : defaultCredentialsFile(env),
    tls: tlsSettings(env),
    wsPort: optionalPort(env, 'YIZHAN_MQTT_WS_PORT'),
    redisUrl,
    stateDir: stateDir(env, redisUrl),
    limits: limitSettings(env),
    logLevel,
  };
}
