/**
 * People for server tests: a user with grants, and the headers of their session or token, made
 * straight in the app's operations store (no login round trip, no scrypt cost).
 */
import type { FastifyInstance } from 'fastify';
import type { Grant, Permission } from '../../server/src/auth/roles.js';
import { createSession, createToken } from '../../server/src/auth/sessions.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../../server/src/plugins/auth.js';

let n = 0;

export interface TestUser {
  id: number;
  login: string;
}

export async function addTestUser(
  app: FastifyInstance,
  grants: readonly Grant[],
  login = `user${++n}`,
): Promise<TestUser> {
  const db = app.ops.db;
  const { id } = await db
    .insertInto('users')
    .values({
      login,
      display_name: login,
      password_hash: 'unusable',
      disabled_at: null,
      created_at: Date.now(),
      locked_until: null,
      password_changed_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (grants.length)
    await db
      .insertInto('role_grants')
      .values(grants.map((g) => ({ user_id: id, ...g })))
      .execute();
  return { id, login };
}

/** Headers of a browser session: the cookie and, for writes, the CSRF header. */
export async function sessionHeaders(app: FastifyInstance, user: TestUser): Promise<Record<string, string>> {
  const s = await createSession(app.ops.db, user.id, '127.0.0.1');
  return { cookie: `${SESSION_COOKIE}=${s.token}`, [CSRF_HEADER]: s.csrf };
}

/** Headers of a personal API token limited to `scopes`. */
export async function tokenHeaders(
  app: FastifyInstance,
  user: TestUser,
  scopes: readonly Permission[],
): Promise<Record<string, string>> {
  const t = await createToken(app.ops.db, user.id, 'test', scopes);
  return { authorization: `Bearer ${t.token}` };
}

/** Session headers of a new county-wide viewer: for tests that only read the API. */
export async function readerHeaders(app: FastifyInstance): Promise<Record<string, string>> {
  return sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: 'county' }]));
}
