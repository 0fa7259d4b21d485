/**
 * Server settings (declared in settings.ts) read from the environment and shaped into the
 * ServerConfig main.ts builds the app from. Errors read `NAME: message`, all at once.
 */
import { helpText, parseSettings, type Lang } from '@yizhan/common/settings';
import type { InfluxConnection } from './influx/transport.js';
import { reportOptions } from './reports/settings.js';
import { SERVER_SETTINGS } from './settings.js';
import type { MapTiles } from './planning/coverage-schemas.js';
import { mapTilesOf } from './planning/map-tiles.js';

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
  /** Operations store: a postgres:// URL, or undefined for SQLite in dataDir (YIZHAN_DB_URL). */
  dbUrl?: string;
  stationsDir?: string;
  /** YIZHAN_TOWNSHIPS_FILE; undefined: townships.yaml beside the stations folder, when it exists. */
  townshipsFile?: string;
  /** How long audit entries are kept, ms (YIZHAN_AUDIT_RETENTION). */
  auditRetentionMs: number;
  /** An online station silent this long is dark, ms (YIZHAN_DARK_AFTER). */
  darkAfterMs: number;
  /** serialLinkDownHold (deprecated): a duration with its unit (e.g. "1min"), the default of serial_link_down.for. */
  alerts: { webhookUrl?: string; webhookTimeoutMs: number; serialLinkDownHold?: string };
  /** YIZHAN_ALERT_RULES_FILE; undefined: alert-rules.yaml beside the stations folder, when it exists. */
  alertRulesFile?: string;
  /** YIZHAN_NOTIFY_FILE (undefined: no routing file) and YIZHAN_PUBLIC_URL. */
  notify: { file?: string; publicUrl: string };
  /** YIZHAN_PUBLIC_URL as set (no default): the station screens' QR code target. */
  publicUrl?: string;
  /** SLA by severity and sensor verification of work orders, ms (YIZHAN_SLA_*, YIZHAN_WORK_ORDER_VERIFY_*). */
  workOrders: {
    slaMs: { critical: number; warning: number; info: number };
    verifyHoldMs: number;
    verifyTimeoutMs: number;
  };
  /** How long the ranking store keeps day rows, ms (YIZHAN_RANKING_STORE_RETENTION). */
  rankingStoreRetentionMs: number;
  /** Coverage grid (YIZHAN_PLANNING_*): speeds by mode, km/h; detour; threshold, minutes; H3 resolution. */
  planning: { speedKmh: { walk: number; ebike: number }; detour: number; thresholdMin: number; resolution: number };
  lang: 'zh-CN' | 'en';
  /** The county's IANA time zone for silences' windows (YIZHAN_TIMEZONE). */
  timeZone: string;
  /** Deprecated shared config-API token (YIZHAN_API_TOKEN or YIZHAN_API_TOKEN_FILE). */
  apiToken?: string;
  /** fastify trustProxy (YIZHAN_TRUST_PROXY): the proxies' addresses or CIDRs; false when unset. */
  trustProxy: string[] | false;
  /** The built staff web app (YIZHAN_WEB_DIR); undefined for the repository's web/dist. */
  webDir?: string;
  /** The planners' map tiles (YIZHAN_MAP_TILES, _URL, _KEY, _DATUM). */
  mapTiles: MapTiles;
  ingestMaxFutureMs: number;
  sseHeartbeatMs: number;
  sseMaxPerAddress: number;
  riderRequestsPerMin: number;
  /** Riders' reports: limits and contact retention (YIZHAN_REPORTS_PER_*, YIZHAN_REPORT_CONTACT_RETENTION_DAYS). */
  reports: ReturnType<typeof reportOptions>;
  shutdownGraceMs: number;
  logLevel: string;
}

export type ConfigResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[] };

// No hop count: fastify 5 refuses to trust by count alone (it cannot check the immediate peer).
function trustProxyOf(v: string | undefined): string[] | false {
  return v ? v.split(',').map((a) => a.trim()) : false;
}

/** Read and check the settings. Never throws; every problem is reported at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const r = parseSettings(SERVER_SETTINGS, { env });
  if (r.problems.length > 0) return { ok: false, errors: r.problems };
  const v = r.values;
  const tiles = mapTilesOf({ kind: v.mapTiles, url: v.mapTileUrl, key: v.mapTileKey, datum: v.mapTileDatum });
  if (!tiles.ok) return { ok: false, errors: tiles.errors };
  return {
    ok: true,
    config: {
      http: { host: v.httpHost, port: v.httpPort },
      mqtt: {
        url: v.mqttUrl ?? `mqtt://127.0.0.1:${v.mqttPort}`,
        username: v.mqttUsername,
        password: v.mqttPassword,
        clientId: v.mqttClientId,
      },
      influx: {
        url: v.influxUrl ?? `http://127.0.0.1:${v.influxPort}`,
        api: v.influxApi,
        db: v.influxDb,
        rp: v.influxRp,
        token: v.influxToken,
        org: v.influxOrg,
        bucket: v.influxBucket,
        username: v.influxUsername,
        password: v.influxPassword,
        v1Auth: v.influxV1Auth,
        retentionMs: v.influxRetention,
        batchSize: v.influxBatchSize,
        flushIntervalMs: v.influxFlushInterval,
        maxInFlight: v.influxMaxInFlight,
        maxBufferLines: v.influxMaxBufferLines,
        spoolMaxBytes: v.influxSpoolMax,
        spoolSyncIntervalMs: v.influxSpoolSync,
      },
      dataDir: v.dataDir,
      dbUrl: v.dbUrl,
      stationsDir: v.stationsDir,
      townshipsFile: v.townshipsFile,
      alertRulesFile: v.alertRulesFile,
      auditRetentionMs: v.auditRetention,
      darkAfterMs: v.darkAfter,
      alerts: {
        webhookUrl: v.alertWebhookUrl,
        webhookTimeoutMs: v.alertWebhookTimeout,
        serialLinkDownHold: v.alertSerialLinkDownHold,
      },
      notify: {
        ...(v.notifyFile ? { file: v.notifyFile } : {}),
        publicUrl: v.publicUrl ?? `http://localhost:${v.httpPort}`,
      },
      ...(v.publicUrl ? { publicUrl: v.publicUrl } : {}),
      workOrders: {
        slaMs: { critical: v.slaCritical, warning: v.slaWarning, info: v.slaInfo },
        verifyHoldMs: v.workOrderVerifyHold,
        verifyTimeoutMs: v.workOrderVerifyTimeout,
      },
      planning: {
        speedKmh: { walk: v.planningWalkSpeed, ebike: v.planningEbikeSpeed },
        detour: v.planningDetour,
        thresholdMin: v.planningThreshold,
        resolution: v.planningH3Resolution,
      },
      rankingStoreRetentionMs: v.rankingStoreRetention,
      lang: v.lang,
      timeZone: v.timezone,
      apiToken: v.apiToken,
      trustProxy: trustProxyOf(v.trustProxy),
      webDir: v.webDir,
      mapTiles: tiles.tiles,
      ingestMaxFutureMs: v.ingestMaxFuture,
      sseHeartbeatMs: v.sseHeartbeat,
      sseMaxPerAddress: v.sseMaxPerAddress,
      riderRequestsPerMin: v.riderRequestsPerMin,
      reports: reportOptions(v),
      shutdownGraceMs: v.shutdownGrace,
      logLevel: v.logLevel,
    },
  };
}

/** Every setting with its default, for `--help` (Chinese unless `en`). */
export function describeConfig(lang: Lang = 'zh-CN'): string {
  return helpText(SERVER_SETTINGS, lang);
}
