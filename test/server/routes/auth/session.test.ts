/**
 * Login, logout, me and password change through app.inject: what a person at the login page (or a
 * script) gets back, the cookie's attributes, rate limits that cost no scrypt, the lockout.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { kdf } from '../../../../server/src/auth/passwords.js';
import { LOCKOUT_AFTER, PER_ADDRESS_PER_MIN } from '../../../../server/src/auth/login.js';
import { addTestUser, tokenHeaders } from '../../auth-helpers.js';
import { auditRows, peopleApp, sessionCookie, userWithPassword } from './app.js';

const PW = 'correct horse 42';
let app: FastifyInstance;
let n = 0;
/** A fresh client address per test, so the per-address limit of one test does not reach another. */
const addr = () => `10.0.0.${++n}`;

beforeAll(async () => {
  app = await peopleApp();
});
afterAll(() => app.close());

const login = (body: unknown, remoteAddress = addr(), headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body as object, remoteAddress, headers });

async function loggedIn(l: string, password = PW) {
  const r = await login({ login: l, password });
  expect(r.statusCode).toBe(200);
  const cookie = sessionCookie(r.headers['set-cookie']);
  const me = r.json<{ user: { csrf: string } }>().user;
  return { cookie, csrf: me.csrf, headers: { cookie, 'x-csrf-token': me.csrf } };
}

describe('POST /api/v1/auth/login', () => {
  it('logs in: Me with grants, permissions and the townships one can see, and an HttpOnly Lax cookie', async () => {
    const u = await userWithPassword(app, [{ role: 'crew_lead', scope: 'xintang' }], PW);
    const r = await login({ login: u.login, password: PW });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      user: {
        id: u.id,
        login: u.login,
        displayName: u.login,
        grants: [{ role: 'crew_lead', scope: 'xintang' }],
        permissions: ['station:read', 'alert:write', 'config:write'],
        townships: [{ code: 'xintang', nameZh: '新塘镇', nameEn: 'Xintang' }],
        mobile: null,
        csrf: expect.any(String) as string,
      },
    });
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^yizhan_session=[\w-]{40,};/);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).toMatch(/; Path=\//);
    expect(set).not.toMatch(/Secure/);
    const me = await app.inject({
      url: '/api/v1/auth/me',
      headers: { cookie: sessionCookie(r.headers['set-cookie']) },
    });
    expect(me.json()).toEqual(r.json<{ user: unknown }>().user);
    const ok = (await app.metrics.logins.get()).values.find((v) => v.labels.outcome === 'ok');
    expect(ok?.value).toBeGreaterThanOrEqual(1);
  });

  it('answers a wrong password and an unknown login alike (401 bad_credentials), both after scrypt', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const before = kdf.runs;
    const wrong = await login({ login: u.login, password: 'not the password' });
    const unknown = await login({ login: 'nobody-here', password: 'not the password' });
    expect(kdf.runs - before).toBe(2);
    for (const r of [wrong, unknown]) {
      expect(r.statusCode).toBe(401);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json()).toEqual({ error: { code: 'bad_credentials', message: '登录名或密码错误' } });
  });

  it('rate-limits per address before any scrypt work (429 with Retry-After)', async () => {
    const from = addr();
    // The clock holds still: ten scrypt runs on a loaded machine can outlast the 6 s in which the
    // bucket earns a token back, and the eleventh attempt would then rightly pass.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => void vi.useRealTimers());
    for (let i = 0; i < PER_ADDRESS_PER_MIN; i++) await login({ login: `guess${i}`, password: 'x' }, from);
    const before = kdf.runs;
    const r = await login({ login: 'guess-more', password: 'x' }, from, { 'accept-language': 'en' });
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(/try again in \d+ s/);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(kdf.runs).toBe(before);
    // Another address is not held back by this one.
    expect((await login({ login: 'guess-more', password: 'x' })).statusCode).toBe(401);
  });

  it('locks an account at the 5th wrong password for 15 min and counts it', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const locksBefore = (await app.metrics.lockouts.get()).values[0]?.value ?? 0;
    const codes: string[] = [];
    // One address per attempt: the per-login bucket (5/min) allows exactly the five that lock.
    for (let i = 0; i < LOCKOUT_AFTER; i++)
      codes.push(
        (await login({ login: u.login, password: `wrong-${i}-xxxxx` })).json<{ error: { code: string } }>()
          .error.code,
      );
    expect(codes).toEqual([...Array<string>(LOCKOUT_AFTER - 1).fill('bad_credentials'), 'account_locked']);
    expect((await app.metrics.lockouts.get()).values[0]?.value).toBe(locksBefore + 1);
    const row = await app.ops.db
      .selectFrom('users')
      .select(['locked_until'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row.locked_until).toBeGreaterThan(Date.now() + 14 * 60_000);
  });

  it('refuses the right password while the lock holds (no scrypt), accepts it after and resets the count', async () => {
    // Locked in the row as another server process would have left it (this one's per-login bucket is fresh).
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const lock = (until: number) =>
      app.ops.db
        .updateTable('users')
        .set({ locked_until: until, failed_logins: 3 })
        .where('id', '=', u.id)
        .execute();
    await lock(Date.now() + 60_000);
    const before = kdf.runs;
    const locked = await login({ login: u.login, password: PW });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: 'account_locked' } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(kdf.runs).toBe(before);
    await lock(Date.now() - 1);
    expect((await login({ login: u.login, password: PW })).statusCode).toBe(200);
    const after = await app.ops.db
      .selectFrom('users')
      .select(['failed_logins', 'locked_until'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ failed_logins: 0, locked_until: null });
  });

  it('refuses a disabled account even with the right password', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    await app.ops.db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', u.id).execute();
    const r = await login({ login: u.login, password: PW });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'account_disabled' } });
  });

  it.each([
    ['an unknown field', { login: 'a', password: 'b', remember: true }, 'remember'],
    ['a number for the login', { login: 42, password: 'b' }, 'login'],
    ['a missing password', { login: 'abc' }, 'password'],
    ['a 300-character password', { login: 'abc', password: 'p'.repeat(300) }, 'password'],
    ['a 65-character login', { login: 'a'.repeat(65), password: 'b' }, 'login'],
  ])('refuses %s with 400 naming the field, before any scrypt', async (_what, body, field) => {
    const before = kdf.runs;
    const r = await login(body);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: { code: 'invalid_body' } });
    expect(r.json<{ error: { message: string } }>().error.message).toContain(field);
    expect(kdf.runs).toBe(before);
  });

  it("treats SQL in the login as a login that doesn't exist", async () => {
    await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW, 'victim');
    const r = await login({ login: "victim' OR '1'='1", password: PW });
    expect(r.statusCode).toBe(401);
    expect(
      await app.ops.db.selectFrom('users').select('login').where('login', '=', 'victim').executeTakeFirst(),
    ).toBeTruthy();
  });

  it('sets Secure on the cookie when a trusted proxy says the request came over https', async () => {
    const proxied = await peopleApp({ trustProxy: '127.0.0.1' });
    try {
      const u = await userWithPassword(proxied, [{ role: 'viewer', scope: 'county' }], PW);
      const send = (remoteAddress: string) =>
        proxied.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { login: u.login, password: PW },
          remoteAddress,
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
        });
      expect(String((await send('127.0.0.1')).headers['set-cookie'])).toMatch(/; Secure/);
      // The same header from a host that is not the proxy is not believed.
      expect(String((await send('192.0.2.1')).headers['set-cookie'])).not.toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });
});

describe('logout, me, password', () => {
  it('logout ends the session: the cookie no longer opens /me', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const s = await loggedIn(u.login);
    const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: s.headers });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^yizhan_session=;.*Expires=Thu, 01 Jan 1970/);
    const me = await app.inject({ url: '/api/v1/auth/me', headers: { cookie: s.cookie } });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ error: { code: 'login_required' } });
  });

  it('me of a token has no csrf; a county viewer sees every township', async () => {
    const u = await addTestUser(app, [{ role: 'viewer', scope: 'county' }]);
    const r = await app.inject({
      url: '/api/v1/auth/me',
      headers: await tokenHeaders(app, u, ['station:read']),
    });
    expect(r.json()).toMatchObject({
      csrf: null,
      permissions: ['station:read'],
      townships: [{ code: 'chengguan' }, { code: 'xintang' }],
    });
  });

  it('a password change needs the current password, keeps this session and ends the others', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const here = await loggedIn(u.login);
    const elsewhere = await loggedIn(u.login);
    const change = (body: object) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: here.headers, payload: body });
    expect((await change({ current: 'wrong password', next: 'a new password 1' })).json()).toMatchObject({
      error: { code: 'bad_current_password' },
    });
    expect((await change({ current: PW, next: 'short' })).json()).toMatchObject({
      error: { code: 'password_too_short' },
    });
    expect((await change({ current: PW, next: u.login.padEnd(10, ' ') })).statusCode).toBe(400);
    const ok = await change({ current: PW, next: 'a new password 1' });
    expect(ok.statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: { cookie: here.cookie } })).statusCode).toBe(
      200,
    );
    expect(
      (await app.inject({ url: '/api/v1/auth/me', headers: { cookie: elsewhere.cookie } })).statusCode,
    ).toBe(401);
    expect((await login({ login: u.login, password: PW })).statusCode).toBe(401);
    expect((await login({ login: u.login, password: 'a new password 1' })).statusCode).toBe(200);
    const audit = (await auditRows(app)).filter((a) => a.target === `user:${u.id}`);
    expect(audit.map((a) => [a.action, a.user_id])).toEqual([['user.password', u.id]]);
    expect(JSON.stringify(audit)).not.toContain('a new password 1');
  });

  it('a password change without the CSRF header is refused', async () => {
    const u = await userWithPassword(app, [{ role: 'viewer', scope: 'county' }], PW);
    const s = await loggedIn(u.login);
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { cookie: s.cookie },
      payload: { current: PW, next: 'a new password 2' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: 'csrf_failed' } });
  });
});
