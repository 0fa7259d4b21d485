/**
 * Settings of `npm start` (the whole system on one machine). Every one is an environment variable
 * with a default; the README's settings table lists them.
 */
import { resolve } from 'node:path';

export interface RunSettings {
  /** HTTP port of the server (API, screens, metrics). Env YIZHAN_HTTP_PORT, default 8080. */
  httpPort: number;
  /** MQTT port of the broker. Env YIZHAN_MQTT_PORT, default 1883. */
  mqttPort: number;
  /** Port of the broker's metrics and health HTTP side port. Env YIZHAN_BROKER_METRICS_PORT, default 9101. */
  brokerMetricsPort: number;
  /** HTTP port of the local influxd. Env YIZHAN_INFLUX_PORT, default 8086. Ignored when INFLUX_URL is set. */
  influxPort: number;
  /** External InfluxDB; unset = start a local influxd. Env INFLUX_URL. */
  influxUrl: string | undefined;
  /** Folder for InfluxDB data, credentials, secrets and logs. Env YIZHAN_DATA_DIR, default ./.data. */
  dataDir: string;
  /** Serial transport of the simulated stations: mock binding or real PTY pairs (socat). Env YIZHAN_SERIAL, default mock. */
  serial: 'mock' | 'pty';
  /** Simulated time runs this many times faster than real time. Env YIZHAN_SIM_SPEED, default 1. */
  simSpeed: number;
  /** Seed of the simulated stations. Env YIZHAN_SIM_SEED, default 1. */
  simSeed: number;
}

export class SettingsError extends Error {}

function intEnv(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SettingsError(`${name}: must be an integer ${min}..${max}, got "${raw}"`);
  return n;
}

export function readRunSettings(env: NodeJS.ProcessEnv = process.env): RunSettings {
  const serial = env.YIZHAN_SERIAL ?? 'mock';
  if (serial !== 'mock' && serial !== 'pty') throw new SettingsError(`YIZHAN_SERIAL: must be "mock" or "pty", got "${serial}"`);
  const speedRaw = env.YIZHAN_SIM_SPEED ?? '1';
  const simSpeed = Number(speedRaw);
  if (!Number.isFinite(simSpeed) || simSpeed < 0.1 || simSpeed > 10_000)
    throw new SettingsError(`YIZHAN_SIM_SPEED: must be a number 0.1..10000, got "${speedRaw}"`);
  const influxUrl = env.INFLUX_URL === '' ? undefined : env.INFLUX_URL;
  if (influxUrl !== undefined && !/^https?:\/\//.test(influxUrl))
    throw new SettingsError(`INFLUX_URL: must start with http:// or https://, got "${influxUrl}"`);
  return {
    httpPort: intEnv(env, 'YIZHAN_HTTP_PORT', 8080, 1, 65535),
    mqttPort: intEnv(env, 'YIZHAN_MQTT_PORT', 1883, 1, 65535),
    brokerMetricsPort: intEnv(env, 'YIZHAN_BROKER_METRICS_PORT', 9101, 1, 65535),
    influxPort: intEnv(env, 'YIZHAN_INFLUX_PORT', 8086, 1, 65535),
    influxUrl,
    dataDir: resolve(env.YIZHAN_DATA_DIR ?? '.data'),
    serial,
    simSpeed,
    simSeed: intEnv(env, 'YIZHAN_SIM_SEED', 1, 0, 2 ** 31 - 1),
  };
}
