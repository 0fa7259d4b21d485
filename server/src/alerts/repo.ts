/**
 * Alerts in the operations store: the record of every firing, its acknowledgement and comments.
 *
 * - The rule engine's fires and resolves arrive through {@link AlertRepository.record} and are
 *   written by a group-commit queue (write-queue.ts): one transaction per batch, in order, upserted
 *   by the engine's alert id (the same firing is the same row, also after a restart).
 * - People acknowledge and comment through the API: {@link ack}, {@link unack}, {@link comment}
 *   run inside the caller's transaction (with its audit entry) and add an `alert_events` row.
 * - Lists are newest first (starts_at, id) with keyset pagination: `before` is the id of the last
 *   alert of the previous page.
 *
 * The store keeps the township's code (what grants and filters use); station and township names
 * are taken from the registry when an alert is read, falling back to what the row knows.
 */
import type { ExpressionBuilder, Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert, LocalizedText } from './types.js';
import { WriteQueue, type WriteQueueHooks, type WriteQueueOptions } from './write-queue.js';

type Db = Kysely<Database> | Transaction<Database>;
type AlertRow = Database['alerts'] & { acked_by_name: string | null; comments: number | string | null };

export type AlertState = 'firing' | 'resolved' | 'all';
export const MAX_LIST_LIMIT = 500;
/** Silenced changes waiting for their batch; far above what one batch holds. */
const MAX_SILENCED_NOTES = 10_000;

export interface AlertListFilter {
  state: AlertState;
  station?: string | undefined;
  /** The townships the reader may see: 'all', or these codes. */
  scope: 'all' | ReadonlySet<string>;
  /** One township code (must lie in scope; the route checks). */
  township?: string | undefined;
  rule?: string | undefined;
  acked?: boolean | undefined;
  limit: number;
  /** Id of the last alert of the previous page. */
  before?: string | undefined;
}

export interface PersonRef {
  id: number;
  displayName: string;
}

export interface StoredAlert extends Alert {
  /** The township's code (Alert.township is its name). */
  townshipCode: string;
  acknowledged: { at: number; by: PersonRef | null } | null;
  comments: number;
  lifecycle: 'firing' | 'acknowledged' | 'resolved' | 'closed' | 'suppressed' | 'flapping' | 'silenced';
  assignee: PersonRef | null;
  closed: { at: number; by: PersonRef | null } | null;
  workOrderId: number | null;
}

export interface AlertEvent {
  at: number;
  kind: 'fired' | 'resolved' | 'acknowledged' | 'unacknowledged' | 'commented' | 'silenced';
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

/** Thrown for a `before` that names no alert. */
export class UnknownCursorError extends Error {}

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();

function row(a: Alert, townshipCode: string, now: number) {
  return {
    id: a.id,
    fingerprint: a.fingerprint,
    rule: a.rule,
    station_id: a.stationId,
    township: townshipCode,
    severity: a.severity,
    status: a.status,
    starts_at: ms(a.startsAt),
    ends_at: a.endsAt === null ? null : ms(a.endsAt),
    message_json: JSON.stringify(a.message),
    resolved_message_json: a.resolvedMessage === null ? null : JSON.stringify(a.resolvedMessage),
    evidence_json: JSON.stringify(a.evidence),
    acked_at: null,
    acked_by: null,
    updated_at: now,
  };
}

/** Rows per INSERT: 15 columns each stays well under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 500;

/**
 * The batch cut where an alert comes back (its fire and resolve in one batch): within a segment
 * every alert appears once, so one statement may write them all; segments keep the engine's order.
 */
function segments(batch: readonly Alert[]): Alert[][] {
  const out: Alert[][] = [];
  let cur: Alert[] = [];
  let ids = new Set<string>();
  for (const a of batch) {
    if (ids.has(a.id)) {
      out.push(cur);
      cur = [];
      ids = new Set();
    }
    cur.push(a);
    ids.add(a.id);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The changes one batch newly recorded: fires not stored before, resolves of alerts stored firing. */
export interface RecordedTransitions {
  fired: readonly Alert[];
  resolved: readonly Alert[];
}

export type RepoHooks = Pick<WriteQueueHooks<Alert>, 'onDrop' | 'onDepth' | 'onCommit'> & {
  /**
   * Runs inside the batch's transaction after its rows are written, with what the store newly
   * recorded (a fire restored after a restart, already stored, is not in it; nor is a second
   * resolve): the notifier enqueues its outbox items here, so an alert and its notification commit
   * together or not at all. Throwing rolls the batch back (it is retried).
   */
  onTransitions?(trx: Transaction<Database>, t: RecordedTransitions): Promise<void>;
};

export class AlertRepository {
  private readonly queue: WriteQueue<Alert>;
  /** `<alert id>/<status>` → the silence that matched it, until the batch with it is written. */
  private readonly silencedNotes = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly names: AlertNames,
    private readonly hooks: RepoHooks,
    queueOpts: Partial<WriteQueueOptions> = {},
  ) {
    this.queue = new WriteQueue<Alert>({ ...hooks, write: (batch) => this.writeBatch(batch) }, queueOpts);
  }

  /** A fire or resolve of the engine, written with the next batch; false when dropped (counted). */
  record(alert: Alert): boolean {
    return this.queue.push(alert);
  }

  /**
   * A silence matched this change of the alert (just recorded): its `silenced` event is written in
   * the change's batch (it needs the alert's row). Past MAX_SILENCED_NOTES (changes the queue
   * dropped, already counted) the oldest note is forgotten.
   */
  noteSilenced(alert: Alert, silenceId: number): void {
    if (this.silencedNotes.size >= MAX_SILENCED_NOTES) {
      const oldest = this.silencedNotes.keys().next().value;
      if (oldest !== undefined) this.silencedNotes.delete(oldest);
    }
    this.silencedNotes.set(`${alert.id}/${alert.status}`, silenceId);
  }

  get queued(): number {
    return this.queue.depth;
  }

  /** Resolves once every transition recorded so far is written. */
  flushed(): Promise<void> {
    return this.queue.flushed();
  }

  /** Write what is queued (at most `graceMs`) and take no more. */
  close(graceMs: number): Promise<void> {
    return this.queue.close(graceMs);
  }

  private async writeBatch(batch: readonly Alert[]): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const fired: Alert[] = [];
      const resolved: Alert[] = [];
      for (const seg of segments(batch)) {
        for (let k = 0; k < seg.length; k += ROWS_PER_STATEMENT) {
          const t = await this.upsert(trx, seg.slice(k, k + ROWS_PER_STATEMENT), now);
          fired.push(...t.fired);
          resolved.push(...t.resolved);
        }
      }
      if (this.hooks.onTransitions && (fired.length || resolved.length))
        await this.hooks.onTransitions(trx, { fired, resolved });
    });
    // Only once committed: a failed batch is retried with its silenced events.
    for (const a of batch) this.silencedNotes.delete(`${a.id}/${a.status}`);
  }

  /** Fires and resolves of distinct alerts, a few statements for all (not one per alert). */
  private async upsert(
    trx: Transaction<Database>,
    alerts: readonly Alert[],
    now: number,
  ): Promise<RecordedTransitions> {
    const byId = new Map(alerts.map((a) => [a.id, a]));
    const fired: Alert[] = [];
    const resolved: Alert[] = [];
    const rows = alerts.map((a) => row(a, this.names.townshipCode(a.stationId) ?? a.township, now));
    const fires = rows.filter((r) => r.status === 'firing');
    const resolves = rows.filter((r) => r.status !== 'firing');
    type Event = Omit<Database['alert_events'], 'id'>;
    const events: Event[] = [];
    if (fires.length) {
      // A fire already stored (restored after a restart) changes nothing and adds no event.
      const inserted = await trx
        .insertInto('alerts')
        .values(fires)
        .onConflict((oc) => oc.column('id').doNothing())
        .returning(['id', 'starts_at'])
        .execute();
      for (const r of inserted) {
        events.push({ alert_id: r.id, at: r.starts_at, user_id: null, kind: 'fired', text: null });
        fired.push(byId.get(r.id)!);
      }
    }
    if (resolves.length) {
      // A resolve whose fire was never written (dropped, or fired before the store) lands whole; one
      // already resolved changes nothing and adds no event.
      const changed = await trx
        .insertInto('alerts')
        .values(resolves)
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              ends_at: eb.ref('excluded.ends_at'),
              resolved_message_json: eb.ref('excluded.resolved_message_json'),
              evidence_json: eb.ref('excluded.evidence_json'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where('alerts.status', '=', 'firing'),
        )
        .returning(['id', 'ends_at'])
        .execute();
      for (const r of changed) {
        events.push({ alert_id: r.id, at: r.ends_at ?? now, user_id: null, kind: 'resolved', text: null });
        resolved.push(byId.get(r.id)!);
      }
    }
    for (const a of alerts) {
      const silence = this.silencedNotes.get(`${a.id}/${a.status}`);
      if (silence === undefined) continue;
      const at = a.status === 'firing' ? Date.parse(a.startsAt) : Date.parse(a.endsAt ?? '') || now;
      events.push({ alert_id: a.id, at, user_id: null, kind: 'silenced', text: `silence:${silence}` });
    }
    if (events.length) await trx.insertInto('alert_events').values(events).execute();
    return { fired, resolved };
  }

  /**
   * The alerts `picked` chooses (filters, order, limit), with who acknowledged and how many
   * comments: one query, the counts made for the chosen rows only (a count in the filtering query
   * would be made for every row it sorts).
   */
  private detailed(db: Db, picked: SelectQueryBuilder<Database, 'alerts', Database['alerts']>) {
    return db
      .selectFrom(picked.as('a'))
      .leftJoin('users', 'users.id', 'a.acked_by')
      .selectAll('a')
      .select((eb) => [
        'users.display_name as acked_by_name',
        eb
          .selectFrom('alert_events')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('alert_events.alert_id', '=', 'a.id')
          .where('alert_events.kind', '=', 'commented')
          .as('comments'),
      ]);
  }

  private view(r: AlertRow): StoredAlert {
    return {
      id: r.id,
      fingerprint: r.fingerprint,
      rule: r.rule,
      stationId: r.station_id,
      stationName: this.names.stationName(r.station_id) ?? r.station_id,
      township: this.names.townshipName(r.township) ?? r.township,
      townshipCode: r.township,
      severity: r.severity as Alert['severity'],
      status: r.status as Alert['status'],
      startsAt: iso(r.starts_at),
      endsAt: r.ends_at === null ? null : iso(r.ends_at),
      message: JSON.parse(r.message_json) as LocalizedText,
      resolvedMessage:
        r.resolved_message_json === null ? null : (JSON.parse(r.resolved_message_json) as LocalizedText),
      evidence: JSON.parse(r.evidence_json) as Record<string, unknown>,
      acknowledged:
        r.acked_at === null
          ? null
          : {
              at: r.acked_at,
              by: r.acked_by === null ? null : { id: r.acked_by, displayName: r.acked_by_name ?? '' },
            },
      comments: Number(r.comments ?? 0),
      lifecycle: r.status === 'firing' ? (r.acked_at === null ? 'firing' : 'acknowledged') : 'resolved',
      assignee: null,
      closed: null,
      workOrderId: null,
    };
  }

  /** One page of alerts, newest first; `next` is the `before` of the following page, or null. */
  async list(f: AlertListFilter): Promise<{ alerts: StoredAlert[]; next: string | null }> {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(f.limit)));
    if (f.scope !== 'all' && f.scope.size === 0) return { alerts: [], next: null };
    let q = this.db.selectFrom('alerts').selectAll();
    if (f.state !== 'all') q = q.where('alerts.status', '=', f.state);
    if (f.station !== undefined) q = q.where('alerts.station_id', '=', f.station);
    if (f.scope !== 'all') q = q.where('alerts.township', 'in', [...f.scope]);
    if (f.township !== undefined) q = q.where('alerts.township', '=', f.township);
    if (f.rule !== undefined) q = q.where('alerts.rule', '=', f.rule);
    if (f.acked !== undefined) q = q.where('alerts.acked_at', f.acked ? 'is not' : 'is', null);
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
    const rows = await this.detailed(this.db, picked)
      .orderBy('a.starts_at', 'desc')
      .orderBy('a.id', 'desc')
      .execute();
    if (rows.length === 0 && before !== undefined && !(await this.exists(before)))
      throw new UnknownCursorError(before);
    const page = rows.slice(0, limit).map((r) => this.view(r));
    return { alerts: page, next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  private async exists(id: string): Promise<boolean> {
    return !!(await this.db.selectFrom('alerts').select('id').where('id', '=', id).executeTakeFirst());
  }

  /** One alert, or undefined. */
  async get(id: string, db: Db = this.db): Promise<StoredAlert | undefined> {
    const r = await this.detailed(
      db,
      db.selectFrom('alerts').selectAll().where('id', '=', id),
    ).executeTakeFirst();
    return r ? this.view(r) : undefined;
  }

  /** The alert's history, oldest first. */
  async events(id: string): Promise<AlertEvent[]> {
    const rows = await this.db
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
      kind: r.kind as AlertEvent['kind'],
      user: r.user_id === null ? null : { id: r.user_id, displayName: r.display_name ?? '' },
      text: r.text,
    }));
  }

  /** Alerts firing in the store (restored into the engine at start). */
  async firing(): Promise<StoredAlert[]> {
    const picked = this.db.selectFrom('alerts').selectAll().where('status', '=', 'firing');
    const rows = await this.detailed(this.db, picked).orderBy('a.starts_at').execute();
    return rows.map((r) => this.view(r));
  }

  /** Acknowledge in `trx`; false when it already was (nothing written). */
  async ack(trx: Transaction<Database>, id: string, userId: number | null, now: number): Promise<boolean> {
    const res = await trx
      .updateTable('alerts')
      .set({ acked_at: now, acked_by: userId, updated_at: now })
      .where('id', '=', id)
      .where('acked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await this.event(trx, id, now, userId, 'acknowledged', null);
    return true;
  }

  /** Withdraw the acknowledgement in `trx`; false when there was none (nothing written). */
  async unack(trx: Transaction<Database>, id: string, userId: number | null, now: number): Promise<boolean> {
    const res = await trx
      .updateTable('alerts')
      .set({ acked_at: null, acked_by: null, updated_at: now })
      .where('id', '=', id)
      .where('acked_at', 'is not', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await this.event(trx, id, now, userId, 'unacknowledged', null);
    return true;
  }

  async comment(
    trx: Transaction<Database>,
    id: string,
    userId: number | null,
    text: string,
    now: number,
  ): Promise<void> {
    await this.event(trx, id, now, userId, 'commented', text);
  }

  private async event(
    trx: Transaction<Database>,
    id: string,
    at: number,
    userId: number | null,
    kind: AlertEvent['kind'],
    text: string | null,
  ): Promise<void> {
    await trx.insertInto('alert_events').values({ alert_id: id, at, user_id: userId, kind, text }).execute();
  }
}
