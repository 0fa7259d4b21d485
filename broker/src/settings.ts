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
 * | LOG_LEVEL                    | info                            |
 */
import { resolve } from 'node:path';
import { defaultCredentialsFile } from './credentials-file.js';
import { DEFAULT_BROKER_HOST } from './broker.js';

export interface BrokerSettings {
  mqttPort: number;
  mqttHost: string;
  metricsPort: number;
  metricsHost: string;
  credentialsFile: string;
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

export function readBrokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new SettingsError('LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  return {
    mqttPort: port(env, 'YIZHAN_MQTT_PORT', 1883),
    mqttHost: env.YIZHAN_MQTT_HOST || DEFAULT_BROKER_HOST,
    metricsPort: port(env, 'YIZHAN_BROKER_METRICS_PORT', 9101),
    metricsHost: env.YIZHAN_BROKER_METRICS_HOST || DEFAULT_BROKER_HOST,
    credentialsFile: env.YIZHAN_CREDENTIALS_FILE ? resolve(env.YIZHAN_CREDENTIALS_FILE) : defaultCredentialsFile(env),
    logLevel,
  };
}
