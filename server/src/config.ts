/**
 * Server settings from environment variables. One TypeBox schema, keyed by the variable names,
 * describes each setting (see `npx tsx server/src/main.ts --help`). Durations carry their unit
 * (`5s`, `10min`). Errors read `NAME: message`; unknown `YIZHAN_*` variables are refused with a
 * "did you mean" hint, except the prefixes other components own (IGNORED_PREFIXES).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { readFileSync } from 'node:fs';
import { LOG_LEVELS } from '@yizhan/common/log-levels';
import { DURATION_PATTERN, parseDuration, parseSize } from '@yizhan/protocol';
import { DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_SYNC_INTERVAL_MS } from './influx/spool.js';
import { DEFAULT_WRITER_OPTIONS } from './influx/writer.js';
import { DEFAULT_INFLUX_CONNECTION, type InfluxConnection } from './influx/transport.js';

const Dur = (description: string, dflt: string) =>
  Type.String({
    pattern: DURATION_PATTERN,
    description: `${description} (duration, e.g. "${dflt}")`,
    default: dflt,
  });
/** A byte size with its unit (`512MB`, `1GB`; powers of 1024), checked by parseSize(). */
const Size = (description: string, dflt: string) =>
  Type.String({ description: `${description} (size: B, KB, MB or GB, e.g. "${dflt}")`, default: dflt });
const Port = (description: string, dflt: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, description: `${description} (0..65535)`, default: dflt });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
/** The write API token is at least this long (as YIZHAN_API_TOKEN or in YIZHAN_API_TOKEN_FILE). */
const API_TOKEN_MIN = 16;

export const EnvSchema = Type.Object({
  YIZHAN_HTTP_HOST: Type.String({
    minLength: 1,
    default: '0.0.0.0',
    description: 'Address the HTTP server listens on',
  }),
  YIZHAN_HTTP_PORT: Port('HTTP port for the API, station screens and /metrics', 8080),
  YIZHAN_MQTT_URL: Opt(
    Type.String({
      pattern: '^(mqtts?|wss?|tcp|tls)://',
      description: 'Broker URL, e.g. mqtt://127.0.0.1:1883; default mqtt://127.0.0.1:$YIZHAN_MQTT_PORT',
    }),
  ),
  YIZHAN_MQTT_PORT: Port('Port of the local broker, used when YIZHAN_MQTT_URL is unset', 1883),
  YIZHAN_MQTT_USERNAME: Opt(
    Type.String({ minLength: 1, description: 'MQTT user of the server (role "server")' }),
  ),
  YIZHAN_MQTT_PASSWORD: Opt(
    Type.String({ minLength: 1, description: 'MQTT password (prefer YIZHAN_MQTT_PASSWORD_FILE)' }),
  ),
  YIZHAN_MQTT_PASSWORD_FILE: Opt(
    Type.String({ minLength: 1, description: 'File whose content (trimmed) is the MQTT password' }),
  ),
  YIZHAN_API_TOKEN: Opt(
    Type.String({
      minLength: API_TOKEN_MIN,
      description: 'Bearer token of the write API (PUT …/config); unset: writes refused (prefer YIZHAN_API_TOKEN_FILE)',
    }),
  ),
  YIZHAN_API_TOKEN_FILE: Opt(
    Type.String({ minLength: 1, description: 'File whose content (trimmed) is the write API token' }),
  ),
  YIZHAN_MQTT_CLIENT_ID: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    default: 'yizhan-server',
    description: 'Stable MQTT client id; the broker keeps the QoS 1 session under it',
  }),
  INFLUX_URL: Opt(
    Type.String({
      pattern: '^https?://',
      description: 'InfluxDB URL; default http://127.0.0.1:$YIZHAN_INFLUX_PORT',
    }),
  ),
  YIZHAN_INFLUX_PORT: Port('Port of the local influxd, used when INFLUX_URL is unset', 8086),
  INFLUX_API: Type.Union([Type.Literal('v1'), Type.Literal('v2')], {
    default: DEFAULT_INFLUX_CONNECTION.api,
    description:
      'v1: 1.x /write and /query (creates database and retention policy); v2: 2.x/3.x write API with a token',
  }),
  INFLUX_DB: Type.String({
    minLength: 1,
    default: DEFAULT_INFLUX_CONNECTION.db,
    description: 'Database (1.x) / DBRP database (2.x)',
  }),
  INFLUX_RP: Type.String({
    minLength: 1,
    default: DEFAULT_INFLUX_CONNECTION.rp,
    description: 'Default retention policy created at start (1.x)',
  }),
  INFLUX_TOKEN: Opt(
    Type.String({ minLength: 1, description: 'API token (v2), or "user:password" for 1.8+ with auth' }),
  ),
  INFLUX_ORG: Opt(Type.String({ minLength: 1, description: 'Organisation (v2)' })),
  INFLUX_BUCKET: Opt(
    Type.String({ minLength: 1, description: 'Bucket (v2); default "$INFLUX_DB/$INFLUX_RP"' }),
  ),
  INFLUX_USERNAME: Opt(Type.String({ minLength: 1, description: 'User for InfluxDB 1.x authentication' })),
  INFLUX_PASSWORD: Opt(Type.String({ description: 'Password for InfluxDB 1.x authentication' })),
  YIZHAN_INFLUX_V1_AUTH: Type.Union([Type.Literal('basic'), Type.Literal('params')], {
    default: DEFAULT_INFLUX_CONNECTION.v1Auth,
    description: 'How 1.x credentials are sent: basic (Authorization header) or params (u/p in the URL)',
  }),
  YIZHAN_INFLUX_RETENTION: Dur('Duration of the retention policy', '30d'),
  YIZHAN_INFLUX_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: DEFAULT_WRITER_OPTIONS.batchSize,
    description: 'Points per write request',
  }),
  YIZHAN_INFLUX_MAX_IN_FLIGHT: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: DEFAULT_WRITER_OPTIONS.maxInFlight,
    description: 'Concurrent InfluxDB write requests of live data',
  }),
  YIZHAN_INFLUX_FLUSH_INTERVAL: Dur('Longest time a point waits before it is written', `${DEFAULT_WRITER_OPTIONS.flushIntervalMs}ms`),
  YIZHAN_INFLUX_MAX_BUFFER_LINES: Type.Integer({
    minimum: 100,
    maximum: 10_000_000,
    default: DEFAULT_WRITER_OPTIONS.maxBufferLines,
    description: 'Points held in memory for InfluxDB; beyond, the oldest go to the disk spool',
  }),
  YIZHAN_INFLUX_SPOOL_MAX: Size(
    'Size bound of the write-ahead spool ($YIZHAN_DATA_DIR/influx-spool); past it the oldest undelivered lines are dropped and counted',
    '1GB',
  ),
  YIZHAN_INFLUX_SPOOL_SYNC: Dur(
    'Group commit of the write-ahead spool: at most one fdatasync per this interval; a message is acknowledged once its lines are synced',
    `${DEFAULT_SPOOL_SYNC_INTERVAL_MS}ms`,
  ),
  YIZHAN_DATA_DIR: Type.String({
    minLength: 1,
    default: '.data',
    description: 'Folder for local data: InfluxDB write-ahead spool, dead-letter log',
  }),
  YIZHAN_STATIONS_DIR: Opt(
    Type.String({
      minLength: 1,
      description: 'Folder of station YAML files; default firmware-config/stations',
    }),
  ),
  YIZHAN_ALERT_WEBHOOK_URL: Opt(
    Type.String({ pattern: '^https?://', description: 'Alerts are POSTed here as JSON on fire and resolve' }),
  ),
  YIZHAN_ALERT_WEBHOOK_TIMEOUT: Dur('Timeout of one webhook request', '5s'),
  YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD: Dur(
    'How long a station must report its serial link down before serial_link_down fires',
    '1min',
  ),
  YIZHAN_LANG: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], {
    default: 'zh-CN',
    description: 'Default language of pages and messages (?lang= or Accept-Language override it)',
  }),
  YIZHAN_INGEST_MAX_FUTURE: Dur(
    'Messages stamped further ahead of the server clock are refused (ts_future)',
    '10min',
  ),
  YIZHAN_SSE_HEARTBEAT: Dur('Interval of the keep-alive comment on /api/v1/events', '15s'),
  YIZHAN_SHUTDOWN_GRACE: Dur('Longest wait for flushing InfluxDB and webhooks at shutdown', '10s'),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
});
export type Env = Static<typeof EnvSchema>;

const DURATIONS = new Set(
  Object.entries(EnvSchema.properties)
    .filter(([, s]) => (s as { pattern?: string }).pattern === DURATION_PATTERN)
    .map(([k]) => k),
);
/** Byte sizes: the smallest accepted, so a unit slip ("1B" for "1GB") is caught at start. */
const SIZES: Record<string, { min: number; minText: string }> = {
  YIZHAN_INFLUX_SPOOL_MAX: { min: 1024 ** 2, minText: '1MB' },
};
const KNOWN = Object.keys(EnvSchema.properties);
/** Settings whose values never appear in a message. */
const SECRETS = new Set(['YIZHAN_API_TOKEN', 'YIZHAN_MQTT_PASSWORD', 'INFLUX_PASSWORD', 'INFLUX_TOKEN']);
/** YIZHAN_* variables with these prefixes belong to other components and are not checked here. */
export const IGNORED_PREFIXES = [
  'YIZHAN_EDGE_',
  'YIZHAN_BROKER_',
  'YIZHAN_SIM_',
  'YIZHAN_AGENT_',
  'YIZHAN_BENCH_',
  'YIZHAN_TEST_',
];
/** Variables of other components that a shared environment (npm start) may carry; accepted, unused here. */
export const OTHER_COMPONENT_VARS = [
  'YIZHAN_MQTT_HOST',
  // the broker's (broker/src/settings.ts BROKER_SETTINGS; test/broker/settings.test.ts keeps the two in step)
  'YIZHAN_MQTT_TLS_PORT',
  'YIZHAN_MQTT_TLS_CERT',
  'YIZHAN_MQTT_TLS_KEY',
  'YIZHAN_MQTT_WS_PORT',
  'YIZHAN_REDIS_URL',
  'YIZHAN_MQTT_MAX_PACKET',
  'YIZHAN_MQTT_CONNECT_TIMEOUT',
  'YIZHAN_MQTT_STATION_RATE',
  'YIZHAN_MQTT_SESSION_QUEUE',
  'YIZHAN_MQTT_TRUSTED_ADDRESSES',
  'YIZHAN_CREDENTIALS_FILE',
  'YIZHAN_SERIAL',
  'YIZHAN_SECRETS_DIR',
  'YIZHAN_DASHBOARDS_DIR',
];

export interface ServerConfig {
  http: { host: string; port: number };
  mqtt: { url: string; username?: string; password?: string; clientId: string };
  /** Where and how to reach InfluxDB (see InfluxConnection), plus the writer's settings. */
  influx: InfluxConnection & {
    v1Auth: NonNullable<InfluxConnection['v1Auth']>;
    retentionMs: number;
    batchSize: number;
    flushIntervalMs: number;
    maxInFlight: number;
    maxBufferLines: number;
    /** Size bound of the on-disk write spool, bytes (YIZHAN_INFLUX_SPOOL_MAX). */
    spoolMaxBytes: number;
    /** Group commit interval of the spool, ms (YIZHAN_INFLUX_SPOOL_SYNC). */
    spoolSyncIntervalMs: number;
  };
  dataDir: string;
  stationsDir?: string;
  /** serialLinkDownHold: a duration with its unit, as the rule takes it (e.g. "1min"). */
  alerts: { webhookUrl?: string; webhookTimeoutMs: number; serialLinkDownHold: string };
  lang: 'zh-CN' | 'en';
  /** Write API token (YIZHAN_API_TOKEN or the file in YIZHAN_API_TOKEN_FILE); undefined: writes refused. */
  apiToken?: string;
  ingestMaxFutureMs: number;
  sseHeartbeatMs: number;
  shutdownGraceMs: number;
  logLevel: string;
}

export type ConfigResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[] };

/** Levenshtein distance (edits to turn a into b). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + same);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest known variable name, when it is close enough to be a likely typo. */
export function didYouMean(name: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of KNOWN) {
    const dd = distance(name, k);
    if (dd < bestD) [best, bestD] = [k, dd];
  }
  return best !== undefined && bestD <= Math.max(3, Math.floor(name.length / 4)) ? best : undefined;
}

/** Read and check the settings. Never throws; every problem is reported at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const errors: string[] = [];
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === '') continue;
    if (KNOWN.includes(k)) raw[k] = v;
    else if (
      k.startsWith('YIZHAN_') &&
      !OTHER_COMPONENT_VARS.includes(k) &&
      !IGNORED_PREFIXES.some((p) => k.startsWith(p))
    ) {
      const hint = didYouMean(k);
      errors.push(`${k}: unknown setting${hint ? `; did you mean ${hint}?` : ''}`);
    }
  }
  for (const k of DURATIONS) {
    const v = raw[k];
    if (v === undefined) continue;
    const d = parseDuration(v);
    if (!d.ok) errors.push(`${k}: ${d.message}`);
  }
  const sizes: Record<string, number> = {};
  for (const [k, { min, minText }] of Object.entries(SIZES)) {
    const text = raw[k] ?? (EnvSchema.properties as Record<string, { default?: string }>)[k]?.default;
    if (text === undefined) continue;
    const r = parseSize(text);
    if (!r.ok) errors.push(`${k}: ${r.message}`);
    else if (r.bytes < min) errors.push(`${k}: "${text}" is below the smallest accepted size, ${minText}`);
    else sizes[k] = r.bytes;
  }
  const value = Value.Default(EnvSchema, Value.Convert(EnvSchema, { ...raw }));
  for (const e of Value.Errors(EnvSchema, value)) {
    const name = e.path.replace(/^\//, '').split('/')[0] ?? e.path;
    if (DURATIONS.has(name)) continue; // reported above with a clearer message
    const desc = (EnvSchema.properties as Record<string, { description?: string }>)[name]?.description;
    const got = SECRETS.has(name) ? '(value not shown)' : JSON.stringify(raw[name] ?? null);
    errors.push(`${name}: ${e.message}, got ${got}${desc ? ` (${desc})` : ''}`);
  }
  let password: string | undefined;
  const v = value as Env;
  if (errors.length === 0 && v.YIZHAN_MQTT_PASSWORD_FILE) {
    if (v.YIZHAN_MQTT_PASSWORD)
      errors.push('YIZHAN_MQTT_PASSWORD_FILE: set either it or YIZHAN_MQTT_PASSWORD, not both');
    try {
      password = readFileSync(v.YIZHAN_MQTT_PASSWORD_FILE, 'utf8').trim();
      if (!password) errors.push(`YIZHAN_MQTT_PASSWORD_FILE: ${v.YIZHAN_MQTT_PASSWORD_FILE} is empty`);
    } catch (e) {
      errors.push(
        `YIZHAN_MQTT_PASSWORD_FILE: cannot read ${v.YIZHAN_MQTT_PASSWORD_FILE}: ${(e as Error).message}`,
      );
    }
  }
  const apiToken = errors.length === 0 ? readApiToken(v, errors) : undefined;
  if (errors.length) return { ok: false, errors: [...new Set(errors)] };
  const ms = (s: string) => {
    const d = parseDuration(s);
    return d.ok ? d.ms : 0;
  };
  return {
    ok: true,
    config: {
      http: { host: v.YIZHAN_HTTP_HOST, port: v.YIZHAN_HTTP_PORT },
      mqtt: {
        url: v.YIZHAN_MQTT_URL ?? `mqtt://127.0.0.1:${v.YIZHAN_MQTT_PORT}`,
        username: v.YIZHAN_MQTT_USERNAME,
        password: password ?? v.YIZHAN_MQTT_PASSWORD,
        clientId: v.YIZHAN_MQTT_CLIENT_ID,
      },
      influx: {
        url: v.INFLUX_URL ?? `http://127.0.0.1:${v.YIZHAN_INFLUX_PORT}`,
        api: v.INFLUX_API,
        db: v.INFLUX_DB,
        rp: v.INFLUX_RP,
        token: v.INFLUX_TOKEN,
        org: v.INFLUX_ORG,
        bucket: v.INFLUX_BUCKET,
        username: v.INFLUX_USERNAME,
        password: v.INFLUX_PASSWORD,
        v1Auth: v.YIZHAN_INFLUX_V1_AUTH,
        retentionMs: ms(v.YIZHAN_INFLUX_RETENTION),
        batchSize: v.YIZHAN_INFLUX_BATCH_SIZE,
        flushIntervalMs: ms(v.YIZHAN_INFLUX_FLUSH_INTERVAL),
        maxInFlight: v.YIZHAN_INFLUX_MAX_IN_FLIGHT,
        maxBufferLines: v.YIZHAN_INFLUX_MAX_BUFFER_LINES,
        spoolMaxBytes: sizes.YIZHAN_INFLUX_SPOOL_MAX ?? DEFAULT_SPOOL_MAX_BYTES,
        spoolSyncIntervalMs: ms(v.YIZHAN_INFLUX_SPOOL_SYNC),
      },
      dataDir: v.YIZHAN_DATA_DIR,
      stationsDir: v.YIZHAN_STATIONS_DIR,
      alerts: {
        webhookUrl: v.YIZHAN_ALERT_WEBHOOK_URL,
        webhookTimeoutMs: ms(v.YIZHAN_ALERT_WEBHOOK_TIMEOUT),
        serialLinkDownHold: v.YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD,
      },
      lang: v.YIZHAN_LANG,
      apiToken,
      ingestMaxFutureMs: ms(v.YIZHAN_INGEST_MAX_FUTURE),
      sseHeartbeatMs: ms(v.YIZHAN_SSE_HEARTBEAT),
      shutdownGraceMs: ms(v.YIZHAN_SHUTDOWN_GRACE),
      logLevel: v.LOG_LEVEL,
    },
  };
}

/** The write API token from YIZHAN_API_TOKEN or YIZHAN_API_TOKEN_FILE; problems go to `errors`. */
function readApiToken(v: Env, errors: string[]): string | undefined {
  if (!v.YIZHAN_API_TOKEN_FILE) return v.YIZHAN_API_TOKEN;
  if (v.YIZHAN_API_TOKEN) {
    errors.push('YIZHAN_API_TOKEN_FILE: set either it or YIZHAN_API_TOKEN, not both');
    return undefined;
  }
  let token: string;
  try {
    token = readFileSync(v.YIZHAN_API_TOKEN_FILE, 'utf8').trim();
  } catch (e) {
    errors.push(`YIZHAN_API_TOKEN_FILE: cannot read ${v.YIZHAN_API_TOKEN_FILE}: ${(e as Error).message}`);
    return undefined;
  }
  if (token.length < API_TOKEN_MIN) {
    errors.push(
      `YIZHAN_API_TOKEN_FILE: the token in ${v.YIZHAN_API_TOKEN_FILE} is ${token ? 'shorter than' : 'empty; at least'} ${API_TOKEN_MIN} characters`,
    );
    return undefined;
  }
  return token;
}

/** Human-readable list of every setting with its default, for `--help`. */
export function describeConfig(): string {
  return Object.entries(EnvSchema.properties)
    .map(([k, s]) => {
      const sch = s as { description?: string; default?: unknown };
      return `  ${k.padEnd(32)} ${sch.description ?? ''}${sch.default !== undefined ? ` [default: ${JSON.stringify(sch.default)}]` : ''}`;
    })
    .join('\n');
}
