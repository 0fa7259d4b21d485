/**
 * Everything buildApp() needs. main.ts fills it from the settings (settings.ts, config.ts); tests
 * fill it directly. The DEFAULT_* values here are the only statement of those defaults: the
 * settings declaration shows them with their units.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { AlertRule } from './alerts/types.js';
import type { SerialLinkDownOptions } from './alerts/rules/serial-link-down.js';
import type { AlertRulesFile } from '@yizhan/station-config/alert-rules';
import type { WebhookOptions } from './alerts/webhook.js';
import type { NotifyOptions } from './notify/options.js';
import type { Lang } from './i18n.js';
import type { TownshipDef } from './org/hierarchy.js';
import type { IngestOptions } from './ingest/ingest.js';
import type { MqttOptions } from './ingest/mqtt.js';
import type { InfluxConnection } from './influx/transport.js';
import type { WriterOptions } from './influx/writer.js';
import type { WorkOrderOptions } from './workorders/sla.js';
import type { MapTiles } from './planning/coverage-schemas.js';
import type { PlanningOptions } from './planning/travel.js';

export interface InfluxOptions extends InfluxConnection {
  /** Retention of the default policy, ms. Default {@link DEFAULT_RETENTION_MS}. */
  retentionMs?: number;
  writer?: Partial<WriterOptions>;
  /** Backoff of the setup retries, ms. */
  setupBackoff?: { minMs?: number; maxMs?: number };
  /** Size bound of the on-disk write spool (under `dataDir`), bytes. Default DEFAULT_SPOOL_MAX_BYTES (influx/spool.ts). */
  spoolMaxBytes?: number;
  /** Group commit of that spool: at most one fdatasync per this many ms. Default DEFAULT_SPOOL_SYNC_INTERVAL_MS. */
  spoolSyncIntervalMs?: number;
  /** Rollup retention policy and continuous queries (1.x); see docs/data-model.md. */
  rollups?: { rp?: string; retentionMs?: number; enabled?: boolean };
}

/** 30 days, in ms. */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
/** SSE keep-alive comment interval, ms. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** An SSE client with more unsent bytes than this is disconnected. */
export const DEFAULT_SSE_MAX_BUFFER_BYTES = 256 * 1024;
/**
 * Open /api/v1/events streams per client address: room for a county office or a carrier NAT full
 * of riders' phones, not for one host opening thousands.
 */
export const DEFAULT_SSE_MAX_PER_ADDRESS = 100;
/** Largest request body of the API, bytes (every write of the API is a small JSON object). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/** Longest wait for flushing at shutdown, ms. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** How often time-based alert rules are evaluated, ms. */
export const DEFAULT_ALERT_TICK_MS = 5_000;

export interface ServerOptions {
  /** The station registry (firmware-config/stations). */
  stations: readonly StationConfig[];
  /** Township codes and names (org/hierarchy.ts); a township without one is known by its name. */
  townships?: readonly TownshipDef[];
  mqtt: MqttOptions;
  influx: InfluxOptions;
  alerts?: {
    /** Webhook receiver; no notifications when absent. */
    webhook?: Partial<WebhookOptions> & { url: string };
    /** Resolved alerts the engine keeps in memory (engine.list); the API reads the operations store. */
    historySize?: number;
    /** Replace the default rule set. */
    rules?: AlertRule[];
    /**
     * serial_link_down settings (durations with units); ignored with `rules`. `hold` is deprecated:
     * it becomes the default of `serial_link_down.for` under alert-rules.yaml.
     */
    serialLinkDown?: Partial<SerialLinkDownOptions>;
    /**
     * alert-rules.yaml as loaded at start (main.ts refuses to start on a bad one), reloaded on
     * change, SIGHUP and POST /api/v1/alert-rules/reload. Absent: the schema defaults.
     */
    rulesFile?: { file: string; rules: AlertRulesFile };
    tickIntervalMs?: number;
  };
  /** Notifications (plugins/notify.ts): the routing file, the links' prefix, outbox and escalation knobs. */
  notify?: NotifyOptions;
  ingest?: Partial<IngestOptions>;
  /**
   * Folder for local data: the InfluxDB write-ahead spool (`influx-spool/`) and the dead-letter log
   * (`dead-letter.ndjson`). Absent: no spool (lines wait in memory only, messages are acknowledged
   * when handled) and no dead-letter file.
   */
  dataDir?: string;
  /**
   * Operations store (accounts, alerts, audit): a postgres:// URL, or absent for SQLite in
   * `dataDir/yizhan.db` (in memory when dataDir is absent too, for tests).
   */
  dbUrl?: string;
  /** maxPerAddress: open /api/v1/events streams one client address may hold (default DEFAULT_SSE_MAX_PER_ADDRESS). */
  sse?: { heartbeatMs?: number; maxBufferBytes?: number; maxPerAddress?: number };
  /** Default language of pages and errors. Default zh-CN. */
  lang?: Lang;
  /** The county's IANA time zone: silences' recurring windows are its local time. Default Asia/Shanghai. */
  timeZone?: string;
  /** pino level for the built-in logger (ignored with loggerInstance). Default info. */
  logLevel?: string;
  loggerInstance?: FastifyBaseLogger;
  shutdownGraceMs?: number;
  /** Collect Node process metrics (default true). */
  defaultMetrics?: boolean;
  /** Audit log retention, ms: older entries are deleted once a day. Default DEFAULT_AUDIT_RETENTION_MS (org/audit-retention.ts). */
  auditRetentionMs?: number;
  /** Work orders: SLA by severity, sensor verification hold and timeout (workorders/sla.ts). */
  workOrders?: WorkOrderOptions;
  /** Coverage grid: speeds by mode, road detour, service-circle threshold, H3 resolution (planning/travel.ts). */
  planning?: PlanningOptions;
  /**
   * Ranking store sync (planning/daily-sync.ts): run interval, ms (default 5 min); enabled: false
   * never syncs (the ranking reads InfluxDB); retentionMs: day rows older than this are pruned
   * (default DEFAULT_RANKING_STORE_RETENTION_MS).
   */
  rankingSync?: { intervalMs?: number; enabled?: boolean; retentionMs?: number };
  /**
   * Notices for station screens (notices/board.ts): reloadMs, how often the board reads the store
   * for notices written through another server process (default DEFAULT_NOTICE_RELOAD_MS).
   */
  notices?: { reloadMs?: number };
  /** Fleet figures: an online station silent this long is dark, ms. Default DEFAULT_DARK_AFTER_MS (org/fleet.ts). */
  fleet?: { darkAfterMs?: number };
  /**
   * The riders' public endpoints (/api/v1/public/*): requests one client address may make per
   * minute (a burst of that many, then refilled evenly; default DEFAULT_RIDER_REQUESTS_PER_MIN), and
   * how old the live snapshot behind an answer may be (default DEFAULT_RIDER_SNAPSHOT_MS).
   */
  riders?: { requestsPerMin?: number; snapshotMs?: number };
  /**
   * Station screens (/screen/:id): the server's public address, where the screen's QR code sends
   * riders (`<publicUrl>/m/?station=<id>`); unset: the address the screen itself was opened at.
   */
  screen?: { publicUrl?: string };
  /**
   * Riders' reports (reports/limits.ts defaults): new reports per device an hour and a day, per
   * address an hour; unknown receipts per address an hour; days a closed report keeps the contact.
   */
  reports?: {
    perDeviceHour?: number;
    perDeviceDay?: number;
    perAddressHour?: number;
    receiptMissesPerAddressHour?: number;
    contactRetentionDays?: number;
  };
  /**
   * Deprecated shared bearer token of the config API (PUT /api/v1/stations/:id/config), kept so old
   * scripts work; personal API tokens replace it. Never logged.
   */
  apiToken?: string;
  /**
   * fastify's trustProxy: which proxies' X-Forwarded-For/-Proto to believe (client address for the
   * login rate limit, https for Secure cookies): false (default) or the proxies' addresses/CIDRs.
   */
  trustProxy?: boolean | string | string[];
  /** The built staff web app served at /app/ (routes/web.ts). Default: web/dist of this repository. */
  webDir?: string;
  /** Tile source of the planners' map (planning/map-tiles.ts). Default NO_TILES: a plain map. */
  mapTiles?: MapTiles;
}
