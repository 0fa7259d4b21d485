/**
 * The silences API through the whole app: who may create and end which silence (own township,
 * other township, county-wide), what each reader sees, the audit entries, and bad input answered
 * with a 4xx naming the field and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody as ErrorAnswer, Silence } from '@yizhan/server/api-types';
import { OTHER, OWN, rowCounts, startFullApp, userWithSession } from '../../full-app.js';

let app: FastifyInstance;
let lead: Record<string, string>; // crew_lead in OWN
let county: Record<string, string>; // county_admin
let viewer: Record<string, string>; // viewer in OWN
const HOUR = 3_600_000;

beforeAll(async () => {
  app = await startFullApp();
  lead = (await userWithSession(app, [{ role: 'crew_lead', scope: OWN.code }])).headers;
  county = (await userWithSession(app, [{ role: 'county_admin', scope: 'county' }])).headers;
  viewer = (await userWithSession(app, [{ role: 'viewer', scope: OWN.code }])).headers;
});
afterAll(() => app.close());

const body = (matchers: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  matchers,
  endsAt: Date.now() + HOUR,
  reason: '更换热水器',
  ...extra,
});
const post = (headers: Record<string, string>, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/silences', headers, payload: payload as object });
const list = async (headers: Record<string, string>, active = 'true'): Promise<Silence[]> => {
  const r = await app.inject({ url: `/api/v1/silences?active=${active}`, headers });
  expect(r.statusCode).toBe(200);
  return r.json<{ silences: Silence[] }>().silences;
};
const audits = (action: string) =>
  app.ops.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

describe('silences API', () => {
  it('a crew lead silences their own township and the entry is audited', async () => {
    const r = await post(
      lead,
      body(
        { township: OWN.code, rule: 'dispenser_broken' },
        {
          window: { days: [1, 2, 3, 4, 5], from: '02:00', to: '03:00' },
        },
      ),
    );
    expect(r.statusCode).toBe(201);
    const s = r.json<{ silence: Silence }>().silence;
    expect(s).toMatchObject({
      matchers: { township: OWN.code, rule: 'dispenser_broken' },
      window: { days: [1, 2, 3, 4, 5], from: '02:00', to: '03:00' },
      reason: '更换热水器',
      endedAt: null,
    });
    const entry = (await audits('silence.add')).at(-1);
    expect(entry).toMatchObject({ target: `silence:${s.id}`, township: OWN.code });
    expect(app.silences.active.map((x) => x.id)).toContain(s.id);
  });

  it('a station matcher places the silence in the station township', async () => {
    expect((await post(lead, body({ stationId: OWN.station }))).statusCode).toBe(201);
    expect((await post(lead, body({ stationId: OTHER.station }))).statusCode).toBe(403);
  });

  it('refuses another township and a county-wide silence to a township lead', async () => {
    const before = await rowCounts(app);
    const other = await post(lead, body({ township: OTHER.code }));
    expect(other.statusCode).toBe(403);
    expect(other.json<ErrorAnswer>().error.code).toBe('forbidden_township');
    const wide = await post(lead, body({ rule: 'serial_link_down' }));
    expect(wide.statusCode).toBe(403);
    expect(wide.json<ErrorAnswer>().error).toMatchObject({ code: 'forbidden_county' });
    expect(wide.json<ErrorAnswer>().error.message).toContain('全县');
    expect(await rowCounts(app)).toEqual(before);
  });

  it('a viewer may read but not write', async () => {
    expect((await post(viewer, body({ township: OWN.code }))).statusCode).toBe(403);
    expect((await list(viewer)).length).toBeGreaterThan(0);
  });

  it('county scope creates a county-wide silence; every reader sees it, other townships stay hidden', async () => {
    const wide = (await post(county, body({ severity: 'info' }))).json<{ silence: Silence }>();
    const elsewhere = (await post(county, body({ township: OTHER.code }))).json<{ silence: Silence }>();
    const seen = (await list(viewer)).map((s) => s.id);
    expect(seen).toContain(wide.silence.id);
    expect(seen).not.toContain(elsewhere.silence.id);
    expect((await list(county)).map((s) => s.id)).toContain(elsewhere.silence.id);
  });

  it('DELETE ends a silence (kept as history, audited); others cannot end it', async () => {
    const s = (await post(county, body({ township: OTHER.code }))).json<{ silence: Silence }>().silence;
    const denied = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: lead });
    expect(denied.statusCode).toBe(403);
    const r = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: county });
    expect(r.statusCode).toBe(200);
    expect(r.json<{ silence: Silence }>().silence.endedAt).not.toBeNull();
    expect((await list(county)).map((x) => x.id)).not.toContain(s.id);
    expect((await list(county, 'false')).map((x) => x.id)).toContain(s.id);
    expect(app.silences.active.map((x) => x.id)).not.toContain(s.id);
    expect((await audits('silence.end')).at(-1)).toMatchObject({
      target: `silence:${s.id}`,
      township: OTHER.code,
    });
    const missing = await app.inject({ method: 'DELETE', url: '/api/v1/silences/999999', headers: county });
    expect(missing.statusCode).toBe(404);
  });

  it.each<[string, unknown, number, string]>([
    ['missing reason', { matchers: {}, endsAt: Date.now() + HOUR }, 400, 'reason'],
    ['reason over 500 chars', body({ township: OWN.code }, { reason: '修'.repeat(501) }), 400, 'reason'],
    ['blank reason', body({ township: OWN.code }, { reason: '   ' }), 400, 'reason'],
    ['unknown field', body({ township: OWN.code }, { owner: 'x' }), 400, 'owner'],
    ['unknown matcher', body({ township: OWN.code, area: 'x' }), 400, 'area'],
    ['bad severity', body({ severity: 'loud' }), 400, 'severity'],
    [
      'bad window time',
      body({ township: OWN.code }, { window: { days: [1], from: '2:00', to: '03:00' } }),
      400,
      'from',
    ],
    [
      'bad weekday',
      body({ township: OWN.code }, { window: { days: [0], from: '02:00', to: '03:00' } }),
      400,
      'days',
    ],
    [
      'empty window',
      body({ township: OWN.code }, { window: { days: [1], from: '02:00', to: '02:00' } }),
      400,
      'window.to',
    ],
    ['expiry in the past', body({ township: OWN.code }, { endsAt: Date.now() - HOUR }), 400, 'endsAt'],
    [
      'ends before it starts',
      body({ township: OWN.code }, { startsAt: Date.now() + 2 * HOUR }),
      400,
      'endsAt',
    ],
    [
      'station in another township than the matcher',
      body({ township: OWN.code, stationId: OTHER.station }),
      400,
      'stationId',
    ],
    ['unknown township', body({ township: 'nowhere' }), 404, 'nowhere'],
    ['unknown station', body({ stationId: 'st-999' }), 404, 'st-999'],
  ])('bad input: %s', async (_name, payload, status, field) => {
    const before = await rowCounts(app);
    const r = await post(county, payload);
    expect(r.statusCode).toBe(status);
    expect(r.json<ErrorAnswer>().error.message).toContain(field);
    expect(await rowCounts(app)).toEqual(before);
  });

  it('a body over 64 KB is refused with 413', async () => {
    const r = await post(county, body({ township: OWN.code }, { reason: 'x'.repeat(70_000) }));
    expect(r.statusCode).toBe(413);
  });
});
