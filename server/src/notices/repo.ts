/**
 * The notices table (migration 0015): rows to API objects and back. The routes write through
 * here inside their audit transaction; the board (board.ts) loads the notices not yet over.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, NoticesTable } from '../store/schema.js';
import type { Notice, NoticeScope, PublicNotice } from '../routes/notices/schemas.js';

type Db = Kysely<Database> | Transaction<Database>;
type Row = Selectable<NoticesTable> & { created_by_name: string | null; withdrawn_by_name: string | null };

/** The fields a person writes (create or change); the scope is fixed at creation. */
export interface NoticeContent {
  kind: Notice['kind'];
  severity: Notice['severity'];
  title: Notice['title'];
  body: Notice['body'];
  startsAt: number;
  endsAt: number;
}

function scopeOf(r: Selectable<NoticesTable>): NoticeScope {
  if (r.scope === 'station' && r.station_id !== null) return { stationId: r.station_id };
  if (r.scope === 'township' && r.township !== null) return { township: r.township };
  return { county: true };
}

const person = (id: number | null, name: string | null) =>
  id === null ? null : { id: Number(id), displayName: name ?? '' };

function noticeOf(r: Row): Notice {
  return {
    id: Number(r.id),
    scope: scopeOf(r),
    kind: r.kind as Notice['kind'],
    severity: r.severity as Notice['severity'],
    title: { 'zh-CN': r.title_zh, en: r.title_en },
    body: { 'zh-CN': r.body_zh, en: r.body_en },
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    createdBy: person(r.created_by, r.created_by_name),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    withdrawnAt: r.withdrawn_at === null ? null : Number(r.withdrawn_at),
    withdrawnBy: person(r.withdrawn_by, r.withdrawn_by_name),
  };
}

/** The screen's view of a notice. */
export function publicNotice(n: Notice): PublicNotice {
  const { id, scope, kind, severity, title, body, startsAt, endsAt } = n;
  return { id, scope, kind, severity, title, body, startsAt, endsAt };
}

/**
 * Notices newest first: one by id, those not over at `now` (not withdrawn, not ended: active and
 * upcoming), or all of them (history).
 */
export async function readNotices(
  db: Db,
  opts: { id?: number; current?: boolean; now?: number } = {},
): Promise<Notice[]> {
  let q = db
    .selectFrom('notices as n')
    .leftJoin('users as c', 'c.id', 'n.created_by')
    .leftJoin('users as w', 'w.id', 'n.withdrawn_by')
    .selectAll('n')
    .select(['c.display_name as created_by_name', 'w.display_name as withdrawn_by_name'])
    .orderBy('n.id', 'desc');
  if (opts.id !== undefined) q = q.where('n.id', '=', opts.id);
  if (opts.current) q = q.where('n.withdrawn_at', 'is', null).where('n.ends_at', '>', opts.now ?? Date.now());
  return (await q.execute()).map(noticeOf);
}

const contentColumns = (c: NoticeContent) => ({
  kind: c.kind,
  severity: c.severity,
  title_zh: c.title['zh-CN'],
  title_en: c.title.en ?? null,
  body_zh: c.body['zh-CN'],
  body_en: c.body.en ?? null,
  starts_at: c.startsAt,
  ends_at: c.endsAt,
});

export async function insertNotice(
  db: Db,
  scope: NoticeScope,
  township: string | null,
  c: NoticeContent,
  by: number | null,
  now: number,
): Promise<number> {
  const kind = 'county' in scope ? 'county' : 'township' in scope ? 'township' : 'station';
  const { id } = await db
    .insertInto('notices')
    .values({
      scope: kind,
      township,
      station_id: 'stationId' in scope ? scope.stationId : null,
      ...contentColumns(c),
      created_by: by,
      created_at: now,
      updated_at: now,
      withdrawn_at: null,
      withdrawn_by: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

export async function updateNotice(db: Db, id: number, c: NoticeContent, now: number): Promise<void> {
  await db
    .updateTable('notices')
    .set({ ...contentColumns(c), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function withdrawNotice(db: Db, id: number, by: number | null, now: number): Promise<void> {
  await db
    .updateTable('notices')
    .set({ withdrawn_at: now, withdrawn_by: by, updated_at: now })
    .where('id', '=', id)
    .execute();
}
