/**
 * GET /api/v1/people?role=grid_staff: the township's grid members (who take riders' reports), not
 * the crews that take alerts; disabled ones and other townships' left out; an unknown role named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { OTHER, OWN, startFullApp } from '../../full-app.js';
import { addTestUser, sessionHeaders } from '../../auth-helpers.js';

let app: FastifyInstance;
let viewer: Record<string, string>;
const id: Record<string, number> = {};

beforeAll(async () => {
  app = await startFullApp();
  viewer = await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: OWN.code }], 'viewer-cg'));
  for (const [login, role, scope] of [
    ['grid-cg', 'grid_staff', OWN.code],
    ['grid-county', 'grid_staff', 'county'],
    ['grid-xt', 'grid_staff', OTHER.code],
    ['crew-cg', 'crew_member', OWN.code],
    ['grid-off', 'grid_staff', OWN.code],
  ] as const)
    id[login] = (await addTestUser(app, [{ role, scope }], login)).id;
  await app.ops.db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', id['grid-off']!).execute();
});
afterAll(() => app?.close());

const names = async (url: string) => {
  const r = await app.inject({ method: 'GET', url, headers: viewer });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<{ people: { displayName: string; roles: string[] }[] }>().people.map((p) => p.displayName);
};

describe('GET /api/v1/people', () => {
  it('lists the grid members of the township and the county with role=grid_staff, not the crews', async () => {
    expect(await names(`/api/v1/people?township=${OWN.code}&role=grid_staff`)).toEqual(['grid-cg', 'grid-county']);
    expect(await names(`/api/v1/people?township=${OWN.code}`)).toContain('crew-cg');
    expect(await names(`/api/v1/people?township=${OWN.code}`)).not.toContain('grid-cg');
  });
  it('names an unknown role', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/people?township=${OWN.code}&role=crew_member`, headers: viewer });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('role');
  });
});
