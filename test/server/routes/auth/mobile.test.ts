/**
 * Mobile numbers (what WeCom and DingTalk robots @-mention): set by a user admin on an account or
 * by a user on their own; mainland numbers only, null clears; listed only to user:admin holders;
 * audited partly masked (138****1234), never in full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestUser, sessionHeaders, type TestUser } from '../../auth-helpers.js';
import { peopleApp } from './app.js';
import { maskMobile } from '../../../../server/src/auth/mobile.js';

type H = Record<string, string>;
let app: FastifyInstance;
let county: H;
let crew: H;
let crewUser: TestUser;

beforeAll(async () => {
  app = await peopleApp();
  county = await sessionHeaders(app, await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]));
  crewUser = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }]);
  crew = await sessionHeaders(app, crewUser);
});
afterAll(() => app.close());

const send = (method: 'POST' | 'PATCH', url: string, headers: H, payload: unknown) =>
  app.inject({
    method,
    url,
    headers: { ...headers, 'accept-language': 'zh-CN' },
    payload: payload as object,
  });
const audits = async () =>
  (
    await app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'before_json', 'after_json'])
      .orderBy('id')
      .execute()
  )
    .map((r) => `${r.action} ${r.before_json ?? ''} ${r.after_json ?? ''}`)
    .join('\n');
const stored = async (id: number) =>
  (await app.ops.db.selectFrom('users').select('mobile').where('id', '=', id).executeTakeFirstOrThrow())
    .mobile;

describe('mobile numbers', () => {
  it('masks as 138****1234', () => {
    expect(maskMobile('13812341234')).toBe('138****1234');
    expect(maskMobile(null)).toBeNull();
  });

  it.each(['12345678901', '1381234123', '138123412345', '+8613812341234', '138-1234-1234', ''])(
    'refuses %j with a 400 naming mobile, writing nothing',
    async (bad) => {
      const before = await audits();
      const r = await send('POST', '/api/v1/users', county, {
        login: `bad${Math.random().toString(36).slice(2, 8)}`,
        displayName: '坏号码',
        grants: [],
        mobile: bad,
      });
      expect(r.statusCode).toBe(400);
      expect(r.json<{ error: { code: string; message: string } }>().error).toMatchObject({
        code: 'invalid_mobile',
        message: expect.stringContaining('mobile：') as unknown,
      });
      expect(await audits()).toBe(before);
    },
  );

  it('a user admin sets it on an account and clears it with null; the list shows it, the audit masks it', async () => {
    const r = await send('POST', '/api/v1/users', county, {
      login: 'zhou.qiang',
      displayName: '周强',
      grants: [{ role: 'crew_member', scope: 'chengguan' }],
      mobile: '13812341234',
    });
    expect(r.statusCode).toBe(201);
    const id = r.json<{ user: { id: number; mobile: string | null } }>().user.id;
    expect(r.json<{ user: { mobile: string } }>().user.mobile).toBe('13812341234');
    const listed = (await app.inject({ url: '/api/v1/users', headers: county })).json<{
      users: { id: number; mobile: string | null }[];
    }>();
    expect(listed.users.find((u) => u.id === id)?.mobile).toBe('13812341234');
    const cleared = await send('PATCH', `/api/v1/users/${id}`, county, { mobile: null });
    expect(cleared.json<{ user: { mobile: string | null } }>().user.mobile).toBeNull();
    expect(await stored(id)).toBeNull();
    const log = await audits();
    expect(log).toContain('138****1234');
    expect(log).not.toContain('13812341234');
  });

  it('is listed only to user:admin holders', async () => {
    expect((await app.inject({ url: '/api/v1/users', headers: crew })).statusCode).toBe(403);
  });

  it('a user sets and clears their own with PATCH /api/v1/auth/me', async () => {
    const r = await send('PATCH', '/api/v1/auth/me', crew, { mobile: '15900001111' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: crewUser.id, mobile: '15900001111' });
    expect((await app.inject({ url: '/api/v1/auth/me', headers: crew })).json()).toMatchObject({
      mobile: '15900001111',
    });
    expect(await audits()).toContain('"mobile":"159****1111"');
    const bad = await send('PATCH', '/api/v1/auth/me', crew, { mobile: '1590000111' });
    expect(bad.statusCode).toBe(400);
    expect(await stored(crewUser.id)).toBe('15900001111');
    expect((await send('PATCH', '/api/v1/auth/me', crew, { mobile: null })).statusCode).toBe(200);
    expect(await stored(crewUser.id)).toBeNull();
  });
});
