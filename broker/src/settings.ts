/**
 * Settings of the broker process, from environment variables (each has a default; the table is
 * BROKER_SETTINGS, printed by `npx tsx broker/src/main.ts --help`). Every problem is reported at
 * once. Unknown YIZHAN_* variables are refused with a "did you mean": a typo in a TLS variable
 * would otherwise start the broker without TLS. `npm start` gives all components one environment,
 * so the names the server knows (server/src/config.ts) and the prefixes other components own are
 * accepted too.
 */
import { resolve } from 'node:path';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { isLogLevel, LOG_LEVELS } from '@yizhan/common/log-levels';
import { parseDuration, parseSize } from '@yizhan/protocol';
// The one exception to "the broker never imports the server" (docs/architecture.md): the names the
// server's settings accept, until every process declares its settings in one library of @yizhan/common.
// eslint-disable-next-line no-restricted-imports
import { EnvSchema, IGNORED_PREFIXES, OTHER_COMPONENT_VARS } from '@yizhan/server/config';
import { defaultCredentialsFile } from './credentials-file.js';
import { currentLang, type Lang } from './i18n.js';
import { DEFAULT_BROKER_HOST } from './broker.js';
import { DEFAULT_LIMITS, type LimitsInput } from './limits.js';

export interface BrokerSetting {
  name: string;
  default: string;
  meaning: string;
  /** The meaning in Simplified Chinese (shown unless YIZHAN_LANG=en). */
  zh: string;
}

/** Every setting of the broker process. */
export const BROKER_SETTINGS: readonly BrokerSetting[] = [
  { name: 'YIZHAN_MQTT_PORT', default: '1883', meaning: 'MQTT TCP port', zh: 'MQTT TCP 端口' },
  { name: 'YIZHAN_MQTT_HOST', default: DEFAULT_BROKER_HOST, meaning: 'interface of all MQTT listeners; 0.0.0.0 for remote stations (use TLS for them)', zh: '所有 MQTT 监听的网卡地址；远程驿站用 0.0.0.0（并用 TLS）' },
  { name: 'YIZHAN_MQTT_TLS_PORT', default: '(off)', meaning: 'MQTT over TLS, usually 8883; needs YIZHAN_MQTT_TLS_CERT and YIZHAN_MQTT_TLS_KEY', zh: 'MQTT over TLS 端口，通常 8883；需同时设置证书和私钥' },
  { name: 'YIZHAN_MQTT_TLS_CERT', default: '-', meaning: 'PEM certificate chain file; re-read on SIGHUP', zh: 'PEM 证书链文件；SIGHUP 时重新读取' },
  { name: 'YIZHAN_MQTT_TLS_KEY', default: '-', meaning: 'PEM private key file; re-read on SIGHUP', zh: 'PEM 私钥文件；SIGHUP 时重新读取' },
  { name: 'YIZHAN_MQTT_WS_PORT', default: '(off)', meaning: 'MQTT over WebSocket (subprotocol mqtt, any path)', zh: 'MQTT over WebSocket 端口（子协议 mqtt，任意路径）' },
  { name: 'YIZHAN_REDIS_URL', default: '(none)', meaning: 'redis://host:6379/0: share sessions, retained messages and queues with the other brokers on it', zh: 'redis://host:6379/0：与同一 Redis 上的其他 broker 共享会话、保留消息和队列' },
  { name: 'YIZHAN_BROKER_STATE_DIR', default: '$YIZHAN_DATA_DIR/broker-state', meaning: 'folder of the state journal (sessions, queues, retained); memory = nothing on disk; unused with Redis', zh: '状态日志目录（会话、队列、保留消息）；memory = 不写磁盘；用 Redis 时不用' },
  { name: 'YIZHAN_MQTT_MAX_PACKET', default: '256KB', meaning: 'largest MQTT packet, 1KB..256MB (16 KiB before authentication)', zh: '最大 MQTT 报文，1KB..256MB（认证前 16 KiB）' },
  { name: 'YIZHAN_MQTT_CONNECT_TIMEOUT', default: `${DEFAULT_LIMITS.connectTimeoutMs / 1000}s`, meaning: 'from TCP accept to a complete CONNECT (TLS handshake, WebSocket upgrade included), 100ms..2min', zh: '从 TCP 接入到完整 CONNECT 的时限（含 TLS 握手、WebSocket 升级），100ms..2min' },
  { name: 'YIZHAN_MQTT_STATION_RATE', default: String(DEFAULT_LIMITS.publishRate.station.perSecond), meaning: 'PUBLISH/s per station (burst 10x); excess is delayed, far excess disconnects', zh: '每个驿站每秒 PUBLISH 数（突发 10 倍）；超出则延迟，远超则断开' },
  { name: 'YIZHAN_MQTT_SESSION_QUEUE', default: String(DEFAULT_LIMITS.maxQueuedPerClient), meaning: "QoS 1 messages kept per persistent session (the server's while it restarts)", zh: '每个持久会话保留的 QoS 1 消息数（服务器重启期间）' },
  { name: 'YIZHAN_MQTT_TRUSTED_ADDRESSES', default: '(none)', meaning: 'comma-separated peer IPs never rate-limited or banned', zh: '逗号分隔的对端 IP，不限速、不封禁' },
  { name: 'YIZHAN_BROKER_METRICS_PORT', default: '9101', meaning: 'side HTTP port: /metrics, /healthz', zh: '旁路 HTTP 端口：/metrics、/healthz' },
  { name: 'YIZHAN_BROKER_METRICS_HOST', default: DEFAULT_BROKER_HOST, meaning: 'interface of the side HTTP port', zh: '旁路 HTTP 端口的网卡地址' },
  { name: 'YIZHAN_DATA_DIR', default: '.data', meaning: 'the credentials file is <dir>/credentials.json', zh: '凭据文件为 <目录>/credentials.json' },
  { name: 'YIZHAN_CREDENTIALS_FILE', default: '$YIZHAN_DATA_DIR/credentials.json', meaning: 'explicit credentials file', zh: '指定凭据文件' },
  { name: 'YIZHAN_LANG', default: 'zh-CN', meaning: 'en: English-only start-up messages', zh: 'en：启动信息只用英文' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'pino log level', zh: 'pino 日志级别' },
];

const OWN = BROKER_SETTINGS.map((s) => s.name);
/** Names the broker accepts without using them: the server's and other components' (one environment in npm start). */
const SHARED = [...Object.keys(EnvSchema.properties), ...OTHER_COMPONENT_VARS];
/** The broker owns YIZHAN_BROKER_*: those are checked here, not ignored. */
const OTHER_PREFIXES = IGNORED_PREFIXES.filter((p) => p !== 'YIZHAN_BROKER_');

/** `--help`: every setting with its default and meaning (Chinese, or English with YIZHAN_LANG=en). */
export function describeBrokerSettings(lang: Lang = currentLang()): string {
  const w = Math.max(...BROKER_SETTINGS.map((s) => s.name.length));
  const d = Math.max(...BROKER_SETTINGS.map((s) => s.default.length));
  return BROKER_SETTINGS.map((s) => `  ${s.name.padEnd(w)}  ${s.default.padEnd(d)}  ${lang === 'en' ? s.meaning : s.zh}`).join('\n');
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

/** Collects problems; each reader returns its default when its variable is bad. */
type Bad = (variable: string, value: string, expected: string) => void;

function port(env: NodeJS.ProcessEnv, name: string, dflt: number, bad: Bad): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
    bad(name, raw, 'a port number 1..65535');
    return dflt;
  }
  return n;
}

function optionalPort(env: NodeJS.ProcessEnv, name: string, bad: Bad): number | undefined {
  return env[name] ? port(env, name, 0, bad) : undefined;
}

function tlsSettings(env: NodeJS.ProcessEnv, bad: Bad): BrokerSettings['tls'] {
  const tlsPort = optionalPort(env, 'YIZHAN_MQTT_TLS_PORT', bad);
  const certFile = env.YIZHAN_MQTT_TLS_CERT;
  const keyFile = env.YIZHAN_MQTT_TLS_KEY;
  if (tlsPort === undefined) {
    // a certificate without a port is a half-done TLS set-up: never start without TLS silently
    if (certFile || keyFile) bad('YIZHAN_MQTT_TLS_PORT', '', 'set (e.g. 8883) when YIZHAN_MQTT_TLS_CERT or YIZHAN_MQTT_TLS_KEY is');
    return undefined;
  }
  if (!certFile) bad('YIZHAN_MQTT_TLS_CERT', '', 'a PEM certificate file when YIZHAN_MQTT_TLS_PORT is set');
  if (!keyFile) bad('YIZHAN_MQTT_TLS_KEY', '', 'a PEM key file when YIZHAN_MQTT_TLS_PORT is set');
  return certFile && keyFile ? { port: tlsPort, certFile: resolve(certFile), keyFile: resolve(keyFile) } : undefined;
}

function limitSettings(env: NodeJS.ProcessEnv, bad: Bad): LimitsInput {
  const limits: LimitsInput = {};
  const size = env.YIZHAN_MQTT_MAX_PACKET;
  if (size) {
    const r = parseSize(size);
    if (!r.ok || r.bytes < 1024 || r.bytes > 256 * 1024 * 1024) bad('YIZHAN_MQTT_MAX_PACKET', size, 'a size from 1KB to 256MB, e.g. 256KB');
    else limits.maxPacketBytes = r.bytes;
  }
  const timeout = env.YIZHAN_MQTT_CONNECT_TIMEOUT;
  if (timeout) {
    const r = parseDuration(timeout);
    if (!r.ok || r.ms < 100 || r.ms > 120_000) bad('YIZHAN_MQTT_CONNECT_TIMEOUT', timeout, `a duration from 100ms to 2min, e.g. ${DEFAULT_LIMITS.connectTimeoutMs / 1000}s`);
    else limits.connectTimeoutMs = r.ms;
  }
  const rate = env.YIZHAN_MQTT_STATION_RATE;
  if (rate) {
    const n = Number(rate);
    if (!/^\d+$/.test(rate) || n < 1 || n > 1_000_000) bad('YIZHAN_MQTT_STATION_RATE', rate, 'a whole number of messages per second, 1..1000000');
    else limits.publishRate = { station: { perSecond: n, burst: n * 10 } };
  }
  const queue = env.YIZHAN_MQTT_SESSION_QUEUE;
  if (queue) {
    const n = Number(queue);
    if (!/^\d+$/.test(queue) || n < 10 || n > 100_000_000)
      bad('YIZHAN_MQTT_SESSION_QUEUE', queue, 'a whole number of messages, 10..100000000 (size it for the server\'s longest restart: messages/s × seconds)');
    else limits.maxQueuedPerClient = n;
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

/** `NAME: unknown setting; did you mean …?` for each YIZHAN_* variable nobody uses. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('YIZHAN_') || OWN.includes(name) || SHARED.includes(name) || OTHER_PREFIXES.some((p) => name.startsWith(p))) continue;
    const hint = didYouMean(name, OWN) ?? didYouMean(name, SHARED);
    problems.push(`${name}: unknown setting${hint ? `; did you mean ${hint}?` : ''}`);
  }
  return problems;
}

/** Read and check every setting; throws one SettingsError listing every problem. */
export function readBrokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  const problems = unknownVariables(env);
  const bad: Bad = (variable, value, expected) => problems.push(`${variable}: must be ${expected}, got "${value}"`);
  let logLevel = env.LOG_LEVEL || 'info';
  if (!isLogLevel(logLevel)) {
    bad('LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
    logLevel = 'info';
  }
  let redisUrl = env.YIZHAN_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) {
    bad('YIZHAN_REDIS_URL', redisUrl, 'a URL like redis://127.0.0.1:6379/0');
    redisUrl = undefined;
  }
  const settings: BrokerSettings = {
    mqttPort: port(env, 'YIZHAN_MQTT_PORT', 1883, bad),
    mqttHost: env.YIZHAN_MQTT_HOST || DEFAULT_BROKER_HOST,
    metricsPort: port(env, 'YIZHAN_BROKER_METRICS_PORT', 9101, bad),
    metricsHost: env.YIZHAN_BROKER_METRICS_HOST || DEFAULT_BROKER_HOST,
    credentialsFile: env.YIZHAN_CREDENTIALS_FILE ? resolve(env.YIZHAN_CREDENTIALS_FILE) : defaultCredentialsFile(env),
    tls: tlsSettings(env, bad),
    wsPort: optionalPort(env, 'YIZHAN_MQTT_WS_PORT', bad),
    redisUrl,
    stateDir: stateDir(env, redisUrl),
    limits: limitSettings(env, bad),
    logLevel,
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}
