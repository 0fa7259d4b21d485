/**
 * People for server tests: a user with grants, and the headers of their session or token, made
 * straight in the app's operations store (no login round trip, no scrypt cost).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from '../../server/src/options.js';
import { stationFixture } from '../helpers/station.js';
import type { Grant, Permission } from '@yizhan/server/roles';
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

/**
 * Server options of a plugin-level test app with two townships: chengguan (城关镇, st-001) and
 * xintang (新塘镇, st-002); nothing behind MQTT or InfluxDB (they are never started).
 */
export function twoTownships(extra: Partial<ServerOptions> = {}): ServerOptions {
  return {
    stations: [
      stationFixture('st-001', { township: '城关镇' }),
      stationFixture('st-002', { township: '新塘镇' }),
    ],
    townships: [
      { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
      { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
    ],
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    influx: { url: 'http://127.0.0.1:1', api: 'v1', db: 'yizhan', rp: 'raw' },
    defaultMetrics: false,
    ...extra,
  };
}
