/**
 * Settings of the broker process, from environment variables (declared in settings-schema.ts,
 * printed by `npx tsx broker/src/main.ts --help`). Every problem is reported at once. Unknown
 * YIZHAN_* variables are refused with a "did you mean": a typo in a TLS variable would otherwise
 * start the broker without TLS. `npm start` gives all components one environment, so the names
 * other components declare are accepted too.
 */
import { resolve } from 'node:path';
import { helpText, parseSettings, type Values } from '@yizhan/common/settings';
import { defaultCredentialsFile } from './credentials-file.js';
import { currentLang, type Lang } from './i18n.js';
import type { LimitsInput } from './limits.js';
import { BROKER_SETTINGS } from './settings-schema.js';

export { BROKER_SETTINGS } from './settings-schema.js';

/** `--help`: every setting with its default and meaning (Chinese, or English with YIZHAN_LANG=en). */
export function describeBrokerSettings(lang: Lang = currentLang()): string {
  return helpText(BROKER_SETTINGS, lang);
}

export interface BrokerSettings {
  mqttPort: number;
  mqttHost: string;
  metricsPort: number;
  metricsHost: string;
  credentialsFile: string;
  tls: { port: number; certFile: string; keyFile: string } | undefined;
  wsPort: number | undefined;
  redisUrl: string | undefined;
  heartbeatMs: number;
  /** Check Redis' persistence settings at start (YIZHAN_REDIS_DURABILITY_CHECK). */
  redisDurabilityCheck: boolean;
  /** Folder of the broker's state journal; undefined: in memory (YIZHAN_BROKER_STATE_DIR=memory, or Redis). */
  stateDir: string | undefined;
  limits: LimitsInput;
  logLevel: string;
}

/** Settings are wrong (every problem, one per line); fix the environment (retrying unchanged cannot help). */
export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

type V = Values<(typeof BROKER_SETTINGS)['settings']>;
type Given = ReadonlySet<keyof V>;

function tlsSettings(v: V, problems: string[]): BrokerSettings['tls'] {
  const { mqttTlsPort: tlsPort, mqttTlsCert: certFile, mqttTlsKey: keyFile } = v;
  if (tlsPort === undefined) {
    // a certificate without a port is a half-done TLS set-up: never start without TLS silently
    if (certFile || keyFile) problems.push('YIZHAN_MQTT_TLS_PORT: must be set (e.g. 8883) when YIZHAN_MQTT_TLS_CERT or YIZHAN_MQTT_TLS_KEY is, got ""');
    return undefined;
  }
  if (!certFile) problems.push('YIZHAN_MQTT_TLS_CERT: must be a PEM certificate file when YIZHAN_MQTT_TLS_PORT is set, got ""');
  if (!keyFile) problems.push('YIZHAN_MQTT_TLS_KEY: must be a PEM key file when YIZHAN_MQTT_TLS_PORT is set, got ""');
  return certFile && keyFile ? { port: tlsPort, certFile: resolve(certFile), keyFile: resolve(keyFile) } : undefined;
}

/** Only the limits given: the broker fills the rest from DEFAULT_LIMITS. */
function limitSettings(v: V, given: Given): LimitsInput {
  const limits: LimitsInput = {};
  if (given.has('mqttMaxPacket')) limits.maxPacketBytes = v.mqttMaxPacket;
  if (given.has('mqttConnectTimeout')) limits.connectTimeoutMs = v.mqttConnectTimeout;
  if (given.has('mqttStationRate')) limits.publishRate = { station: { perSecond: v.mqttStationRate, burst: v.mqttStationRate * 10 } };
  if (given.has('mqttSessionQueue')) limits.maxQueuedPerClient = v.mqttSessionQueue;
  if (v.mqttTrustedAddresses) limits.trustedAddresses = v.mqttTrustedAddresses;
  return limits;
}

function stateDir(v: V, redisUrl: string | undefined): string | undefined {
  if (redisUrl !== undefined) return undefined; // Redis keeps the state
  if (v.brokerStateDir === 'memory') return undefined;
  return v.brokerStateDir ? resolve(v.brokerStateDir) : resolve(v.dataDir, 'broker-state');
}

/** Read and check every setting; throws one SettingsError listing every problem. */
export function readBrokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  const { values: v, given, problems } = parseSettings(BROKER_SETTINGS, { env });
  const redisUrl = v.redisUrl;
  const settings: BrokerSettings = {
    mqttPort: v.mqttPort,
    mqttHost: v.mqttHost,
    metricsPort: v.brokerMetricsPort,
    metricsHost: v.brokerMetricsHost,
    credentialsFile: v.credentialsFile ? resolve(v.credentialsFile) : defaultCredentialsFile(env),
    tls: tlsSettings(v, problems),
    wsPort: v.mqttWsPort,
    redisUrl,
    heartbeatMs: v.brokerHeartbeat,
    redisDurabilityCheck: v.redisDurabilityCheck !== 'off',
    stateDir: stateDir(v, redisUrl),
    limits: limitSettings(v, given),
    logLevel: v.logLevel,
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}
