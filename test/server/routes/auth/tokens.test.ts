/**
 * Personal API tokens as a user makes them on their page: scopes within what they hold, the token
 * shown once and kept only as a hash, revocation, one's own tokens only, audit rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestUser, sessionHeaders, tokenHeaders } from '../../auth-helpers.js';
import { auditRows, peopleApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await peopleApp();
});
afterAll(() => app.close());

const add = (headers: Record<string, string>, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: payload as object });

/** Every text value of every table of the store, as one string. */
async function everythingStored(): Promise<string> {
  const tables = ['users', 'role_grants', 'sessions', 'api_tokens', 'audit_log'] as const;
  const rows = await Promise.all(tables.map((t) => app.ops.db.selectFrom(t).selectAll().execute()));
  return JSON.stringify(rows);
}

describe('/api/v1/tokens', () => {
  it('makes a token shown once, stored only as a hash, that works with its scopes and nothing more', async () => {
    const lead = await addTestUser(app, [{ role: 'crew_lead', scope: 'chengguan' }]);
    const h = await sessionHeaders(app, lead);
    const r = await add(h, { name: '巡检脚本', scopes: ['station:read'] });
    expect(r.statusCode).toBe(201);
    const { id, token } = r.json<{ id: number; token: string }>();
    expect(token).toMatch(/^yzt_[\w-]{40,}$/);
    expect(await everythingStored()).not.toContain(token);
    expect(await everythingStored()).not.toContain(token.slice(4));

    const bearer = { authorization: `Bearer ${token}` };
    const me = await app.inject({ url: '/api/v1/auth/me', headers: bearer });
    expect(me.json()).toMatchObject({ login: lead.login, permissions: ['station:read'], csrf: null });
    // A token cannot make a token stronger than itself.
    const stronger = await add(bearer, { name: 'more', scopes: ['config:write'] });
    expect(stronger.statusCode).toBe(403);

    const listed = await app.inject({ url: '/api/v1/tokens', headers: h });
    expect(listed.json()).toEqual({
      tokens: [
        {
          id,
          name: '巡检脚本',
          scopes: ['station:read'],
          createdAt: expect.any(Number) as number,
          lastUsedAt: expect.any(Number) as number,
          revoked: false,
        },
      ],
    });
    expect(JSON.stringify(listed.json())).not.toContain(token);

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: h });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: bearer })).statusCode).toBe(401);
    const audit = (await auditRows(app)).filter((a) => a.target === `token:${id}`);
    expect(audit.map((a) => [a.action, a.user_id])).toEqual([
      ['token.add', lead.id],
      ['token.revoke', lead.id],
    ]);
  });

  it.each([
    ['a permission the user does not hold', ['user:admin'], 403, 'user:admin'],
    ['something that is no permission', ['root'], 403, 'root'],
    ['no scopes', [], 400, 'scopes'],
  ])('refuses %s and stores nothing', async (_what, scopes, status, named) => {
    const u = await addTestUser(app, [{ role: 'crew_member', scope: 'xintang' }]);
    const before = (await app.ops.db.selectFrom('api_tokens').select('id').execute()).length;
    const r = await add(await sessionHeaders(app, u), { name: 'x', scopes });
    expect(r.statusCode).toBe(status);
    expect(r.json<{ error: { message: string } }>().error.message).toContain(named);
    expect((await app.ops.db.selectFrom('api_tokens').select('id').execute()).length).toBe(before);
  });

  it('refuses unknown fields and over-long names', async () => {
    const h = await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: 'county' }]));
    for (const [body, field] of [
      [{ name: 'x', scopes: ['station:read'], expires: 5 }, 'expires'],
      [{ name: 'x'.repeat(101), scopes: ['station:read'] }, 'name'],
      [{ name: 7, scopes: ['station:read'] }, 'name'],
    ] as const) {
      const r = await add(h, body);
      expect(r.statusCode).toBe(400);
      expect(r.json<{ error: { message: string } }>().error.message).toContain(field);
    }
  });

  it("lists and revokes only one's own tokens", async () => {
    const a = await addTestUser(app, [{ role: 'viewer', scope: 'county' }]);
    const b = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    await tokenHeaders(app, a, ['station:read']);
    const aId = (
      await app.ops.db
        .selectFrom('api_tokens')
        .select('id')
        .where('user_id', '=', a.id)
        .executeTakeFirstOrThrow()
    ).id;
    const hb = await sessionHeaders(app, b);
    expect((await app.inject({ url: '/api/v1/tokens', headers: hb })).json()).toEqual({ tokens: [] });
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${aId}`, headers: hb });
    expect(del.statusCode).toBe(404);
    const row = await app.ops.db
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('id', '=', aId)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
  });
});
