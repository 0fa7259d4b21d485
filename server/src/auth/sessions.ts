/**
 * Server-side sessions and personal API tokens, as rows of the operations store.
 *
 * A session id or token is 32 random bytes shown once (cookie / CLI output); the store keeps only
 * its SHA-256, so a copy of the store lets nobody in. The CSRF token of a session is an HMAC of the
 * session id: the page reads it from `GET /api/v1/auth/me` and sends it as `x-csrf-token`; a
 * cross-site form cannot, because it can neither read that answer nor the HttpOnly cookie.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { isPermission, isRole, type Grant, type Permission, type Principal } from './roles.js';

/** A session lasts this long after login, ms (a crew's working day and night). */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;
/** Personal API tokens start with this, so a leaked one is recognisable (e.g. by secret scanners). */
export const TOKEN_PREFIX = 'yzt_';
/** last_seen_at / last_used_at are written at most this often per session or token, ms. */
const TOUCH_INTERVAL_MS = 60_000;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url');
const secret = (): string => randomBytes(32).toString('base64url');

/** The CSRF token that goes with a session id (not its hash: only the cookie's holder can know it). */
export function csrfFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('yizhan-csrf').digest('base64url');
}

/** Constant-time comparison of two strings. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function grantsOf(db: Kysely<Database>, userId: number): Promise<Grant[]> {
  const rows = await db
    .selectFrom('role_grants')
    .select(['role', 'scope'])
    .where('user_id', '=', userId)
    .execute();
  return rows.flatMap((r) => (isRole(r.role) ? [{ role: r.role, scope: r.scope }] : []));
}

export interface NewSession {
  /** Goes into the cookie; never stored. */
  token: string;
  csrf: string;
  expiresAt: number;
}

export async function createSession(
  db: Kysely<Database>,
  userId: number,
  address: string | null,
  now = Date.now(),
  ttlMs = DEFAULT_SESSION_TTL_MS,
): Promise<NewSession> {
  const token = secret();
  const expiresAt = now + ttlMs;
  await db
    .insertInto('sessions')
    .values({
      id: sha256(token),
      user_id: userId,
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
      address,
      last_seen_at: now,
    })
    .execute();
  return { token, csrf: csrfFor(token), expiresAt };
}

/** The principal of a live session of an enabled user, or null. */
export async function resolveSession(
  db: Kysely<Database>,
  token: string,
  now = Date.now(),
): Promise<Principal | null> {
  const id = sha256(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.login',
      'users.display_name',
      'users.disabled_at',
      'sessions.expires_at',
      'sessions.revoked_at',
      'sessions.last_seen_at',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.disabled_at !== null || row.expires_at <= now) return null;
  if (row.last_seen_at === null || now - row.last_seen_at > TOUCH_INTERVAL_MS)
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  return {
    kind: 'user',
    userId: row.userId,
    login: row.login,
    displayName: row.display_name,
    grants: await grantsOf(db, row.userId),
    sessionId: id,
  };
}

/** Ends one session (logout) or, with `userId`, every session of a user (disable, password change). */
export async function revokeSessions(
  db: Kysely<Database>,
  which: { sessionId: string } | { userId: number; except?: string },
  now = Date.now(),
): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: now }).where('revoked_at', 'is', null);
  if ('sessionId' in which) q = q.where('id', '=', which.sessionId);
  else {
    q = q.where('user_id', '=', which.userId);
    if (which.except) q = q.where('id', '!=', which.except);
  }
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export interface NewToken {
  id: number;
  /** Shown once; only its hash is kept. */
  token: string;
}

export async function createToken(
  db: Kysely<Database>,
  userId: number,
  name: string,
  scopes: readonly Permission[],
  now = Date.now(),
): Promise<NewToken> {
  const token = TOKEN_PREFIX + secret();
  const row = await db
    .insertInto('api_tokens')
    .values({
      user_id: userId,
      name,
      token_hash: sha256(token),
      scopes: scopes.join(' '),
      created_at: now,
      revoked_at: null,
      last_used_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

/** The principal of an unrevoked token of an enabled user, limited to the token's scopes; or null. */
export async function resolveToken(
  db: Kysely<Database>,
  token: string,
  now = Date.now(),
): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as tokenId',
      'api_tokens.scopes',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'users.id as userId',
      'users.login',
      'users.display_name',
      'users.disabled_at',
    ])
    .where('api_tokens.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.disabled_at !== null) return null;
  if (row.last_used_at === null || now - row.last_used_at > TOUCH_INTERVAL_MS)
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.tokenId).execute();
  return {
    kind: 'token',
    userId: row.userId,
    login: row.login,
    displayName: row.display_name,
    grants: await grantsOf(db, row.userId),
    tokenScopes: row.scopes.split(' ').filter(isPermission),
  };
}
