/**
 * The tables of the operations store (issue 12), as Kysely sees them. Timestamps are integers
 * (Unix milliseconds) so SQLite and PostgreSQL return the same values; PostgreSQL's bigint comes
 * back as a string through pg, so the store parses int8 as a number (open.ts).
 */
import type { Generated } from 'kysely';

/** A role grant's scope: 'county' for the whole county, or one township by its code. */
export type RoleScope = string;

export interface TownshipsTable {
  code: string;
  name_zh: string;
  name_en: string;
}

export interface UsersTable {
  id: Generated<number>;
  login: string;
  display_name: string;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
  failed_logins: Generated<number>;
  locked_until: number | null;
  password_changed_at: number | null;
  /** Mainland mobile number @-mentioned by WeCom/DingTalk robots; null: never mentioned. */
  mobile: string | null;
}

export interface RoleGrantsTable {
  user_id: number;
  role: string;
  scope: RoleScope;
}

export interface SessionsTable {
  /** Hash of the session id: the id itself only ever lives in the cookie. */
  id: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  address: string | null;
  last_seen_at: number | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  /** Space-separated scopes. */
  scopes: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  user_id: number | null;
  address: string | null;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
  /** The township code the entry concerns; null for county-wide things (accounts, townships). */
  township: string | null;
}

export interface AlertsTable {
  id: string;
  fingerprint: string;
  rule: string;
  station_id: string;
  /** Township code when the alert fired. */
  township: string;
  severity: string;
  /** firing | resolved */
  status: string;
  starts_at: number;
  ends_at: number | null;
  message_json: string;
  resolved_message_json: string | null;
  evidence_json: string;
  acked_at: number | null;
  acked_by: number | null;
  updated_at: number;
  assignee_id: number | null;
  closed_at: number | null;
  closed_by: number | null;
  /** Id of the alert or outage incident that inhibits it; null: not suppressed. */
  suppressed_by: string | null;
  /** 0/1: changed state too often; notified once as flapping, then reviewed by a person. */
  flapping: Generated<number>;
  /** Id of the silence that held its notification; null: none did. */
  silenced_by: number | null;
}

export interface AlertEventsTable {
  id: Generated<number>;
  alert_id: string;
  at: number;
  /** null: the rule engine. */
  user_id: number | null;
  /** fired | resolved | acknowledged | unacknowledged | commented | silenced (text: silence:<id>) */
  kind: string;
  text: string | null;
}

/** One row (id 1): how long audit entries are kept; the audit_log triggers read it (migration 0005). */
export interface AuditRetentionTable {
  id: number;
  retention_ms: number;
}

/** A message waiting for, or done with, delivery on one channel (notify/outbox.ts, migration 0006). */
export interface OutboxTable {
  id: Generated<number>;
  dedupe_key: string;
  channel: string;
  group_key: string | null;
  /** The OutboundMessage as JSON. */
  payload_json: string;
  /** pending | sending | sent | failed | dead */
  state: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  created_at: number;
  sent_at: number | null;
  last_error: string | null;
}

export interface OutboxAttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  at: number;
  /** 1: delivered, 0: not. */
  ok: number;
  code: string | null;
  detail: string;
  duration_ms: number;
}

/** A silence or maintenance window (migration 0007); never deleted, ended early by `ended_at`. */
export interface SilencesTable {
  id: Generated<number>;
  station_id: string | null;
  township: string | null;
  rule: string | null;
  severity: string | null;
  starts_at: number;
  ends_at: number;
  /** JSON `{days, from, to}` (alerts/silences.ts Window); null: the whole of starts_at–ends_at. */
  window_json: string | null;
  reason: string;
  created_by: number | null;
  created_at: number;
  ended_at: number | null;
  ended_by: number | null;
}

/** Reminders and escalations ahead of a firing, unacknowledged alert (migration 0010). */
export interface AlertEscalationsTable {
  alert_id: string;
  township: string;
  /** Last step sent: 0 none, 1 reminder, 2 township managers, 3 county. */
  level: Generated<number>;
  /** Messages sent at that level (the first and its repeats). */
  sent: Generated<number>;
  next_at: number;
  last_at: number | null;
}

/** A work order (migration 0011, workorders/repo.ts). */
export interface WorkOrdersTable {
  id: Generated<number>;
  alert_id: string | null;
  fingerprint: string | null;
  rule: string | null;
  station_id: string;
  /** Township code. */
  township: string;
  title: string;
  description: string;
  severity: string;
  /** open | in_progress | fixed | verified | closed */
  state: string;
  assignee_id: number | null;
  created_at: number;
  /** null: the system. */
  created_by: number | null;
  due_at: number;
  fixed_at: number | null;
  verified_at: number | null;
  closed_at: number | null;
  reopened: Generated<number>;
  /** workorders/verifier.ts Verification as JSON; null for an order without an alert or before fixed. */
  verification_json: string | null;
  /** 1 once its SLA breach is counted in yizhan_work_order_sla_breaches_total. */
  sla_counted: Generated<number>;
  updated_at: number;
}

export interface WorkOrderEventsTable {
  id: Generated<number>;
  work_order_id: number;
  at: number;
  /** null: the system. */
  user_id: number | null;
  kind: string;
  text: string | null;
  photo_id: number | null;
}

export interface WorkOrderPhotosTable {
  id: Generated<number>;
  work_order_id: number;
  at: number;
  user_id: number | null;
  content_type: string;
  bytes: number;
  data: Uint8Array;
}

/** A demand layer the planner imported (planning/repo.ts); the built-in occupancy layer is not stored. */
export interface DemandLayersTable {
  id: Generated<number>;
  name: string;
  kind: string;
  points: number;
  total_weight: number;
  created_at: number;
  created_by: number | null;
}

export interface DemandPointsTable {
  id: Generated<number>;
  layer_id: number;
  lat: number;
  lon: number;
  weight: number;
  name: string;
}

export interface PlanningCandidatesTable {
  id: Generated<number>;
  name: string;
  address: string;
  lat: number;
  lon: number;
  /** import | map */
  source: string;
  created_at: number;
  created_by: number | null;
}

/** The station_use_1d figures a day row holds and a month row sums (planning/daily-fields.ts). */
interface PlanningSummedColumns {
  samples: number;
  full_n: number;
  near_full_n: number;
  all_busy_n: number;
  occupancy_sum: number;
  sessions: number;
  turned_away: number;
  energy_wh: number | null;
}

/** One station's local day, copied from InfluxDB's station_use_1d (planning/daily-store.ts). */
export interface PlanningDailyTable extends PlanningSummedColumns {
  station: string;
  /** The local day's start, Unix ms. */
  day: number;
  /** The `township` tag: the township's Chinese name. */
  township: string;
  heater_on_share: number | null;
  synced_at: number;
}

/** One station's local month: the sums of its planning_daily rows (planning/daily-store.ts). */
export interface PlanningMonthlyTable extends PlanningSummedColumns {
  station: string;
  /** The local month's first midnight, Unix ms. */
  month: number;
  township: string;
  heater_sum: number;
  heater_days: number;
}

/** The ranking store's sync progress: one row, id 1 (planning/daily-sync.ts). */
export interface PlanningDailySyncTable {
  id: number;
  origin: number;
  synced_to: number;
  updated_at: number;
  /** A bounded re-read: once synced_to reaches skip_from it jumps to skip_to (both null: none). */
  skip_from: number | null;
  skip_to: number | null;
}

/** A notice of the union for station screens (migration 0015, notices/repo.ts); never deleted. */
export interface NoticesTable {
  id: Generated<number>;
  /** county | township | station */
  scope: string;
  /** Township code (a station notice: its station's); null for a county notice. */
  township: string | null;
  station_id: string | null;
  /** weather | hours | event | other */
  kind: string;
  /** info | warning | critical */
  severity: string;
  title_zh: string;
  title_en: string | null;
  body_zh: string;
  body_en: string | null;
  starts_at: number;
  ends_at: number;
  created_by: number | null;
  created_at: number;
  updated_at: number;
  withdrawn_at: number | null;
  withdrawn_by: number | null;
}

/** A rider's report (migration 0016, reports/repo.ts); never deleted, contact emptied after retention. */
export interface RiderReportsTable {
  id: Generated<number>;
  /** 8 Crockford base32 characters, without the dash. */
  receipt: string;
  category: string;
  /** station | street */
  kind: string;
  text: string;
  station_id: string | null;
  /** Township code: the station's, or the one whose stations are nearest to the location. */
  township: string;
  lat: number | null;
  lon: number | null;
  accuracy_m: number | null;
  contact_name: string | null;
  contact_phone: string | null;
  contact_deleted_at: number | null;
  credit_name: string | null;
  photos_declared: Generated<number>;
  /** SHA-256 (hex) of the upload token. */
  upload_token_hash: string | null;
  upload_until: number;
  status: string;
  decision: string | null;
  reason: string | null;
  duplicate_of: string | null;
  triaged_at: number | null;
  triaged_by: number | null;
  work_order_id: number | null;
  assignee_id: number | null;
  department: string | null;
  closed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface RiderReportPhotosTable {
  id: Generated<number>;
  report_id: number;
  n: number;
  at: number;
  content_type: string;
  bytes: number;
  kept_location: Generated<number>;
  data: Uint8Array;
}

export interface RiderReportEventsTable {
  id: Generated<number>;
  report_id: number;
  at: number;
  user_id: number | null;
  kind: string;
  status: string;
  note: string | null;
}

export interface Database {
  townships: TownshipsTable;
  users: UsersTable;
  role_grants: RoleGrantsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  audit_retention: AuditRetentionTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  outbox: OutboxTable;
  outbox_attempts: OutboxAttemptsTable;
  silences: SilencesTable;
  alert_escalations: AlertEscalationsTable;
  work_orders: WorkOrdersTable;
  work_order_events: WorkOrderEventsTable;
  work_order_photos: WorkOrderPhotosTable;
  demand_layers: DemandLayersTable;
  demand_points: DemandPointsTable;
  planning_candidates: PlanningCandidatesTable;
  planning_daily: PlanningDailyTable;
  planning_daily_sync: PlanningDailySyncTable;
  planning_monthly: PlanningMonthlyTable;
  notices: NoticesTable;
  rider_reports: RiderReportsTable;
  rider_report_photos: RiderReportPhotosTable;
  rider_report_events: RiderReportEventsTable;
}
