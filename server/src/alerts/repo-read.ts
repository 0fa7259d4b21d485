/**
 * Reading alerts from the operations store: lists, one alert, its history, and the view a reader
 * gets (StoredAlert) with its lifecycle derived from the row (see {@link lifecycleOf}).
 *
 * Lists are newest first (starts_at, id) with keyset pagination: `before` is the id of the last
 * alert of the previous page. The store keeps the township's code (what grants and filters use);
 * station and township names are taken from the registry when an alert is read, falling back to
 * what the row knows. Outage incidents have no station (stationId `''`) and the township `*`
 * (county-wide, {@link COUNTY_INCIDENT}) or the township's code; an incident's station name is its
 * place (`evidence.place`, else the message's Chinese text).
 */
import type { ExpressionBuilder, Kysely, SelectQueryBuilder, Selectable, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert, AlertEventKind, LocalizedText } from './types.js';

export type Db = Kysely<Database> | Transaction<Database>;
type AlertsRow = Selectable<Database['alerts']>;
type AlertRow = AlertsRow & {
  acked_by_name: string | null;
  assignee_name: string | null;
  closed_by_name: string | null;
  comments: number | string | null;
  work_order_id: number | string | null;
};

/** The township of a county-wide outage incident: only county-scoped readers see it. */
export const COUNTY_INCIDENT = '*';

export type AlertState = 'firing' | 'resolved' | 'all';
export const MAX_LIST_LIMIT = 500;

export interface AlertListFilter {
  state: AlertState;
  station?: string | undefined;
  /** The townships the reader may see: 'all' (also county incidents), or these codes. */
  scope: 'all' | ReadonlySet<string>;
  /** One township code (must lie in scope; the route checks). */
  township?: string | undefined;
  rule?: string | undefined;
  acked?: boolean | undefined;
  /** Only alerts assigned to this user id. */
  assignee?: number | undefined;
  limit: number;
  /** Id of the last alert of the previous page. */
  before?: string | undefined;
}

export interface PersonRef {
  id: number;
  displayName: string;
}

export type Lifecycle =
  'firing' | 'acknowledged' | 'resolved' | 'closed' | 'suppressed' | 'flapping' | 'silenced';

export interface StoredAlert extends Alert {
  /** The township's code (Alert.township is its name); `*` for a county-wide incident. */
  townshipCode: string;
  acknowledged: { at: number; by: PersonRef | null } | null;
  comments: number;
  lifecycle: Lifecycle;
  assignee: PersonRef | null;
  closed: { at: number; by: PersonRef | null } | null;
  workOrderId: number | null;
}

export interface AlertEvent {
  at: number;
  kind: AlertEventKind;
  user: PersonRef | null;
  text: string | null;
}

/** Names for a stored alert: the station's name and its township's name, from the registry. */
export interface AlertNames {
  stationName(stationId: string): string | undefined;
  /** Township code of a station (for alerts as the engine sends them). */
  townshipCode(stationId: string): string | undefined;
  townshipName(code: string): string | undefined;
}

/** Thrown for a `before` that names no alert. */
export class UnknownCursorError extends Error {}

/** The engine's view of a stored alert (without acknowledgement, comments and township code). */
export function plainAlert(s: StoredAlert): Alert {
  const {
    townshipCode: _c,
    acknowledged: _a,
    comments: _n,
    lifecycle: _l,
    assignee: _s,
    closed: _d,
    workOrderId: _w,
    ...alert
  } = s;
  return alert;
}

/** The facts the lifecycle is derived from (a row's columns). */
export interface LifecycleFacts {
  status: string;
  acked_at: number | null;
  closed_at: number | null;
  suppressed_by: string | null;
  silenced_by: number | null;
  flapping: number;
}

/**
 * Where an alert stands. While it fires: closed > suppressed > silenced > flapping > acknowledged >
 * firing (what held its notification back matters more to a crew than who acknowledged it). Once
 * resolved: closed, else flapping (still waiting for a person's review), else resolved.
 */
export function lifecycleOf(r: LifecycleFacts): Lifecycle {
  if (r.closed_at !== null) return 'closed';
  if (r.status !== 'firing') return r.flapping ? 'flapping' : 'resolved';
  if (r.suppressed_by !== null) return 'suppressed';
  if (r.silenced_by !== null) return 'silenced';
  if (r.flapping) return 'flapping';
  return r.acked_at === null ? 'firing' : 'acknowledged';
}

const iso = (t: number): string => new Date(t).toISOString();
const person = (id: number | null, name: string | null): PersonRef | null =>
  id === null ? null : { id, displayName: name ?? '' };

/**
 * The alerts `picked` chooses (filters, order, limit), with the names of who acknowledged, is
 * assigned and closed, and how many comments: one query, the counts made for the chosen rows only
 * (a count in the filtering query would be made for every row it sorts).
 */
export function detailed(db: Db, picked: SelectQueryBuilder<Database, 'alerts', AlertsRow>) {
  return db
    .selectFrom(picked.as('a'))
    .leftJoin('users as ack', 'ack.id', 'a.acked_by')
    .leftJoin('users as asg', 'asg.id', 'a.assignee_id')
    .leftJoin('users as cls', 'cls.id', 'a.closed_by')
    .selectAll('a')
    .select((eb) => [
      'ack.display_name as acked_by_name',
      'asg.display_name as assignee_name',
      'cls.display_name as closed_by_name',
      eb
        .selectFrom('alert_events')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('alert_events.alert_id', '=', 'a.id')
        .where('alert_events.kind', '=', 'commented')
        .as('comments'),
      // The newest work order made from it (one active at a time; closed ones stay linked).
      eb
        .selectFrom('work_orders')
        .select('work_orders.id')
        .whereRef('work_orders.alert_id', '=', 'a.id')
        .orderBy('work_orders.id', 'desc')
        .limit(1)
        .as('work_order_id'),
    ]);
}

/** An incident has no station: its place (evidence `place`, when the engine gives one), else its message. */
function stationNameOf(names: AlertNames, r: AlertRow, message: LocalizedText): string {
  if (r.station_id === '') {
    const place = (JSON.parse(r.evidence_json) as { place?: unknown }).place;
    return typeof place === 'string' && place ? place : message['zh-CN'];
  }
  return names.stationName(r.station_id) ?? r.station_id;
}

function townshipNameOf(names: AlertNames, code: string): string {
  if (code === COUNTY_INCIDENT) return '全县';
  return names.townshipName(code) ?? code;
}

export function viewOf(names: AlertNames, r: AlertRow): StoredAlert {
  const message = JSON.parse(r.message_json) as LocalizedText;
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    rule: r.rule,
    stationId: r.station_id,
    stationName: stationNameOf(names, r, message),
    township: townshipNameOf(names, r.township),
    townshipCode: r.township,
    severity: r.severity as Alert['severity'],
    status: r.status as Alert['status'],
    startsAt: iso(r.starts_at),
    endsAt: r.ends_at === null ? null : iso(r.ends_at),
    message,
    resolvedMessage:
      r.resolved_message_json === null ? null : (JSON.parse(r.resolved_message_json) as LocalizedText),
    evidence: JSON.parse(r.evidence_json) as Record<string, unknown>,
    ...(r.suppressed_by !== null ? { suppressedBy: r.suppressed_by } : {}),
    ...(r.flapping ? { flapping: true } : {}),
    acknowledged: r.acked_at === null ? null : { at: r.acked_at, by: person(r.acked_by, r.acked_by_name) },
    comments: Number(r.comments ?? 0),
    lifecycle: lifecycleOf(r),
    assignee: person(r.assignee_id, r.assignee_name),
    closed: r.closed_at === null ? null : { at: r.closed_at, by: person(r.closed_by, r.closed_by_name) },
    workOrderId: r.work_order_id === null ? null : Number(r.work_order_id),
  };
}

/** One page of alerts, newest first; `next` is the `before` of the following page, or null. */
export async function listAlerts(
  db: Kysely<Database>,
  names: AlertNames,
  f: AlertListFilter,
): Promise<{ alerts: StoredAlert[]; next: string | null }> {
  const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(f.limit)));
  if (f.scope !== 'all' && f.scope.size === 0) return { alerts: [], next: null };
  let q = db.selectFrom('alerts').selectAll();
  if (f.state !== 'all') q = q.where('alerts.status', '=', f.state);
  if (f.station !== undefined) q = q.where('alerts.station_id', '=', f.station);
  if (f.scope !== 'all') q = q.where('alerts.township', 'in', [...f.scope]);
  if (f.township !== undefined) q = q.where('alerts.township', '=', f.township);
  if (f.rule !== undefined) q = q.where('alerts.rule', '=', f.rule);
  if (f.acked !== undefined) q = q.where('alerts.acked_at', f.acked ? 'is not' : 'is', null);
  if (f.assignee !== undefined) q = q.where('alerts.assignee_id', '=', f.assignee);
  const before = f.before;
  if (before !== undefined) {
    // The cursor's start, read inside the same query (one round trip per page).
    const startOf = (eb: ExpressionBuilder<Database, 'alerts'>) =>
      eb.selectFrom('alerts as c').select('c.starts_at').where('c.id', '=', before);
    q = q.where((eb) =>
      eb.or([
        eb('alerts.starts_at', '<', startOf(eb)),
        eb.and([eb('alerts.starts_at', '=', startOf(eb)), eb('alerts.id', '<', before)]),
      ]),
    );
  }
  const picked = q
    .orderBy('alerts.starts_at', 'desc')
    .orderBy('alerts.id', 'desc')
    .limit(limit + 1);
  const rows = await detailed(db, picked).orderBy('a.starts_at', 'desc').orderBy('a.id', 'desc').execute();
  if (rows.length === 0 && before !== undefined && !(await exists(db, before)))
    throw new UnknownCursorError(before);
  const page = rows.slice(0, limit).map((r) => viewOf(names, r));
  return { alerts: page, next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

async function exists(db: Db, id: string): Promise<boolean> {
  return !!(await db.selectFrom('alerts').select('id').where('id', '=', id).executeTakeFirst());
}

export async function getAlert(db: Db, names: AlertNames, id: string): Promise<StoredAlert | undefined> {
  const r = await detailed(db, db.selectFrom('alerts').selectAll().where('id', '=', id)).executeTakeFirst();
  return r ? viewOf(names, r) : undefined;
}

/** The alert's history, oldest first. */
export async function alertEvents(db: Db, id: string): Promise<AlertEvent[]> {
  const rows = await db
    .selectFrom('alert_events')
    .leftJoin('users', 'users.id', 'alert_events.user_id')
    .select([
      'alert_events.at',
      'alert_events.kind',
      'alert_events.text',
      'alert_events.user_id',
      'users.display_name',
    ])
    .where('alert_events.alert_id', '=', id)
    .orderBy('alert_events.at')
    .orderBy('alert_events.id')
    .execute();
  return rows.map((r) => ({
    at: r.at,
    kind: r.kind as AlertEventKind,
    user: person(r.user_id, r.display_name),
    text: r.text,
  }));
}

/** Alerts firing in the store (restored into the engine at start). */
export async function firingAlerts(db: Db, names: AlertNames): Promise<StoredAlert[]> {
  const picked = db.selectFrom('alerts').selectAll().where('status', '=', 'firing');
  const rows = await detailed(db, picked).orderBy('a.starts_at').execute();
  return rows.map((r) => viewOf(names, r));
}
