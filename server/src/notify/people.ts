/**
 * Who is @-mentioned, read from the accounts: enabled users with a mobile number and a role grant
 * in the township (or the county, which covers every township).
 *
 * - crew: crew_lead / crew_member; the assignee alone when the alert is assigned;
 * - township managers: township_manager (escalation);
 * - county: county_admin (county escalation).
 *
 * `alerts.assignee_id` comes with the lifecycle migration (0009). {@link People.init} checks once,
 * outside any transaction, whether the column exists (a failing statement inside a PostgreSQL
 * transaction would abort it); without it every alert counts as unassigned.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Mobiles @-mentioned in one message at most (a crew is a handful; a county grant list is not). */
export const MAX_MENTIONS = 10;

export const CREW_ROLES = ['crew_lead', 'crew_member'] as const;

export class People {
  private hasAssignee = false;

  constructor(private readonly db: Kysely<Database>) {}

  async init(): Promise<void> {
    try {
      await sql`select assignee_id from alerts where 1 = 0`.execute(this.db);
      this.hasAssignee = true;
    } catch {
      // Before migration 0009 there is no assignee; alerts go to the whole crew.
      this.hasAssignee = false;
    }
  }

  /** Mobiles of enabled users holding one of `roles` in `township` or the county, capped. */
  async mobiles(db: Db, township: string, roles: readonly string[]): Promise<string[]> {
    const rows = await db
      .selectFrom('users')
      .innerJoin('role_grants', 'role_grants.user_id', 'users.id')
      .select('users.mobile')
      .distinct()
      .where('users.disabled_at', 'is', null)
      .where('users.mobile', 'is not', null)
      .where('role_grants.role', 'in', [...roles])
      .where('role_grants.scope', 'in', [township, 'county'])
      .orderBy('users.mobile')
      .limit(MAX_MENTIONS)
      .execute();
    return rows.map((r) => r.mobile).filter((m): m is string => !!m);
  }

  /** The assignee's mobile of each alert that has one (enabled, with a number). */
  async assigneeMobiles(db: Db, alertIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!this.hasAssignee || alertIds.length === 0) return out;
    const res = await sql<{ id: string; mobile: string | null }>`
      select a.id, u.mobile from alerts a join users u on u.id = a.assignee_id
      where a.id in (${sql.join([...alertIds])}) and u.disabled_at is null`.execute(db);
    for (const r of res.rows) if (r.mobile) out.set(r.id, r.mobile);
    return out;
  }

  /** The crew to @-mention for `alertId`: its assignee alone when it has one, else the township's crew. */
  async crewFor(db: Db, alertId: string, township: string): Promise<string[]> {
    const assignee = (await this.assigneeMobiles(db, [alertId])).get(alertId);
    return assignee ? [assignee] : this.mobiles(db, township, CREW_ROLES);
  }
}
