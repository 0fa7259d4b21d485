/**
 * GET /api/v1/townships and GET /api/v1/fleet: what each reader sees (their townships only), the
 * crew of a township, the fleet figures and the same figures as Prometheus gauges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestUser, sessionHeaders, tokenHeaders } from '../../auth-helpers.js';
import { parseProm, valueOf } from '../../../helpers/prom.js';
import { orgApp, type OrgStandIns } from './org-app.js';

let app: FastifyInstance;
let standIns: OrgStandIns;
const T = 1_700_000_000_000;

beforeAll(async () => {
  ({ app, standIns } = await orgApp());
  app.store.apply('st-001', [{ type: 'status', online: true, bootId: 'b', ts: T }]);
  app.store.apply('st-003', [{ type: 'status', online: false, bootId: 'b', ts: T, reason: 'will' }]);
  standIns.firing.push({ rule: 'dispenser_broken', stationId: 'st-002' });
  standIns.desired.set('st-001', 2);
});
afterAll(() => app.close());

const as = async (grants: Parameters<typeof addTestUser>[1]) =>
  sessionHeaders(app, await addTestUser(app, grants));

describe('GET /api/v1/townships', () => {
  it('lists the reader townships with their station count and enabled crew only', async () => {
    const lead = await addTestUser(app, [{ role: 'crew_lead', scope: 'chengguan' }], 'lead-cg');
    await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }], 'member-cg');
    const gone = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }], 'gone-cg');
    await app.ops.db
      .updateTable('users')
      .set({ disabled_at: Date.now() })
      .where('id', '=', gone.id)
      .execute();
    await addTestUser(app, [{ role: 'planner', scope: 'chengguan' }], 'planner-cg');
    await addTestUser(app, [{ role: 'crew_lead', scope: 'xintang' }], 'lead-xt');

    const r = await app.inject({ url: '/api/v1/townships', headers: await sessionHeaders(app, lead) });
    expect(r.statusCode).toBe(200);
    const body = r.json<{
      townships: { code: string; stations: number; crew: { displayName: string; role: string }[] }[];
    }>();
    expect(body.townships.map((t) => t.code)).toEqual(['chengguan']);
    expect(body.townships[0]).toMatchObject({
      code: 'chengguan',
      nameZh: '城关镇',
      nameEn: 'Chengguan',
      stations: 2,
    });
    expect(body.townships[0]?.crew.map((c) => [c.displayName, c.role])).toEqual([
      ['lead-cg', 'crew_lead'],
      ['member-cg', 'crew_member'],
    ]);

    const county = await app.inject({
      url: '/api/v1/townships',
      headers: await as([{ role: 'viewer', scope: 'county' }]),
    });
    expect(county.json<{ townships: { code: string }[] }>().townships.map((t) => t.code)).toEqual([
      'baisha',
      'chengguan',
      'xintang',
    ]);
  });

  it('needs a login, and refuses an unknown query parameter', async () => {
    expect((await app.inject({ url: '/api/v1/townships' })).statusCode).toBe(401);
    const h = await as([{ role: 'viewer', scope: 'county' }]);
    const r = await app.inject({ url: '/api/v1/townships?code=x', headers: h });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: { code: 'unknown_parameter' } });
  });

  it('syncs the township definitions into the store at start', async () => {
    const rows = await app.ops.db.selectFrom('townships').selectAll().orderBy('code').execute();
    expect(rows).toEqual([
      { code: 'baisha', name_zh: '白沙镇', name_en: 'Baisha' },
      { code: 'chengguan', name_zh: '城关镇', name_en: 'Chengguan' },
      { code: 'xintang', name_zh: '新塘镇', name_en: 'Xintang' },
    ]);
  });
});

describe('GET /api/v1/fleet', () => {
  it('answers the county the figures of every township and their total', async () => {
    const r = await app.inject({
      url: '/api/v1/fleet',
      headers: await as([{ role: 'viewer', scope: 'county' }]),
    });
    expect(r.statusCode).toBe(200);
    const body = r.json<{
      generatedAt: number;
      total: Record<string, unknown>;
      townships: Record<string, unknown>[];
    }>();
    expect(body.generatedAt).toBeGreaterThan(T);
    expect(body.total).toMatchObject({
      stations: 4,
      online: 1,
      offline: 2,
      dark: 1,
      withAlerts: 1,
      alertsByRule: { dispenser_broken: 1 },
      config: { inSync: 0, pending: 1, never: 3 },
    });
    expect(body.townships.map((t) => [t.code, t.stations, t.online, t.dark])).toEqual([
      ['baisha', 1, 0, 0],
      ['chengguan', 2, 1, 0],
      ['xintang', 1, 0, 1],
    ]);
  });

  it('scopes a township crew to its township: others 403, an unknown code 404', async () => {
    const h = await as([{ role: 'crew_member', scope: 'xintang' }]);
    const mine = await app.inject({ url: '/api/v1/fleet', headers: h });
    expect(mine.json<{ townships: { code: string }[]; total: { stations: number } }>()).toMatchObject({
      townships: [{ code: 'xintang', nameZh: '新塘镇', dark: 1 }],
      total: { stations: 1 },
    });
    expect((await app.inject({ url: '/api/v1/fleet?township=xintang', headers: h })).statusCode).toBe(200);
    const other = await app.inject({ url: '/api/v1/fleet?township=chengguan', headers: h });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: { code: 'forbidden_township' } });
    const none = await app.inject({ url: '/api/v1/fleet?township=atlantis&lang=en', headers: h });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toEqual({
      error: { code: 'township_not_found', message: 'No township with code "atlantis"' },
    });
  });

  it('refuses an unknown query parameter, naming it', async () => {
    const r = await app.inject({
      url: '/api/v1/fleet?twonship=chengguan',
      headers: { ...(await as([{ role: 'viewer', scope: 'county' }])), 'accept-language': 'en' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: {
        code: 'unknown_parameter',
        message: 'Unknown query parameter "twonship"; allowed: township, lang',
      },
    });
  });

  it('is open to a token with station:read', async () => {
    const u = await addTestUser(app, [{ role: 'viewer', scope: 'chengguan' }]);
    const r = await app.inject({
      url: '/api/v1/fleet',
      headers: await tokenHeaders(app, u, ['station:read']),
    });
    expect(r.json<{ townships: { code: string }[] }>().townships.map((t) => t.code)).toEqual(['chengguan']);
  });
});

describe('fleet gauges in /metrics', () => {
  it('show the same figures per township, computed at scrape time', async () => {
    const text = await app.metrics.registry.metrics();
    expect(valueOf(text, 'yizhan_fleet_stations', { township: 'chengguan', state: 'online' })).toBe(1);
    expect(valueOf(text, 'yizhan_fleet_stations', { township: 'xintang', state: 'dark' })).toBe(1);
    expect(
      valueOf(text, 'yizhan_fleet_alerts_firing', { township: 'chengguan', rule: 'dispenser_broken' }),
    ).toBe(1);
    expect(valueOf(text, 'yizhan_fleet_stale_sensors', { township: 'baisha' })).toBe(0);
    expect(valueOf(text, 'yizhan_fleet_config', { township: 'chengguan', sync: 'pending' })).toBe(1);

    app.store.apply('st-004', [{ type: 'status', online: true, bootId: 'b', ts: T }]);
    standIns.firing.length = 0;
    const after = await app.metrics.registry.metrics();
    expect(valueOf(after, 'yizhan_fleet_stations', { township: 'baisha', state: 'online' })).toBe(1);
    // A rule that stopped firing leaves the series, rather than staying at its last value.
    expect(parseProm(after).filter((s) => s.name === 'yizhan_fleet_alerts_firing')).toEqual([]);
  });
});
