/**
 * A plugin-level app for the people routes: core, the operations store (SQLite in memory), auth
 * and routes/auth, two townships (chengguan: st-001, xintang: st-002). No listen, no spawn.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import core from '../../../../server/src/plugins/core.js';
import opsStore from '../../../../server/src/plugins/ops-store.js';
import auth from '../../../../server/src/plugins/auth.js';
import authRoutes from '../../../../server/src/routes/auth/index.js';
import { hashPassword } from '../../../../server/src/auth/passwords.js';
import type { Grant } from '@yizhan/server/roles';
import { addTestUser, twoTownships, type TestUser } from '../../auth-helpers.js';

/** Cheap scrypt for test users (the cost parameters travel in the stored hash). */
export const CHEAP = { algo: 'scrypt', N: 2 ** 10, r: 8, p: 1, keyLen: 32 } as const;

/** `dataDir`: the store in that folder's yizhan.db (as the server and the CLI open it); else in memory. */
export async function peopleApp(
  opts: { trustProxy?: string; dataDir?: string } = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(opts.trustProxy ? { trustProxy: opts.trustProxy } : {}) });
  await app.register(core, { server: twoTownships(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  await app.register(opsStore);
  await app.register(auth);
  await app.register(authRoutes);
  await app.ready();
  return app;
}

/** A user who can log in with `password` (hashed cheaply). */
export async function userWithPassword(
  app: FastifyInstance,
  grants: readonly Grant[],
  password: string,
  login?: string,
): Promise<TestUser> {
  const u = await addTestUser(app, grants, login);
  const hash = await hashPassword(password, CHEAP);
  await app.ops.db.updateTable('users').set({ password_hash: hash }).where('id', '=', u.id).execute();
  return u;
}

/** The session cookie's value out of a login answer's Set-Cookie. */
export function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith('yizhan_session='));
  if (!line) throw new Error(`no yizhan_session cookie in ${String(setCookie)}`);
  return line.split(';')[0] ?? '';
}

export async function auditRows(app: FastifyInstance) {
  return app.ops.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
}
