/**
 * Riders' reports in the operations store: the row, its history (`rider_report_events`: each step
 * with the public status after it and the note the rider may read) and its photos. Writes take the
 * caller's transaction so a step, its history row and its audit entry commit together; state
 * changes are compare-and-set on the status, as two staff may act at once.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Lang } from '../i18n.js';
import {
  CATEGORY_INFO,
  STATUS_NAMES,
  type PublicReport,
  type ReportCategory,
  type ReportStatus,
  type StaffReport,
  type TriageDecision,
} from '../routes/rider-reports/schemas.js';
import { newReceipt, showReceipt } from './receipt.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type ReportRow = Selectable<Database['rider_reports']>;
type Person = { id: number; displayName: string };

export const OPEN_STATUSES: readonly ReportStatus[] = ['received', 'accepted', 'in_progress'];

export interface ReportNames {
  stationName(id: string, lang: Lang): string | undefined;
  townshipName(code: string, lang: Lang): string | undefined;
}

export interface NewReport {
  category: ReportCategory;
  text: string;
  stationId: string | null;
  township: string;
  location: { lat: number; lon: number; accuracyM?: number | undefined } | null;
  contactName: string | null;
  contactPhone: string | null;
  creditName: string | null;
  photosDeclared: number;
  uploadTokenHash: string;
  uploadUntil: number;
  at: number;
}

export interface ReportEvent {
  at: number;
  kind: string;
  status: ReportStatus;
  note: string | null;
  user: Person | null;
}

const person = (id: number | null, name: string | null | undefined): Person | null =>
  id === null ? null : { id: Number(id), displayName: name ?? '' };
const n = (v: number | null): number | null => (v === null ? null : Number(v));

export class ReportRepo {
  constructor(
    readonly db: Kysely<Database>,
    private readonly names: ReportNames,
  ) {}

  /** Insert the report and its first history row; a receipt collision (1 in 10^12) draws again. */
  async create(r: NewReport): Promise<{ id: number; receipt: string }> {
    for (let attempt = 0; ; attempt++) {
      const receipt = newReceipt();
      const taken = await this.db
        .selectFrom('rider_reports')
        .select('id')
        .where('receipt', '=', receipt)
        .executeTakeFirst();
      if (taken && attempt < 5) continue;
      return this.db.transaction().execute(async (trx) => {
        const { id } = await trx
          .insertInto('rider_reports')
          .values({
            receipt,
            category: r.category,
            kind: CATEGORY_INFO[r.category].kind,
            text: r.text,
            station_id: r.stationId,
            township: r.township,
            lat: r.location?.lat ?? null,
            lon: r.location?.lon ?? null,
            accuracy_m: r.location?.accuracyM ?? null,
            contact_name: r.contactName,
            contact_phone: r.contactPhone,
            credit_name: r.creditName,
            photos_declared: r.photosDeclared,
            upload_token_hash: r.uploadTokenHash,
            upload_until: r.uploadUntil,
            status: 'received',
            created_at: r.at,
            updated_at: r.at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await this.addEvent(trx, Number(id), {
          at: r.at,
          kind: 'received',
          status: 'received',
          note: null,
          user: null,
        });
        return { id: Number(id), receipt };
      });
    }
  }

  async byReceipt(receipt: string): Promise<ReportRow | undefined> {
    return this.db.selectFrom('rider_reports').selectAll().where('receipt', '=', receipt).executeTakeFirst();
  }

  async row(id: number, db: Db = this.db): Promise<ReportRow | undefined> {
    return db.selectFrom('rider_reports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async addEvent(trx: Db, reportId: number, e: ReportEvent): Promise<void> {
    await trx
      .insertInto('rider_report_events')
      .values({
        report_id: reportId,
        at: e.at,
        user_id: e.user?.id ?? null,
        kind: e.kind,
        status: e.status,
        note: e.note,
      })
      .execute();
  }

  async events(reportId: number): Promise<ReportEvent[]> {
    const rows = await this.db
      .selectFrom('rider_report_events as e')
      .leftJoin('users as u', 'u.id', 'e.user_id')
      .select(['e.at', 'e.kind', 'e.status', 'e.note', 'e.user_id', 'u.display_name'])
      .where('e.report_id', '=', reportId)
      .orderBy('e.id')
      .execute();
    return rows.map((r) => ({
      at: Number(r.at),
      kind: r.kind,
      status: r.status as ReportStatus,
      note: r.note,
      user: person(r.user_id, r.display_name),
    }));
  }

  /**
   * Change the report if its status is one of `from`, with a history row; false when it was not
   * (another step came first).
   */
  async step(
    trx: Db,
    id: number,
    from: readonly ReportStatus[],
    set: Partial<Omit<ReportRow, 'id' | 'receipt'>> & { status: ReportStatus; updated_at: number },
    event: Omit<ReportEvent, 'status'>,
  ): Promise<boolean> {
    const r = await trx
      .updateTable('rider_reports')
      .set(set)
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await this.addEvent(trx, id, { ...event, status: set.status });
    return true;
  }

  async photoCount(reportId: number, db: Db = this.db): Promise<number> {
    const r = await db
      .selectFrom('rider_report_photos')
      .select((eb) => eb.fn.countAll<number>().as('c'))
      .where('report_id', '=', reportId)
      .executeTakeFirstOrThrow();
    return Number(r.c);
  }

  /** Store the photo as number count+1; undefined when the report has `max` already. */
  async addPhoto(
    reportId: number,
    p: { at: number; contentType: string; data: Buffer; keptLocation: boolean },
    max: number,
  ): Promise<number | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const k = (await this.photoCount(reportId, trx)) + 1;
        if (k > max) return undefined;
        // The unique (report_id, n) index refuses the loser of two uploads racing for one number.
        await trx
          .insertInto('rider_report_photos')
          .values({
            report_id: reportId,
            n: k,
            at: p.at,
            content_type: p.contentType,
            bytes: p.data.length,
            kept_location: p.keptLocation ? 1 : 0,
            data: p.data,
          })
          .execute();
        return k;
      });
    } catch (e) {
      if ((await this.photoCount(reportId)) >= max) return undefined;
      throw e;
    }
  }

  async photos(reportId: number) {
    const rows = await this.db
      .selectFrom('rider_report_photos')
      .select(['n', 'at', 'content_type', 'bytes', 'kept_location'])
      .where('report_id', '=', reportId)
      .orderBy('n')
      .execute();
    return rows.map((r) => ({
      n: Number(r.n),
      at: Number(r.at),
      contentType: r.content_type,
      bytes: Number(r.bytes),
      keptLocation: Number(r.kept_location) === 1,
    }));
  }

  async photo(reportId: number, k: number): Promise<{ contentType: string; data: Buffer } | undefined> {
    const r = await this.db
      .selectFrom('rider_report_photos')
      .select(['content_type', 'data'])
      .where('report_id', '=', reportId)
      .where('n', '=', k)
      .executeTakeFirst();
    return r && { contentType: r.content_type, data: Buffer.from(r.data) };
  }

  /** What the rider reads with the receipt: no contact data, no staff names. */
  async publicView(r: ReportRow, lang: Lang): Promise<PublicReport> {
    const [events, photos] = await Promise.all([this.events(r.id), this.photoCount(r.id)]);
    const status = r.status as ReportStatus;
    const stationName = r.station_id === null ? undefined : this.names.stationName(r.station_id, lang);
    const refused = status === 'duplicate' || status === 'not_valid' || status === 'outside_remit';
    const handledBy =
      r.work_order_id !== null
        ? { kind: 'work_order' as const }
        : r.department !== null
          ? { kind: 'department' as const, name: r.department }
          : r.assignee_id !== null
            ? { kind: 'grid_member' as const }
            : undefined;
    return {
      receipt: showReceipt(r.receipt),
      category: r.category as ReportCategory,
      categoryName: CATEGORY_INFO[r.category as ReportCategory][lang],
      text: r.text,
      ...(r.station_id === null ? {} : { stationId: r.station_id }),
      ...(stationName === undefined ? {} : { stationName }),
      createdAt: Number(r.created_at),
      status,
      statusName: STATUS_NAMES[status][lang],
      ...(refused && r.reason ? { reason: r.reason } : {}),
      ...(handledBy ? { handledBy } : {}),
      history: events.map((e) => ({
        at: e.at,
        status: e.status,
        statusName: STATUS_NAMES[e.status][lang],
        ...(e.note ? { note: e.note } : {}),
      })),
      photos,
    };
  }

  /** The staff's view of one report, contact data left out (the detail route adds it). */
  staffView(
    r: ReportRow & { triager?: string | null; assignee?: string | null; photos?: number },
    lang: Lang,
  ): StaffReport {
    const category = r.category as ReportCategory;
    const status = r.status as ReportStatus;
    return {
      id: Number(r.id),
      receipt: showReceipt(r.receipt),
      category,
      categoryName: CATEGORY_INFO[category][lang],
      kind: CATEGORY_INFO[category].kind,
      text: r.text,
      stationId: r.station_id,
      stationName:
        r.station_id === null ? null : (this.names.stationName(r.station_id, lang) ?? r.station_id),
      townshipCode: r.township,
      township: this.names.townshipName(r.township, lang) ?? r.township,
      location:
        r.lat === null || r.lon === null
          ? null
          : { lat: r.lat, lon: r.lon, ...(r.accuracy_m === null ? {} : { accuracyM: r.accuracy_m }) },
      createdAt: Number(r.created_at),
      status,
      statusName: STATUS_NAMES[status][lang],
      decision: r.decision as TriageDecision | null,
      reason: r.reason,
      duplicateOf: r.duplicate_of === null ? null : showReceipt(r.duplicate_of),
      triagedAt: n(r.triaged_at),
      triagedBy: person(r.triaged_by, r.triager),
      workOrderId: n(r.work_order_id),
      assignee: person(r.assignee_id, r.assignee),
      department: r.department,
      resolvedAt: n(r.closed_at),
      photos: r.photos ?? 0,
      hasContact: r.contact_name !== null || r.contact_phone !== null,
      credited: r.credit_name !== null,
    };
  }

  /** Staff rows with the names and photo counts the view needs. */
  select(db: Db = this.db) {
    return db
      .selectFrom('rider_reports as r')
      .leftJoin('users as t', 't.id', 'r.triaged_by')
      .leftJoin('users as a', 'a.id', 'r.assignee_id')
      .selectAll('r')
      .select((eb) => [
        't.display_name as triager',
        'a.display_name as assignee',
        eb
          .selectFrom('rider_report_photos as p')
          .select((e2) => e2.fn.countAll<number>().as('c'))
          .whereRef('p.report_id', '=', 'r.id')
          .as('photos'),
      ]);
  }

  async staffRow(id: number, lang: Lang): Promise<StaffReport | undefined> {
    const r = await this.select().where('r.id', '=', id).executeTakeFirst();
    return r && this.staffView({ ...r, photos: Number(r.photos ?? 0) }, lang);
  }
}
