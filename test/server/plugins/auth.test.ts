/**
 * The auth guard on its own: core, the operations store (SQLite in memory) and auth, with a few
 * routes of each access kind. Who gets in, with which status and error code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import core from '../../../server/src/plugins/core.js';
import opsStore from '../../../server/src/plugins/ops-store.js';
import auth from '../../../server/src/plugins/auth.js';
import { addTestUser, sessionHeaders, tokenHeaders, twoTownships } from '../auth-helpers.js';
import { revokeSessions } from '../../../server/src/auth/sessions.js';

const LEGACY = 'legacy-token-0123456789';
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify({ logger: false });
  await app.register(core, { server: twoTownships({ apiToken: LEGACY }) });
  await app.register(opsStore);
  await app.register(auth);
  await app.register((r, _o, done) => {
    r.get('/open', { config: { access: 'public' } }, () => ({ ok: true }));
    r.get('/mine', { config: { access: 'session' } }, (req) => ({ login: req.principal?.login }));
    r.get('/read', { config: { access: 'station:read' } }, () => ({ ok: true }));
    r.put(
      '/stations/:id',
      {
        config: {
          access: {
            permission: 'config:write',
            township: (req) => app.hierarchy.townshipOf((req.params as { id: string }).id),
          },
        },
      },
      () => ({ ok: true }),
    );
    done();
  });
  await app.ready();
});
afterAll(() => app.close());

describe('auth guard', () => {
  it('refuses to add a route that declares no access', async () => {
    const bare = Fastify({ logger: false });
    await bare.register(core, {
      server: {
        stations: [],
        mqtt: { url: 'mqtt://x' },
        influx: { url: 'http://x', api: 'v1', db: 'yizhan', rp: 'raw' },
        defaultMetrics: false,
      },
    });
    await bare.register(opsStore);
    await bare.register(auth);
    expect(() => bare.get('/forgotten', () => 'open?')).toThrow(/GET \/forgotten declares no config.access/);
    await bare.close();
  });

  it('lets anyone reach a public route and nobody else past the login', async () => {
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    const r = await app.inject({ url: '/read', headers: { 'accept-language': 'en' } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: { code: 'login_required' } });
  });

  it('scopes a township write to the grant and needs the CSRF header with a cookie', async () => {
    const lead = await addTestUser(app, [{ role: 'crew_lead', scope: 'chengguan' }]);
    const h = await sessionHeaders(app, lead);
    expect((await app.inject({ method: 'PUT', url: '/stations/st-001', headers: h })).statusCode).toBe(200);
    const other = await app.inject({ method: 'PUT', url: '/stations/st-002', headers: h });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: { code: 'forbidden_township' } });
    const noCsrf = await app.inject({
      method: 'PUT',
      url: '/stations/st-001',
      headers: { cookie: h.cookie ?? '' },
    });
    expect(noCsrf.json()).toMatchObject({ error: { code: 'csrf_failed' } });
  });

  it('holds a viewer to reading', async () => {
    const viewer = await addTestUser(app, [{ role: 'viewer', scope: 'county' }]);
    const h = await sessionHeaders(app, viewer);
    expect((await app.inject({ url: '/read', headers: h })).statusCode).toBe(200);
    const w = await app.inject({ method: 'PUT', url: '/stations/st-001', headers: h });
    expect(w.statusCode).toBe(403);
    expect(w.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('ends a session when revoked and when its user is disabled', async () => {
    const u = await addTestUser(app, [{ role: 'viewer', scope: 'xintang' }]);
    const h = await sessionHeaders(app, u);
    expect((await app.inject({ url: '/mine', headers: h })).json()).toEqual({ login: u.login });
    await app.ops.db.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', u.id).execute();
    expect((await app.inject({ url: '/mine', headers: h })).statusCode).toBe(401);
    await app.ops.db.updateTable('users').set({ disabled_at: null }).where('id', '=', u.id).execute();
    expect((await app.inject({ url: '/mine', headers: h })).statusCode).toBe(200);
    await revokeSessions(app.ops.db, { userId: u.id });
    expect((await app.inject({ url: '/mine', headers: h })).statusCode).toBe(401);
  });

  it('limits a token to its scopes and needs no CSRF header', async () => {
    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    const h = await tokenHeaders(app, admin, ['station:read']);
    expect((await app.inject({ url: '/read', headers: h })).statusCode).toBe(200);
    expect((await app.inject({ method: 'PUT', url: '/stations/st-001', headers: h })).statusCode).toBe(403);
    const w = await tokenHeaders(app, admin, ['config:write']);
    expect((await app.inject({ method: 'PUT', url: '/stations/st-002', headers: w })).statusCode).toBe(200);
  });

  it('keeps the deprecated shared token working for config writes only, and counts it', async () => {
    const h = { authorization: `Bearer ${LEGACY}` };
    expect((await app.inject({ method: 'PUT', url: '/stations/st-002', headers: h })).statusCode).toBe(200);
    expect((await app.inject({ url: '/read', headers: h })).statusCode).toBe(403);
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/stations/st-001',
          headers: { authorization: 'Bearer wrong' },
        })
      ).statusCode,
    ).toBe(401);
    expect(await app.metrics.legacyTokenUses.get()).toMatchObject({ values: [{ value: 2 }] });
  });
});
