/**
 * Prometheus metrics of the server, one registry per app instance (tests build several apps in
 * one process). Every drop, rejection and failure has a counter here; `/metrics` serves them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registries a metric registers with: the app instance's own. */
type Registers = Registry[];

/** MQTT ingest: the connection, accepted and refused messages, held acknowledgements. */
function ingestMetrics(r: Registers) {
  return {
    mqttConnected: new Gauge({
      name: 'yizhan_mqtt_connected',
      help: '1 while the server is connected to the MQTT broker',
      registers: r,
    }),
    mqttReconnects: new Counter({
      name: 'yizhan_mqtt_reconnects_total',
      help: 'Reconnect attempts to the MQTT broker',
      registers: r,
    }),
    ingestMessages: new Counter({
      name: 'yizhan_ingest_messages_total',
      help: 'MQTT messages accepted, by topic leaf',
      labelNames: ['leaf'] as const,
      registers: r,
    }),
    ingestRejected: new Counter({
      name: 'yizhan_ingest_rejected_total',
      help: 'MQTT messages (or single readings) refused, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    mqttAcksHeld: new Gauge({
      name: 'yizhan_mqtt_acks_held',
      help: 'PUBACKs waiting for the group commit that makes their message durable',
      registers: r,
    }),
    mqttAcksWithheld: new Counter({
      name: 'yizhan_mqtt_acks_withheld_total',
      help: 'PUBACKs never sent, by reason: not_durable (spool error; the broker sends the message again on reconnect), disconnected (the connection closed first)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    ingestDuplicates: new Counter({
      name: 'yizhan_ingest_duplicates_total',
      help: 'MQTT redeliveries recognised by (station, bootId, seq) and not applied again',
      registers: r,
    }),
  };
}

/** InfluxDB writes: points accepted, failed and dropped, request latency, what waits in memory. */
function influxWriteMetrics(r: Registers) {
  return {
    influxPointsWritten: new Counter({
      name: 'yizhan_influx_points_written_total',
      help: 'Points (lines) InfluxDB accepted',
      registers: r,
    }),
    influxWriteErrors: new Counter({
      name: 'yizhan_influx_write_errors_total',
      help: 'Failed InfluxDB write requests, by whether the client retries them',
      labelNames: ['retriable'] as const,
      registers: r,
    }),
    influxPointsDropped: new Counter({
      name: 'yizhan_influx_points_dropped_total',
      help: 'Points given up: rejected (InfluxDB refused the line; sampled to the dead-letter log), invalid, buffer_full (no spool), spool_full (oldest spool segment deleted at the size bound), spool_error (could not append: the message is not acknowledged), closed, shutdown (no spool)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    influxWriteDuration: new Histogram({
      name: 'yizhan_influx_write_duration_seconds',
      help: 'Latency of InfluxDB write requests',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
      registers: r,
    }),
    influxWritesInFlight: new Gauge({
      name: 'yizhan_influx_writes_in_flight',
      help: 'InfluxDB write requests awaiting an answer now (live batches and spool replays)',
      registers: r,
    }),
    influxQueueLines: new Gauge({
      name: 'yizhan_influx_queue_lines',
      help: 'Lines held in memory for InfluxDB (not yet written; older ones are read back from the spool)',
      registers: r,
    }),
    influxPointsReceived: new Counter({
      name: 'yizhan_influx_points_received_total',
      help: 'Points (lines) handed to the InfluxDB writer',
      registers: r,
    }),
  };
}

/** The write-ahead spool in front of InfluxDB. */
function influxSpoolMetrics(r: Registers) {
  return {
    influxPointsSpooled: new Counter({
      name: 'yizhan_influx_points_spooled_total',
      help: 'Lines appended to the write-ahead spool on disk (every line, before its message is acknowledged)',
      registers: r,
    }),
    influxPointsReplayed: new Counter({
      name: 'yizhan_influx_points_replayed_total',
      help: 'Lines written to InfluxDB read back from the spool on disk (a backlog, or left by a previous run)',
      registers: r,
    }),
    influxSpoolBytes: new Gauge({
      name: 'yizhan_influx_spool_bytes',
      help: 'Bytes in the write-ahead spool not yet written to InfluxDB',
      registers: r,
    }),
    influxSpoolErrors: new Counter({
      name: 'yizhan_influx_spool_errors_total',
      help: 'I/O errors of the write-ahead spool, by operation (append, sync, read, cursor, delete)',
      labelNames: ['op'] as const,
      registers: r,
    }),
    influxSpoolSyncDuration: new Histogram({
      name: 'yizhan_influx_spool_sync_seconds',
      help: 'Duration of one group commit (fdatasync) of the write-ahead spool',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
  };
}

/** InfluxDB health and freshness: up, reading ages, the dead-letter log, setup. */
function influxHealthMetrics(r: Registers) {
  return {
    influxUp: new Gauge({
      name: 'yizhan_influx_up',
      help: '0 while InfluxDB fails writes for a reason a retry may fix (lines go to the spool)',
      registers: r,
    }),
    influxEnqueueAge: new Histogram({
      name: 'yizhan_influx_enqueue_age_seconds',
      help: 'Reading timestamp to handed to the InfluxDB writer (station, broker and server ingest; first line of each write call)',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: r,
    }),
    influxPointAge: new Histogram({
      name: 'yizhan_influx_point_age_seconds',
      help: 'Reading timestamp to stored in InfluxDB (spool replays included)',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: r,
    }),
    deadLetterWritten: new Counter({
      name: 'yizhan_dead_letter_written_total',
      help: 'Samples written to the dead-letter log, by source (mqtt, influx)',
      labelNames: ['source'] as const,
      registers: r,
    }),
    deadLetterSkipped: new Counter({
      name: 'yizhan_dead_letter_skipped_total',
      help: 'Dead-letter samples not written: rate_limited (counters still count) or io_error',
      labelNames: ['why'] as const,
      registers: r,
    }),
    influxSetupDone: new Gauge({
      name: 'yizhan_influx_setup_done',
      help: '1 once the database and retention policy exist (or setup was skipped on 2.x/3.x)',
      registers: r,
    }),
  };
}

/** Alerts: rule states, history and the store's write queue (delivery: notify/outbox-metrics.ts). */
function alertMetrics(r: Registers) {
  return {
    alertsFiring: new Gauge({
      name: 'yizhan_alerts_firing',
      help: 'Alerts firing now, by rule',
      labelNames: ['rule'] as const,
      registers: r,
    }),
    alertTransitions: new Counter({
      name: 'yizhan_alerts_total',
      help: 'Alert state changes, by rule and status (firing, resolved)',
      labelNames: ['rule', 'status'] as const,
      registers: r,
    }),
    alertObservationsIgnored: new Counter({
      name: 'yizhan_alert_observations_ignored_total',
      help: 'Observations an alert rule did not act on, by rule and reason (e.g. historical: a report too old to be live)',
      labelNames: ['rule', 'reason'] as const,
      registers: r,
    }),
    alertHistoryDropped: new Counter({
      name: 'yizhan_alert_history_dropped_total',
      help: 'Resolved alerts removed from the bounded in-memory history',
      registers: r,
    }),
    alertsSilenced: new Counter({
      name: 'yizhan_alerts_silenced_total',
      help: 'Alert changes a silence matched: recorded, not sent, by rule',
      labelNames: ['rule'] as const,
      registers: r,
    }),
    alertStoreQueue: new Gauge({
      name: 'yizhan_alert_store_queue_depth',
      help: 'Alert fires and resolves waiting to be written to the operations store',
      registers: r,
    }),
    alertStoreDropped: new Counter({
      name: 'yizhan_alert_store_dropped_total',
      help: 'Alert fires and resolves not written to the operations store: queue_full, write_failed, shutdown',
      labelNames: ['reason'] as const,
      registers: r,
    }),
  };
}

/** The HTTP live stream (SSE) and station presence. */
function liveMetrics(r: Registers) {
  return {
    sseClients: new Gauge({
      name: 'yizhan_sse_clients',
      help: 'Connected /api/v1/events clients',
      registers: r,
    }),
    sseDropped: new Counter({
      name: 'yizhan_sse_clients_dropped_total',
      help: 'SSE clients disconnected because they read too slowly (buffer over the limit)',
      registers: r,
    }),
    sseRefused: new Counter({
      name: 'yizhan_sse_refused_total',
      help: 'SSE streams refused before opening, by reason: per_address (the address already holds the most allowed)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    stationsOnline: new Gauge({
      name: 'yizhan_stations_online',
      help: 'Stations whose agent is online',
      registers: r,
    }),
  };
}

/** The riders' public endpoints: answers by outcome, and how often the live snapshot was rebuilt. */
function riderMetrics(r: Registers) {
  return {
    riderRequests: new Counter({
      name: 'yizhan_rider_requests_total',
      help: "Requests to the riders' public endpoints, by route (nearby, townships, notices) and outcome: ok, bad_request (a parameter refused), rate_limited (429), error",
      labelNames: ['route', 'outcome'] as const,
      registers: r,
    }),
    riderSnapshots: new Counter({
      name: 'yizhan_rider_snapshots_total',
      help: 'Live snapshots built for the riders\' nearby answers (at most one per snapshot window, however many phones ask)',
      registers: r,
    }),
    riderReports: new Counter({
      name: 'yizhan_rider_reports_total',
      help: "Riders' reports by category and outcome: received (stored), valid, duplicate, not_valid, outside_remit (triage decisions), resolved",
      labelNames: ['category', 'outcome'] as const,
      registers: r,
    }),
    riderReportRejects: new Counter({
      name: 'yizhan_rider_report_rejects_total',
      help: 'Refused report requests (nothing stored) by reason: rate_limited, bad_field, bad_device, too_large, not_image, bad_image, too_big_image, too_many_photos, bad_token, unknown_receipt',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    riderReportPhotos: new Counter({
      name: 'yizhan_rider_report_photos_total',
      help: "Photos stored with riders' reports, by whether their metadata was stripped (stripped) or the rider kept the location (kept)",
      labelNames: ['metadata'] as const,
      registers: r,
    }),
    riderReportContactsDeleted: new Counter({
      name: 'yizhan_rider_report_contacts_deleted_total',
      help: "Riders' contact data deleted by the retention job (reports closed longer than YIZHAN_REPORT_CONTACT_RETENTION_DAYS)",
      registers: r,
    }),
  };
}

/** People: logins, lockouts, refused requests, the operations store. */
function authMetrics(r: Registers) {
  return {
    logins: new Counter({
      name: 'yizhan_logins_total',
      help: 'Login attempts, by outcome: ok, bad_credentials, locked, rate_limited, disabled',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    lockouts: new Counter({
      name: 'yizhan_account_lockouts_total',
      help: 'Accounts locked after too many failed logins',
      registers: r,
    }),
    authDenied: new Counter({
      name: 'yizhan_auth_denied_total',
      help: 'Requests refused by the auth guard, by reason: login_required, forbidden, forbidden_township, csrf_failed',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    legacyTokenUses: new Counter({
      name: 'yizhan_legacy_api_token_uses_total',
      help: 'Requests authorised by the deprecated shared YIZHAN_API_TOKEN (replace it with personal tokens)',
      registers: r,
    }),
    storeErrors: new Counter({
      name: 'yizhan_store_errors_total',
      help: 'Failed writes to the operations store, by what was written',
      labelNames: ['what'] as const,
      registers: r,
    }),
  };
}

function planningMetrics(r: Registers) {
  return {
    rankingSyncRows: new Counter({
      name: 'yizhan_ranking_store_rows_synced_total',
      help: 'station_use_1d rows copied from InfluxDB into the ranking store (planning/daily-sync.ts)',
      registers: r,
    }),
    rankingSyncLastSuccess: new Gauge({
      name: 'yizhan_ranking_store_last_success_seconds',
      help: 'Unix time of the last span the ranking store sync copied; 0 before the first',
      registers: r,
    }),
    rankingSyncedTo: new Gauge({
      name: 'yizhan_ranking_store_synced_to_seconds',
      help: 'The ranking store holds every daily row before this Unix time (backfill progress; the ranking reads InfluxDB for ranges ending later)',
      registers: r,
    }),
    rankingSyncErrors: new Counter({
      name: 'yizhan_ranking_store_sync_errors_total',
      help: 'Ranking store sync runs that failed (InfluxDB or the store); retried next run',
      registers: r,
    }),
    rankingSyncQueries: new Counter({
      name: 'yizhan_ranking_store_sync_queries_total',
      help: 'InfluxDB queries the ranking store sync made (the first start: one for the oldest daily row and one per 7 days of data)',
      registers: r,
    }),
    rankingPruned: new Counter({
      name: 'yizhan_ranking_store_rows_pruned_total',
      help: 'Day rows deleted from the ranking store as older than YIZHAN_RANKING_STORE_RETENTION',
      registers: r,
    }),
    rankingAnswers: new Counter({
      name: 'yizhan_ranking_answers_total',
      help: 'Ranking daily totals answered, by source (store, or influx while the store is not filled)',
      labelNames: ['source'] as const,
      registers: r,
    }),
  };
}

function coverageMetrics(r: Registers) {
  return {
    planningCache: new Counter({
      name: 'yizhan_planning_cache_requests_total',
      help: 'Coverage and solver answers looked up in the coverage cache (planning/coverage-cache.ts), by kind and outcome (hit, miss: computed)',
      labelNames: ['kind', 'outcome'] as const,
      registers: r,
    }),
  };
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    ...ingestMetrics(r),
    ...influxWriteMetrics(r),
    ...influxSpoolMetrics(r),
    ...influxHealthMetrics(r),
    ...alertMetrics(r),
    ...liveMetrics(r),
    ...riderMetrics(r),
    ...authMetrics(r),
    ...planningMetrics(r),
    ...coverageMetrics(r),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
