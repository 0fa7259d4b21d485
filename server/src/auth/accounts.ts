/**
 * People's accounts: add, list, change, disable, reset and set passwords. Shared by the users API
 * (routes/auth/users.ts) and the CLI (cli.ts); every write records its audit entry in its own
 * transaction, and password hashing happens before the transaction opens.
 *
 * Who may touch whom: the CLI (actor null) and county-wide user:admin holders anyone; a township
 * manager only users whose grants all lie in townships where they hold user:admin, and may grant
 * only those townships (never the county, never county_admin).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { recordAudit } from '../org/audit.js';
import {
  COUNTY,
  COUNTY_ONLY_ROLES,
  ROLES,
  isRole,
  townshipsWith,
  type Grant,
  type Principal,
} from './roles.js';
import { grantsOf, revokeSessions } from './sessions.js';
import {
  generatePassword,
  hashPassword,
  passwordProblem,
  verifyPassword,
  type PasswordProblem,
} from './passwords.js';
import { isMobile, maskMobile } from './mobile.js';

export const LOGIN_PATTERN = '^[a-z][a-z0-9_.-]{2,63}$';
const LOGIN_RE = new RegExp(LOGIN_PATTERN);
export const DISPLAY_NAME_MAX = 100;
export const MAX_GRANTS = 50;

export type AccountErrorCode =
  | 'invalid_login'
  | 'login_taken'
  | 'user_not_found'
  | 'invalid_grant'
  | 'forbidden_grant'
  | 'cannot_disable_self'
  | 'last_county_admin'
  | 'bad_current_password'
  | 'invalid_mobile'
  | PasswordProblem;

/** A refused account change; `params` fill the message (routes/auth/errors.ts). */
export class AccountError extends Error {
  override name = 'AccountError';
  constructor(
    readonly code: AccountErrorCode,
    readonly params: Record<string, string> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

/** Who acts and from where: a request, or the CLI ({ principal: null, ip: 'cli' }). */
export interface Actor {
  principal: Principal | null;
  ip: string;
}
export const CLI_ACTOR: Actor = { principal: null, ip: 'cli' };

export interface Ctx {
  db: Kysely<Database>;
  /** Known township codes (app.hierarchy). */
  township: (code: string) => unknown;
  actor: Actor;
}

export interface UserView {
  id: number;
  login: string;
  displayName: string;
  grants: Grant[];
  disabled: boolean;
  createdAt: number;
  lastLoginAt: number | null;
  /** What robots @-mention; only user:admin holders list users, so only they see it. */
  mobile: string | null;
}

/** Grants an actor may hold over others: 'all' (county / CLI) or the townships they manage. */
function managedBy(actor: Actor): 'all' | Set<string> {
  return actor.principal ? townshipsWith(actor.principal, 'user:admin') : 'all';
}

function grantsWithin(grants: readonly Grant[], where: 'all' | Set<string>): boolean {
  if (where === 'all') return true;
  return grants.every((g) => g.scope !== COUNTY && !COUNTY_ONLY_ROLES.includes(g.role) && where.has(g.scope));
}

/** A township manager sees a user only when the user holds something and all of it lies in their townships. */
function canManage(actor: Actor, grants: readonly Grant[]): boolean {
  const where = managedBy(actor);
  return where === 'all' || (grants.length > 0 && grantsWithin(grants, where));
}

/** A mainland mobile number, or null (clear); anything else is refused. */
export function checkMobile(mobile: string | null | undefined): void {
  if (typeof mobile === 'string' && !isMobile(mobile))
    throw new AccountError('invalid_mobile', { mobile: mobile.slice(0, 20) });
}

export function checkLogin(login: string): void {
  if (!LOGIN_RE.test(login)) throw new AccountError('invalid_login', { login: login.slice(0, 80) });
}

/** Roles that exist, scopes that are the county or a known township, county-only roles county-wide. */
export function checkGrants(
  ctx: Pick<Ctx, 'township'>,
  grants: readonly { role: string; scope: string }[],
): Grant[] {
  const out: Grant[] = [];
  grants.forEach((g, i) => {
    const at = `grants/${i}`;
    if (!isRole(g.role))
      throw new AccountError('invalid_grant', { at, detail: `role "${g.role}" ∉ ${ROLES.join(', ')}` });
    if (g.scope !== COUNTY && ctx.township(g.scope) === undefined)
      throw new AccountError('invalid_grant', {
        at,
        detail: `scope "${g.scope}": county or a township code`,
      });
    if (COUNTY_ONLY_ROLES.includes(g.role) && g.scope !== COUNTY)
      throw new AccountError('invalid_grant', { at, detail: `${g.role} needs scope county` });
    if (!out.some((o) => o.role === g.role && o.scope === g.scope))
      out.push({ role: g.role, scope: g.scope });
  });
  return out;
}

function checkMayGrant(actor: Actor, grants: readonly Grant[]): void {
  const where = managedBy(actor);
  const bad = grants.find((g) => !grantsWithin([g], where));
  if (bad) throw new AccountError('forbidden_grant', { grant: `${bad.role}@${bad.scope}` });
}

/** The single township a user's grants lie in (for the audit entry), else null. */
function townshipOfGrants(grants: readonly Grant[]): string | null {
  const scopes = new Set(grants.map((g) => g.scope));
  const [only] = scopes;
  return scopes.size === 1 && only !== COUNTY && only !== undefined ? only : null;
}

async function lastLogins(db: Kysely<Database>): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('sessions')
    .select(['user_id', (eb) => eb.fn.max('created_at').as('at')])
    .groupBy('user_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.user_id), Number(r.at)]));
}

export async function listUsers(ctx: Ctx): Promise<UserView[]> {
  const [users, grants, last] = await Promise.all([
    ctx.db.selectFrom('users').selectAll().orderBy('login').execute(),
    ctx.db.selectFrom('role_grants').selectAll().execute(),
    lastLogins(ctx.db),
  ]);
  const byUser = new Map<number, Grant[]>();
  for (const g of grants)
    if (isRole(g.role))
      byUser.set(g.user_id, [...(byUser.get(g.user_id) ?? []), { role: g.role, scope: g.scope }]);
  return users
    .map((u) => ({
      id: u.id,
      login: u.login,
      displayName: u.display_name,
      grants: byUser.get(u.id) ?? [],
      disabled: u.disabled_at !== null,
      createdAt: u.created_at,
      lastLoginAt: last.get(u.id) ?? null,
      mobile: u.mobile,
    }))
    .filter((u) => canManage(ctx.actor, u.grants));
}

async function findUser(db: Kysely<Database>, which: { id: number } | { login: string }) {
  let q = db.selectFrom('users').selectAll();
  q = 'id' in which ? q.where('id', '=', which.id) : q.where('login', '=', which.login);
  return q.executeTakeFirst();
}

/** The user as the actor may see it; not found when they may not (a manager learns nothing of others). */
export async function getUser(ctx: Ctx, which: { id: number } | { login: string }): Promise<UserView> {
  const u = await findUser(ctx.db, which);
  const grants = u ? await grantsOf(ctx.db, u.id) : [];
  if (!u || !canManage(ctx.actor, grants))
    throw new AccountError('user_not_found', { user: 'id' in which ? String(which.id) : which.login });
  const last = await ctx.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('user_id', '=', u.id)
    .executeTakeFirst();
  return {
    id: u.id,
    login: u.login,
    displayName: u.display_name,
    grants,
    disabled: u.disabled_at !== null,
    createdAt: u.created_at,
    lastLoginAt: last?.at == null ? null : Number(last.at),
    mobile: u.mobile,
  };
}

export interface NewUser {
  login: string;
  displayName: string;
  grants: readonly { role: string; scope: string }[];
  password?: string | undefined;
  mobile?: string | null | undefined;
}

/** Adds a user; returns it and the password (the generated one when none was given, shown once). */
export async function addUser(
  ctx: Ctx,
  req: NewUser,
  now = Date.now(),
): Promise<{ user: UserView; password: string }> {
  checkLogin(req.login);
  checkMobile(req.mobile);
  const grants = checkGrants(ctx, req.grants);
  checkMayGrant(ctx.actor, grants);
  const password = req.password ?? generatePassword();
  const problem = passwordProblem(password, req.login);
  if (problem) throw new AccountError(problem, { field: 'password' });
  if (await findUser(ctx.db, { login: req.login }))
    throw new AccountError('login_taken', { login: req.login });
  const hash = await hashPassword(password);
  const id = await ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('users')
      .values({
        login: req.login,
        display_name: req.displayName,
        password_hash: hash,
        disabled_at: null,
        created_at: now,
        locked_until: null,
        password_changed_at: now,
        mobile: req.mobile ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (grants.length)
      await trx
        .insertInto('role_grants')
        .values(grants.map((g) => ({ user_id: row.id, ...g })))
        .execute();
    await recordAudit(
      trx,
      ctx.actor,
      {
        action: 'user.add',
        target: `user:${row.id}`,
        township: townshipOfGrants(grants),
        after: {
          login: req.login,
          displayName: req.displayName,
          grants,
          mobile: maskMobile(req.mobile ?? null),
        },
      },
      now,
    );
    return row.id;
  });
  return { user: await getUser({ ...ctx, actor: CLI_ACTOR }, { id }), password };
}

function auditAction(wasDisabled: boolean, disabled: boolean): string {
  if (disabled === wasDisabled) return 'user.update';
  return disabled ? 'user.disable' : 'user.enable';
}

export interface UserChange {
  displayName?: string | undefined;
  grants?: readonly { role: string; scope: string }[] | undefined;
  disabled?: boolean | undefined;
  mobile?: string | null | undefined;
}

const isCountyAdmin = (grants: readonly Grant[]) =>
  grants.some((g) => g.role === 'county_admin' && g.scope === COUNTY);

/** Refuses a change that would leave no enabled county admin (nobody could manage the county any more). */
async function keepACountyAdmin(ctx: Ctx, before: UserView, grants: Grant[] | undefined, disabled?: boolean) {
  if (before.disabled || !isCountyAdmin(before.grants)) return;
  if (disabled !== true && (grants === undefined || isCountyAdmin(grants))) return;
  const others = await ctx.db
    .selectFrom('role_grants')
    .innerJoin('users', 'users.id', 'role_grants.user_id')
    .select('users.id')
    .where('role_grants.role', '=', 'county_admin')
    .where('role_grants.scope', '=', COUNTY)
    .where('users.disabled_at', 'is', null)
    .where('users.id', '!=', before.id)
    .executeTakeFirst();
  if (!others) throw new AccountError('last_county_admin', { login: before.login });
}

/** Changes a user; disabling ends their sessions (their tokens stop at once: resolveToken checks). */
export async function updateUser(
  ctx: Ctx,
  id: number,
  change: UserChange,
  now = Date.now(),
): Promise<UserView> {
  const before = await getUser(ctx, { id });
  checkMobile(change.mobile);
  const grants = change.grants === undefined ? undefined : checkGrants(ctx, change.grants);
  if (grants) checkMayGrant(ctx.actor, grants);
  if (change.disabled === true && ctx.actor.principal?.userId === id)
    throw new AccountError('cannot_disable_self');
  await keepACountyAdmin(ctx, before, grants, change.disabled);
  await ctx.db.transaction().execute(async (trx) => {
    const set: { display_name?: string; disabled_at?: number | null; mobile?: string | null } = {};
    if (change.displayName !== undefined) set.display_name = change.displayName;
    if (change.mobile !== undefined) set.mobile = change.mobile;
    if (change.disabled !== undefined && change.disabled !== before.disabled)
      set.disabled_at = change.disabled ? now : null;
    if (Object.keys(set).length) await trx.updateTable('users').set(set).where('id', '=', id).execute();
    if (grants) {
      await trx.deleteFrom('role_grants').where('user_id', '=', id).execute();
      if (grants.length)
        await trx
          .insertInto('role_grants')
          .values(grants.map((g) => ({ user_id: id, ...g })))
          .execute();
    }
    if (change.disabled === true) await revokeSessions(trx, { userId: id }, now);
    const after = {
      displayName: change.displayName ?? before.displayName,
      grants: grants ?? before.grants,
      disabled: change.disabled ?? before.disabled,
      mobile: maskMobile(change.mobile === undefined ? before.mobile : change.mobile),
    };
    await recordAudit(
      trx,
      ctx.actor,
      {
        action: auditAction(before.disabled, after.disabled),
        target: `user:${id}`,
        township: townshipOfGrants(after.grants),
        before: {
          displayName: before.displayName,
          grants: before.grants,
          disabled: before.disabled,
          mobile: maskMobile(before.mobile),
        },
        after,
      },
      now,
    );
  });
  return getUser({ ...ctx, actor: CLI_ACTOR }, { id });
}

async function storePassword(
  ctx: Ctx,
  user: UserView,
  hash: string,
  action: string,
  keepSession: string | undefined,
  now: number,
) {
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ password_hash: hash, password_changed_at: now, failed_logins: 0, locked_until: null })
      .where('id', '=', user.id)
      .execute();
    await revokeSessions(trx, { userId: user.id, ...(keepSession ? { except: keepSession } : {}) }, now);
    await recordAudit(
      trx,
      ctx.actor,
      { action, target: `user:${user.id}`, township: townshipOfGrants(user.grants) },
      now,
    );
  });
}

/** A new generated password for a user (shown once); ends their sessions and lifts a lockout. */
export async function resetPassword(
  ctx: Ctx,
  which: { id: number } | { login: string },
  now = Date.now(),
): Promise<string> {
  const user = await getUser(ctx, which);
  const password = generatePassword();
  await storePassword(ctx, user, await hashPassword(password), 'user.reset_password', undefined, now);
  return password;
}

/** A user's own password change: the current one must match; their other sessions end. */
export async function changeOwnPassword(
  ctx: Ctx,
  userId: number,
  current: string,
  next: string,
  keepSession: string | undefined,
  now = Date.now(),
): Promise<void> {
  const row = await findUser(ctx.db, { id: userId });
  if (!row) throw new AccountError('user_not_found', { user: String(userId) });
  const problem = passwordProblem(next, row.login);
  if (problem) throw new AccountError(problem, { field: 'next' });
  if (!(await verifyPassword(current, row.password_hash))) throw new AccountError('bad_current_password');
  const user = await getUser({ ...ctx, actor: CLI_ACTOR }, { id: userId });
  await storePassword(ctx, user, await hashPassword(next), 'user.password', keepSession, now);
}
