/**
 * The audit log: every write through the API, who made it, from where, and what it changed.
 * Handlers call {@link recordAudit} in the transaction of the write itself, so an answered write
 * always has its entry and a failed one has none. Secrets never enter it: fields whose name says
 * password, token, secret or hash are replaced by "***".
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Principal } from '../auth/roles.js';

/** Who wrote, from where: a request (its principal and address), or the CLI. */
export interface AuditSource {
  principal: Principal | null;
  ip: string;
}

export interface AuditEntry {
  /** What was done, as `noun.verb`: user.add, user.disable, token.add, config.put, alert.ack … */
  action: string;
  /** What it was done to: "user:12", "station:st-001", "alert:<id>". */
  target: string;
  /** The township code it concerns; null or absent for county-wide things. */
  township?: string | null;
  before?: unknown;
  after?: unknown;
}

const SECRET_KEY = /password|token|secret|hash/i;

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) ? '***' : redact(x)]));
  return v;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(redact(v)));

export async function recordAudit(
  db: Kysely<Database> | Transaction<Database>,
  req: AuditSource,
  e: AuditEntry,
  now = Date.now(),
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: now,
      user_id: req.principal?.userId ?? null,
      address: req.ip,
      action: e.action,
      target: e.target,
      township: e.township ?? null,
      before_json: json(e.before),
      after_json: json(e.after),
    })
    .execute();
}
