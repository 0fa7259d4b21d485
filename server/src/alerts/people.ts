/**
 * Who may be assigned an alert in a township: enabled users holding alert:write there (a grant for
 * that township or the county); and the township's grid members, for riders' reports. The people list shows whether someone can be @-mentioned (has a
 * mobile), never the number itself.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { COUNTY, can, isRole, type Grant, type Principal, type Role } from '../auth/roles.js';

export interface Person {
  id: number;
  displayName: string;
  roles: string[];
  hasMobile: boolean;
}

/** Why a user cannot be assigned, in both languages; undefined: they can. */
export interface AssignProblem {
  zh: string;
  en: string;
}

interface Candidate {
  id: number;
  displayName: string;
  disabled: boolean;
  hasMobile: boolean;
  grants: Grant[];
}

async function candidates(db: Kysely<Database>, userId?: number): Promise<Candidate[]> {
  let users = db.selectFrom('users').select(['id', 'display_name', 'disabled_at', 'mobile']);
  let grants = db.selectFrom('role_grants').select(['user_id', 'role', 'scope']);
  if (userId !== undefined) {
    users = users.where('id', '=', userId);
    grants = grants.where('user_id', '=', userId);
  }
  const [us, gs] = await Promise.all([
    users.orderBy('display_name').orderBy('id').execute(),
    grants.execute(),
  ]);
  const byUser = new Map<number, Grant[]>();
  for (const g of gs)
    if (isRole(g.role))
      byUser.set(g.user_id, [...(byUser.get(g.user_id) ?? []), { role: g.role, scope: g.scope }]);
  return us.map((u) => ({
    id: u.id,
    displayName: u.display_name,
    disabled: u.disabled_at !== null,
    hasMobile: u.mobile !== null,
    grants: byUser.get(u.id) ?? [],
  }));
}

const mayWrite = (c: Candidate, township: string): boolean => {
  const p: Principal = {
    kind: 'user',
    userId: c.id,
    login: '',
    displayName: c.displayName,
    grants: c.grants,
  };
  return can(p, 'alert:write', township);
};

const holds = (c: Candidate, role: Role, township: string): boolean =>
  c.grants.some((g) => g.role === role && (g.scope === township || g.scope === COUNTY));

/** Enabled, and holding `role` in the township or county-wide; without `role`, alert:write there. */
const eligible = (c: Candidate, township: string, role?: Role): boolean =>
  !c.disabled && (role ? holds(c, role, township) : mayWrite(c, township));

/**
 * Enabled users who may be assigned alerts of the township, by name; with `role`, those holding
 * that role there or county-wide instead (grid_staff: who take riders' reports).
 */
export async function assignablePeople(
  db: Kysely<Database>,
  township: string,
  role?: Role,
): Promise<Person[]> {
  return (await candidates(db))
    .filter((c) => eligible(c, township, role))
    .map((c) => ({
      id: c.id,
      displayName: c.displayName,
      roles: [...new Set(c.grants.map((g) => g.role))],
      hasMobile: c.hasMobile,
    }));
}

/**
 * Whether the user is one {@link assignablePeople} lists for the township and `role`: a work
 * order's assignee (alert:write there), or with `role: 'grid_staff'` a rider report's grid member.
 */
export async function mayBeAssigned(
  db: Kysely<Database>,
  userId: number,
  township: string,
  role?: Role,
): Promise<boolean> {
  const [c] = await candidates(db, userId);
  return c !== undefined && eligible(c, township, role);
}

/** The user if they may be assigned alerts of the township, else why not. */
export async function assignee(
  db: Kysely<Database>,
  userId: number,
  township: string,
): Promise<{ person: { id: number; displayName: string } } | { problem: AssignProblem }> {
  const [c] = await candidates(db, userId);
  if (!c) return { problem: { zh: '没有这个用户', en: 'no such user' } };
  if (c.disabled) return { problem: { zh: '该用户已停用', en: 'the user is disabled' } };
  if (!mayWrite(c, township))
    return {
      problem: {
        zh: `该用户在镇街 ${township} 没有 alert:write 权限`,
        en: `the user does not hold alert:write in township ${township}`,
      },
    };
  return { person: { id: c.id, displayName: c.displayName } };
}
