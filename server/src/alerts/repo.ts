/**
 * Alerts in the operations store: the record of every firing and what happened to it.
 *
 * - The rule engine's fires and resolves arrive through {@link AlertRepository.record} and are
 *   written by a group-commit queue (write-queue.ts): one transaction per batch, in order, upserted
 *   by the engine's alert id (the same firing is the same row, also after a restart). A fire
 *   carries the engine's `suppressedBy` and `flapping`.
 * - People acknowledge, comment, assign and close through the API (repo-lifecycle.ts), inside the
 *   caller's transaction with its audit entry; the notifier marks alerts suppressed or silenced and
 *   adds its events with the same functions (the contract is in repo-lifecycle.ts).
 * - Lists, one alert and its history, and the lifecycle a reader sees: repo-read.ts.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert } from './types.js';
import { WriteQueue, type WriteQueueHooks, type WriteQueueOptions } from './write-queue.js';
import {
  alertEvents,
  firingAlerts,
  getAlert,
  listAlerts,
  type AlertEvent,
  type AlertListFilter,
  type AlertNames,
  type Db,
  type StoredAlert,
} from './repo-read.js';
import * as life from './repo-lifecycle.js';

export {
  COUNTY_INCIDENT,
  MAX_LIST_LIMIT,
  UnknownCursorError,
  lifecycleOf,
  plainAlert,
  type AlertEvent,
  type AlertListFilter,
  type AlertNames,
  type AlertState,
  type Lifecycle,
  type LifecycleFacts,
  type PersonRef,
  type StoredAlert,
} from './repo-read.js';
export { addEvent, markSilenced, markSuppressed } from './repo-lifecycle.js';

const ms = (iso: string): number => Date.parse(iso);

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
    suppressed_by: a.suppressedBy ?? null,
    flapping: a.flapping ? 1 : 0,
  };
}

/** Rows per INSERT: 17 columns each stays well under SQLite's and PostgreSQL's parameter limits. */
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
  /** After a batch with transitions has committed (the outbox claims what onTransitions queued). */
  afterTransitions?(): void;
};

export class AlertRepository {
  private readonly queue: WriteQueue<Alert>;
  private readonly changeListeners = new Set<(alert: StoredAlert) => void>();

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
    let transitions = false;
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
      transitions = fired.length > 0 || resolved.length > 0;
      if (this.hooks.onTransitions && transitions) await this.hooks.onTransitions(trx, { fired, resolved });
    });
    if (transitions) this.hooks.afterTransitions?.();
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
    if (events.length) await trx.insertInto('alert_events').values(events).execute();
    return { fired, resolved };
  }

  /** One page of alerts, newest first; `next` is the `before` of the following page, or null. */
  list(f: AlertListFilter): Promise<{ alerts: StoredAlert[]; next: string | null }> {
    return listAlerts(this.db, this.names, f);
  }

  /** One alert, or undefined. */
  get(id: string, db: Db = this.db): Promise<StoredAlert | undefined> {
    return getAlert(db, this.names, id);
  }

  /** The alert's history, oldest first. */
  events(id: string): Promise<AlertEvent[]> {
    return alertEvents(this.db, id);
  }

  /** Alerts firing in the store (restored into the engine at start). */
  firing(): Promise<StoredAlert[]> {
    return firingAlerts(this.db, this.names);
  }

  /** Acknowledge in `trx`; false when it already was (nothing written). */
  ack(trx: Transaction<Database>, id: string, userId: number | null, now: number): Promise<boolean> {
    return life.ack(trx, id, userId, now);
  }

  /** Withdraw the acknowledgement in `trx`; false when there was none (nothing written). */
  unack(trx: Transaction<Database>, id: string, userId: number | null, now: number): Promise<boolean> {
    return life.unack(trx, id, userId, now);
  }

  comment(trx: Transaction<Database>, id: string, userId: number | null, text: string, now: number) {
    return life.comment(trx, id, userId, text, now);
  }

  /** Tell every listener (the SSE stream) that a person changed this alert; call after the commit. */
  changed(alert: StoredAlert): void {
    for (const l of this.changeListeners) l(alert);
  }

  /** Listen to {@link changed}; returns the function that stops listening. */
  onChanged(listener: (alert: StoredAlert) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }
}
