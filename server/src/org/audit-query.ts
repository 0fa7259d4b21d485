/**
 * Reading the audit log: filters, scope and keyset pagination (newest first, `before` = the last id
 * of the previous page), for GET /api/v1/audit and its CSV export.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface AuditQuery {
  /** Unix ms, inclusive. */
  from?: number;
  /** Unix ms, exclusive. */
  to?: number;
  /** The login of the user who made the change. */
  user?: string;
  action?: string;
  township?: string;
  /** Entries with an id below this one (the previous page's `next`). */
  before?: number;
  limit: number;
  /** Whose entries the reader may see: 'all', or entries of these townships only. */
  scope: 'all' | ReadonlySet<string>;
}

export interface AuditView {
  id: number;
  at: number;
  user: { id: number; login: string } | null;
  address: string | null;
  action: string;
  target: string;
  township: string | null;
  before: unknown;
  after: unknown;
}

const parse = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown));

export async function listAudit(
  db: Kysely<Database>,
  q: AuditQuery,
): Promise<{ entries: AuditView[]; next: number | null }> {
  if (q.scope !== 'all' && q.scope.size === 0) return { entries: [], next: null };
  let s = db
    .selectFrom('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .select([
      'a.id',
      'a.at',
      'a.user_id',
      'u.login',
      'a.address',
      'a.action',
      'a.target',
      'a.township',
      'a.before_json',
      'a.after_json',
    ]);
  if (q.scope !== 'all') s = s.where('a.township', 'in', [...q.scope]);
  if (q.from !== undefined) s = s.where('a.at', '>=', q.from);
  if (q.to !== undefined) s = s.where('a.at', '<', q.to);
  if (q.user !== undefined) s = s.where('u.login', '=', q.user);
  if (q.action !== undefined) s = s.where('a.action', '=', q.action);
  if (q.township !== undefined) s = s.where('a.township', '=', q.township);
  if (q.before !== undefined) s = s.where('a.id', '<', q.before);
  const rows = await s
    .orderBy('a.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at,
      user: r.user_id !== null && r.login !== null ? { id: r.user_id, login: r.login } : null,
      address: r.address,
      action: r.action,
      target: r.target,
      township: r.township,
      before: parse(r.before_json),
      after: parse(r.after_json),
    })),
    next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
