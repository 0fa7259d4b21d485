/**
 * The users API as an admin's page uses it: county admins manage everyone, township managers only
 * their townships' people; disabling and resets end sessions; every write has its audit row;
 * bad input is refused naming the field with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestUser, sessionHeaders, tokenHeaders, type TestUser } from '../../auth-helpers.js';
import { auditRows, peopleApp } from './app.js';

let app: FastifyInstance;
let county: Record<string, string>;
let manager: Record<string, string>;
let managerUser: TestUser;

beforeAll(async () => {
  app = await peopleApp();
  county = await sessionHeaders(app, await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]));
  managerUser = await addTestUser(app, [{ role: 'township_manager', scope: 'chengguan' }]);
  manager = await sessionHeaders(app, managerUser);
});
afterAll(() => app.close());

interface UserJson {
  id: number;
  login: string;
  grants: { role: string; scope: string }[];
  disabled: boolean;
}

const post = (headers: Record<string, string>, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/users', headers, payload: payload as object });
const patch = (headers: Record<string, string>, id: number, payload: unknown) =>
  app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers, payload: payload as object });
const list = async (headers: Record<string, string>) =>
  (await app.inject({ url: '/api/v1/users', headers })).json<{ users: UserJson[] }>().users;
const userCount = async () => (await app.ops.db.selectFrom('users').select('id').execute()).length;

describe('/api/v1/users', () => {
  it('adds a user with a generated password shown once; the audit row has no password', async () => {
    const r = await post(county, {
      login: 'wang.lei',
      displayName: '王磊',
      grants: [{ role: 'crew_member', scope: 'xintang' }],
    });
    expect(r.statusCode).toBe(201);
    const body = r.json<{ user: UserJson; password: string }>();
    expect(body.user).toMatchObject({
      login: 'wang.lei',
      grants: [{ role: 'crew_member', scope: 'xintang' }],
      disabled: false,
      lastLoginAt: null,
    });
    expect(body.password.length).toBeGreaterThanOrEqual(16);
    const row = await app.ops.db
      .selectFrom('users')
      .select('password_hash')
      .where('login', '=', 'wang.lei')
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    const audit = (await auditRows(app)).find((a) => a.target === `user:${body.user.id}`);
    expect(audit).toMatchObject({ action: 'user.add', township: 'xintang', address: '127.0.0.1' });
    expect(JSON.stringify(audit)).not.toContain(body.password);
    expect(JSON.stringify(await auditRows(app))).not.toContain(row.password_hash);
    expect((await post(county, { login: 'wang.lei', displayName: 'x', grants: [] })).json()).toMatchObject({
      error: { code: 'login_taken' },
    });
  });

  it('a township manager sees and manages only their township and cannot grant county or another township', async () => {
    const theirs = await addTestUser(app, [{ role: 'crew_lead', scope: 'chengguan' }]);
    const other = await addTestUser(app, [{ role: 'crew_lead', scope: 'xintang' }]);
    const mixed = await addTestUser(app, [
      { role: 'viewer', scope: 'chengguan' },
      { role: 'viewer', scope: 'xintang' },
    ]);
    const seen = (await list(manager)).map((u) => u.login);
    expect(seen).toContain(theirs.login);
    expect(seen).not.toContain(other.login);
    expect(seen).not.toContain(mixed.login);
    expect((await list(county)).map((u) => u.login)).toEqual(
      expect.arrayContaining([theirs.login, other.login, mixed.login]),
    );

    const before = await userCount();
    const auditBefore = (await auditRows(app)).length;
    for (const grants of [
      [{ role: 'viewer', scope: 'county' }],
      [{ role: 'viewer', scope: 'xintang' }],
      [{ role: 'county_admin', scope: 'county' }],
    ]) {
      const r = await post(manager, {
        login: `try-${grants[0]?.scope}-${grants[0]?.role}`.replace('_', '-'),
        displayName: 'x',
        grants,
      });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ error: { code: 'forbidden_grant' } });
    }
    const steal = await patch(manager, theirs.id, { grants: [{ role: 'crew_lead', scope: 'xintang' }] });
    expect(steal.statusCode).toBe(403);
    for (const id of [other.id, mixed.id]) {
      expect((await patch(manager, id, { disabled: true })).statusCode).toBe(404);
      const reset = await app.inject({
        method: 'POST',
        url: `/api/v1/users/${id}/reset-password`,
        headers: manager,
      });
      expect(reset.statusCode).toBe(404);
    }
    expect(await userCount()).toBe(before);
    expect((await auditRows(app)).length).toBe(auditBefore);

    const ok = await post(manager, {
      login: 'li.na',
      displayName: '李娜',
      grants: [{ role: 'crew_member', scope: 'chengguan' }],
    });
    expect(ok.statusCode).toBe(201);
  });

  it('disabling ends the user’s sessions and stops their tokens at the next request; enabling lets them back', async () => {
    const u = await addTestUser(app, [{ role: 'viewer', scope: 'chengguan' }]);
    const session = await sessionHeaders(app, u);
    const token = await tokenHeaders(app, u, ['station:read']);
    const me = (h: Record<string, string>) => app.inject({ url: '/api/v1/auth/me', headers: h });
    expect((await me(session)).statusCode).toBe(200);
    const r = await patch(manager, u.id, { disabled: true });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ user: { disabled: true } });
    expect((await me(session)).statusCode).toBe(401);
    expect((await me(token)).statusCode).toBe(401);
    await patch(manager, u.id, { disabled: false, displayName: '新名字' });
    expect((await me(token)).statusCode).toBe(200); // tokens come back; ended sessions do not
    expect((await me(session)).statusCode).toBe(401);
    const actions = (await auditRows(app))
      .filter((a) => a.target === `user:${u.id}`)
      .map((a) => [a.action, a.user_id]);
    expect(actions).toEqual([
      ['user.disable', managerUser.id],
      ['user.enable', managerUser.id],
    ]);
  });

  it('nobody disables themselves', async () => {
    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    for (const [h, id] of [
      [manager, managerUser.id],
      [await sessionHeaders(app, admin), admin.id],
    ] as const) {
      const r = await patch(h, id, { disabled: true });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ error: { code: 'cannot_disable_self' } });
    }
  });

  it('keeps at least one enabled county admin', async () => {
    // A fresh store: this file's other county admins must not count.
    const solo = await peopleApp();
    try {
      const a = await addTestUser(solo, [{ role: 'county_admin', scope: 'county' }]);
      const h = await sessionHeaders(solo, a);
      const demote = () =>
        solo.inject({
          method: 'PATCH',
          url: `/api/v1/users/${a.id}`,
          headers: h,
          payload: { grants: [{ role: 'viewer', scope: 'county' }] },
        });
      const r = await demote();
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ error: { code: 'last_county_admin' } });
      const b = await addTestUser(solo, [{ role: 'county_admin', scope: 'county' }]);
      expect((await demote()).statusCode).toBe(200);
      const disableB = await solo.inject({
        method: 'PATCH',
        url: `/api/v1/users/${b.id}`,
        headers: await tokenHeaders(solo, b, ['user:admin']),
        payload: { disabled: true },
      });
      expect(disableB.json()).toMatchObject({ error: { code: 'cannot_disable_self' } });
    } finally {
      await solo.close();
    }
  });

  it('a reset gives a new password once, ends the user’s sessions and is audited', async () => {
    const u = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }]);
    const session = await sessionHeaders(app, u);
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/users/${u.id}/reset-password`,
      headers: manager,
    });
    expect(r.statusCode).toBe(200);
    const { password } = r.json<{ password: string }>();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: session })).statusCode).toBe(401);
    const audit = (await auditRows(app)).filter((a) => a.target === `user:${u.id}`);
    expect(audit.map((a) => a.action)).toEqual(['user.reset_password']);
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('is closed to those without user:admin', async () => {
    const viewer = await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: 'county' }]));
    expect((await app.inject({ url: '/api/v1/users', headers: viewer })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/users' })).statusCode).toBe(401);
  });

  it.each([
    ['an unknown field', { login: 'ok-login', displayName: 'x', grants: [], admin: true }, 'admin'],
    ['a number for the display name', { login: 'ok-login', displayName: 5, grants: [] }, 'displayName'],
    [
      'a too long display name',
      { login: 'ok-login', displayName: 'x'.repeat(101), grants: [] },
      'displayName',
    ],
    ['SQL in the login', { login: "x'; DROP TABLE users; --", displayName: 'x', grants: [] }, 'login'],
    ['an upper-case login', { login: 'Admin', displayName: 'x', grants: [] }, 'login'],
    [
      'an unknown role',
      { login: 'ok-login', displayName: 'x', grants: [{ role: 'root', scope: 'county' }] },
      'grants/0/role',
    ],
    [
      'an unknown township',
      { login: 'ok-login', displayName: 'x', grants: [{ role: 'viewer', scope: 'nowhere' }] },
      'grants/0',
    ],
    [
      'county_admin of a township',
      { login: 'ok-login', displayName: 'x', grants: [{ role: 'county_admin', scope: 'xintang' }] },
      'grants/0',
    ],
    ['a short password', { login: 'ok-login', displayName: 'x', grants: [], password: 'short' }, '10'],
    [
      'the login as password',
      { login: 'ok-login-1', displayName: 'x', grants: [], password: 'ok-login-1' },
      'login',
    ],
  ])('refuses %s with 400 naming it, and writes nothing', async (_what, body, named) => {
    const before = [await userCount(), (await auditRows(app)).length];
    const r = await post(county, body);
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toContain(named);
    expect([await userCount(), (await auditRows(app)).length]).toEqual(before);
    expect(await app.ops.db.selectFrom('users').select('id').limit(1).execute()).toHaveLength(1); // the table is still there
  });

  it('refuses a change with an unknown field or a bad id', async () => {
    const u = await addTestUser(app, [{ role: 'viewer', scope: 'xintang' }]);
    const r = await patch(county, u.id, { disabled: true, role: 'county_admin' });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toContain('role');
    expect((await list(county)).find((x) => x.id === u.id)?.disabled).toBe(false);
    expect(
      (await app.inject({ method: 'PATCH', url: '/api/v1/users/1%20OR%201=1', headers: county, payload: {} }))
        .statusCode,
    ).toBe(400);
    expect((await patch(county, 999_999, { disabled: true })).statusCode).toBe(404);
  });
});
