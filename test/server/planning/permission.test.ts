/**
 * Who reads planning data: every GET route under /api/v1/planning needs planning:read (county
 * admin, township manager in its townships, planner), not station:read alone. Table-driven over the
 * routes the app registers (a new planning read route without a row here fails), with app.inject
 * against the whole app; its InfluxQL client answers every query with no rows (no InfluxDB in a unit
 * test), so the analytics routes answer 200 when allowed.
 */
import type { Transport } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Grant, Permission } from '@yizhan/server/roles';
import { InfluxQLClient } from '../../../server/src/influx/query.js';
import { addTestUser, sessionHeaders, tokenHeaders } from '../auth-helpers.js';
import { OTHER, OWN, startFullApp } from '../full-app.js';

/** Each planning read route and a request to it; `township` routes take ?township=. */
const ROUTES: Record<string, { url: string; township?: true }> = {
  '/api/v1/planning/heatmap': { url: '/api/v1/planning/heatmap', township: true },
  '/api/v1/planning/stations': { url: '/api/v1/planning/stations', township: true },
  '/api/v1/planning/definitions': { url: '/api/v1/planning/definitions' },
  '/api/v1/planning/coverage': { url: '/api/v1/planning/coverage', township: true },
  '/api/v1/planning/demand-layers': { url: '/api/v1/planning/demand-layers' },
  '/api/v1/planning/candidates': { url: '/api/v1/planning/candidates' },
  '/api/v1/planning/export/:file': { url: '/api/v1/planning/export/stations.csv' },
  '/api/v1/planning/map-tiles': { url: '/api/v1/planning/map-tiles' },
};

let app: FastifyInstance;

beforeAll(async () => {
  app = await startFullApp();
  const noRows = { request: () => Promise.resolve({ results: [] }) } as unknown as Transport;
  app.influx.ql = new InfluxQLClient(noRows, { db: 'yizhan' });
}, 30_000);

afterAll(async () => {
  await app?.close();
});

const as = async (grants: Grant[]) => sessionHeaders(app, await addTestUser(app, grants));
const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });

describe('planning:read', () => {
  it('has a row for every planning read route the app registers', () => {
    const registered = app.routeAccess
      .filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1/planning/'))
      .map((r) => r.url)
      .sort();
    expect(registered).toEqual(Object.keys(ROUTES).sort());
    for (const r of app.routeAccess.filter(
      (x) => x.method === 'GET' && x.url.startsWith('/api/v1/planning/'),
    ))
      expect(r.access, r.url).toBe('planning:read');
  });

  const refused: [string, Grant[]][] = [
    ['crew member', [{ role: 'crew_member', scope: OWN.code }]],
    ['crew lead', [{ role: 'crew_lead', scope: 'county' }]],
    ['grid staff', [{ role: 'grid_staff', scope: 'county' }]],
    ['viewer', [{ role: 'viewer', scope: 'county' }]],
  ];
  for (const [who, grants] of refused)
    for (const [route, r] of Object.entries(ROUTES))
      it(`refuses a ${who}: GET ${route} → 403 naming planning:read`, async () => {
        const res = await get(r.url, await as(grants));
        expect(res.statusCode, res.body).toBe(403);
        expect(res.json<{ error: { message: string } }>().error.message).toContain('planning:read');
      });

  for (const [route, r] of Object.entries(ROUTES))
    it(`answers a county planner: GET ${route} → 200`, async () => {
      const res = await get(r.url, await as([{ role: 'planner', scope: 'county' }]));
      expect(res.statusCode, res.body).toBe(200);
    });

  for (const [route, r] of Object.entries(ROUTES).filter(([, x]) => x.township))
    it(`answers a township manager about its township only: GET ${route}`, async () => {
      const h = await as([{ role: 'township_manager', scope: OWN.code }]);
      expect((await get(`${r.url}?township=${OWN.code}`, h)).statusCode).toBe(200);
      const other = await get(`${r.url}?township=${OTHER.code}`, h);
      expect(other.statusCode, other.body).toBe(403);
      expect(other.json<{ error: { code: string } }>().error.code).toBe('forbidden_township');
    });

  it("gives a township manager its township's stations and no other's", async () => {
    const h = await as([{ role: 'township_manager', scope: OWN.code }]);
    const csv = (await get('/api/v1/planning/export/stations.csv', h)).body;
    expect(csv).toContain(OWN.station);
    expect(csv).not.toContain(OTHER.station);
    const ranked = (h: Record<string, string>) =>
      get('/api/v1/planning/stations', h).then((r) =>
        r.json<{ stations: { stationId: string }[] }>().stations.map((s) => s.stationId),
      );
    expect(await ranked(h)).toEqual([OWN.station]);
    const county = await as([{ role: 'planner', scope: 'county' }]);
    const all = (await get('/api/v1/planning/export/stations.csv', county)).body;
    expect(all).toContain(OWN.station);
    expect(all).toContain(OTHER.station);
    expect((await ranked(county)).sort()).toEqual([OWN.station, OTHER.station]);
  });

  it('lets a holder make a token limited to planning:read through the API, and refuses it to a crew member', async () => {
    const post = async (grants: Grant[]) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: await as(grants),
        payload: { name: 'export', scopes: ['planning:read'] },
      });
    const made = await post([{ role: 'township_manager', scope: OWN.code }]);
    expect(made.statusCode, made.body).toBe(201);
    const headers = { authorization: `Bearer ${made.json<{ token: string }>().token}` };
    expect((await get(`/api/v1/planning/coverage?township=${OWN.code}`, headers)).statusCode).toBe(200);
    const refused = await post([{ role: 'crew_member', scope: OWN.code }]);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'scope_not_held',
      message: expect.stringContaining('planning:read') as string,
    });
  });

  const token = async (scopes: Permission[]) =>
    tokenHeaders(app, await addTestUser(app, [{ role: 'planner', scope: 'county' }]), scopes);
  it('lets an API token limited to planning:read read planning data, and one limited to station:read not', async () => {
    for (const r of Object.values(ROUTES)) {
      expect((await get(r.url, await token(['planning:read']))).statusCode, r.url).toBe(200);
      expect((await get(r.url, await token(['station:read']))).statusCode, r.url).toBe(403);
    }
  });
});
