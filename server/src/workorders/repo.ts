/**
 * Work orders in the operations store: reading them as the API shows them (names of the station,
 * township and people), their history and photos, and the writes every route and the verifier
 * share (an event row with each change). Writes take the caller's transaction so that the change,
 * its event and its audit entry commit together.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Severity } from '../alerts/types.js';
import type { WorkOrder, WorkOrderState } from '../routes/work-orders/schemas.js';
import type { Static } from '@sinclair/typebox';
import type { Photo, Verification, WorkOrderEvent } from '../routes/work-orders/schemas.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type VerificationState = Static<typeof Verification>;
export type WorkOrderEventView = Static<typeof WorkOrderEvent>;
export type PhotoView = Static<typeof Photo>;
export type EventKind = WorkOrderEventView['kind'];

/** The states a crew still works on: `?state=active`. */
export const ACTIVE_STATES: readonly WorkOrderState[] = ['open', 'in_progress', 'fixed'];
export const ALL_STATES: readonly WorkOrderState[] = ['open', 'in_progress', 'fixed', 'verified', 'closed'];
export const MAX_WORK_ORDER_LIMIT = 200;
export const DEFAULT_WORK_ORDER_LIMIT = 50;

/** Names the store does not hold: from the station registry and the hierarchy. */
export interface WorkOrderNames {
  stationName(stationId: string): string | undefined;
  townshipName(code: string): string | undefined;
}

/** What a stored order needs besides its row: the verification as the verifier keeps it. */
export interface StoredVerification extends VerificationState {
  /** Station time (ms) by which the fault must be gone, else verification fails. */
  deadline: number;
}

export type WorkOrderRow = Selectable<Database['work_orders']>;
type Row = WorkOrderRow & { assignee_name: string | null; creator_name: string | null };

const person = (id: number | null, name: string | null) =>
  id === null ? null : { id: Number(id), displayName: name ?? '' };

export function parseVerification(json: string | null): StoredVerification | null {
  return json === null ? null : (JSON.parse(json) as StoredVerification);
}

/** Not fixed by its due time: fixed late, closed unfixed late, or still open past it. */
export function slaBreached(
  r: Pick<WorkOrderRow, 'due_at' | 'fixed_at' | 'closed_at'>,
  now: number,
): boolean {
  return (r.fixed_at ?? r.closed_at ?? now) > r.due_at;
}

export class WorkOrderRepo {
  constructor(
    readonly db: Kysely<Database>,
    private readonly names: WorkOrderNames,
  ) {}

  private select(db: Db) {
    return db
      .selectFrom('work_orders as w')
      .leftJoin('users as a', 'a.id', 'w.assignee_id')
      .leftJoin('users as c', 'c.id', 'w.created_by')
      .selectAll('w')
      .select(['a.display_name as assignee_name', 'c.display_name as creator_name']);
  }

  view(r: Row, now = Date.now()): WorkOrder {
    const v = parseVerification(r.verification_json);
    return {
      id: Number(r.id),
      alertId: r.alert_id,
      rule: r.rule,
      stationId: r.station_id,
      stationName: this.names.stationName(r.station_id) ?? r.station_id,
      township: this.names.townshipName(r.township) ?? r.township,
      townshipCode: r.township,
      title: r.title,
      description: r.description,
      severity: r.severity as Severity,
      state: r.state,
      assignee: person(r.assignee_id, r.assignee_name),
      createdAt: Number(r.created_at),
      createdBy: person(r.created_by, r.creator_name),
      dueAt: Number(r.due_at),
      slaBreached: slaBreached(r, now),
      fixedAt: r.fixed_at,
      verifiedAt: r.verified_at,
      closedAt: r.closed_at,
      reopened: Number(r.reopened),
      verification: v && {
        state: v.state,
        goodSince: v.goodSince,
        passesAt: v.passesAt,
        evidence: v.evidence,
      },
    };
  }

  async get(id: number, db: Db = this.db): Promise<WorkOrder | undefined> {
    const r = await this.select(db).where('w.id', '=', id).executeTakeFirst();
    return r && this.view(r);
  }

  async row(id: number, db: Db = this.db): Promise<WorkOrderRow | undefined> {
    return db.selectFrom('work_orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first; `before` is the id of the previous page's last order. */
  async list(f: {
    states: readonly WorkOrderState[] | 'all';
    scope: 'all' | ReadonlySet<string>;
    township?: string | undefined;
    station?: string | undefined;
    assignee?: number | undefined;
    limit: number;
    before?: number | undefined;
  }): Promise<{ workOrders: WorkOrder[]; next: string | null }> {
    let q = this.select(this.db);
    if (f.states !== 'all') q = q.where('w.state', 'in', [...f.states]);
    if (f.scope !== 'all') q = q.where('w.township', 'in', f.scope.size ? [...f.scope] : ['']);
    if (f.township !== undefined) q = q.where('w.township', '=', f.township);
    if (f.station !== undefined) q = q.where('w.station_id', '=', f.station);
    if (f.assignee !== undefined) q = q.where('w.assignee_id', '=', f.assignee);
    if (f.before !== undefined) q = q.where('w.id', '<', f.before);
    const rows = await q
      .orderBy('w.id', 'desc')
      .limit(f.limit + 1)
      .execute();
    const now = Date.now();
    const page = rows.slice(0, f.limit).map((r) => this.view(r, now));
    return { workOrders: page, next: rows.length > f.limit ? String(page[page.length - 1]!.id) : null };
  }

  async events(id: number): Promise<WorkOrderEventView[]> {
    const rows = await this.db
      .selectFrom('work_order_events as e')
      .leftJoin('users as u', 'u.id', 'e.user_id')
      .select(['e.id', 'e.at', 'e.kind', 'e.text', 'e.photo_id', 'e.user_id', 'u.display_name'])
      .where('e.work_order_id', '=', id)
      .orderBy('e.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      kind: r.kind,
      user: person(r.user_id, r.display_name),
      text: r.text,
      photoId: r.photo_id === null ? null : Number(r.photo_id),
    }));
  }

  async photos(id: number): Promise<PhotoView[]> {
    const rows = await this.db
      .selectFrom('work_order_photos as p')
      .leftJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.id', 'p.at', 'p.user_id', 'u.display_name', 'p.content_type', 'p.bytes'])
      .where('p.work_order_id', '=', id)
      .orderBy('p.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      by: person(r.user_id, r.display_name),
      contentType: r.content_type,
      bytes: Number(r.bytes),
    }));
  }

  async photo(orderId: number, photoId: number): Promise<{ contentType: string; data: Buffer } | undefined> {
    const r = await this.db
      .selectFrom('work_order_photos')
      .select(['content_type', 'data'])
      .where('id', '=', photoId)
      .where('work_order_id', '=', orderId)
      .executeTakeFirst();
    return r && { contentType: r.content_type, data: Buffer.from(r.data) };
  }

  /**
   * Insert a new open order with its `created` event (and `assigned`, with an assignee); returns
   * its id. The caller's transaction also holds its audit entry (and, for a rider's report, the link).
   */
  async create(
    trx: Db,
    o: {
      alert: { id: string; fingerprint: string; rule: string } | null;
      stationId: string;
      township: string;
      title: string;
      description: string;
      severity: Severity;
      assigneeId: number | null;
      by: { id: number; displayName: string } | null;
      at: number;
      dueAt: number;
    },
  ): Promise<number> {
    const { id } = await trx
      .insertInto('work_orders')
      .values({
        alert_id: o.alert?.id ?? null,
        fingerprint: o.alert?.fingerprint ?? null,
        rule: o.alert?.rule ?? null,
        station_id: o.stationId,
        township: o.township,
        title: o.title,
        description: o.description,
        severity: o.severity,
        state: 'open',
        assignee_id: o.assigneeId,
        created_at: o.at,
        created_by: o.by?.id ?? null,
        due_at: o.dueAt,
        updated_at: o.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.addEvent(trx, id, { at: o.at, kind: 'created', user: o.by, text: o.description || null });
    if (o.assigneeId !== null)
      await this.addEvent(trx, id, { at: o.at, kind: 'assigned', user: o.by, text: String(o.assigneeId) });
    return Number(id);
  }

  /** Add an event row; returns it as the API shows it. */
  async addEvent(
    trx: Db,
    orderId: number,
    e: {
      at: number;
      kind: EventKind;
      user: { id: number; displayName: string } | null;
      text?: string | null;
      photoId?: number | null;
    },
  ): Promise<WorkOrderEventView> {
    const { id } = await trx
      .insertInto('work_order_events')
      .values({
        work_order_id: orderId,
        at: e.at,
        user_id: e.user?.id ?? null,
        kind: e.kind,
        text: e.text ?? null,
        photo_id: e.photoId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return {
      id: Number(id),
      at: e.at,
      kind: e.kind,
      user: e.user,
      text: e.text ?? null,
      photoId: e.photoId ?? null,
    };
  }

  /**
   * Change the order if it is in one of `from` (compare-and-set: a route and the verifier may race);
   * false when it was not.
   */
  async transition(
    trx: Db,
    id: number,
    from: readonly WorkOrderState[],
    set: Partial<Omit<WorkOrderRow, 'id' | 'reopened' | 'sla_counted'>> & { reopenedPlus?: boolean },
  ): Promise<boolean> {
    const { reopenedPlus, ...values } = set;
    // Back to the crew: an order marked "fixed in time" (sla_counted 2) is judged again by the SLA
    // sweep; one already counted as a breach (1) stays counted once.
    const r = await trx
      .updateTable('work_orders')
      .set((eb) => ({
        ...values,
        ...(reopenedPlus
          ? {
              reopened: eb('reopened', '+', 1),
              sla_counted: sql<number>`case when sla_counted = 2 then 0 else sla_counted end`,
            }
          : {}),
      }))
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
