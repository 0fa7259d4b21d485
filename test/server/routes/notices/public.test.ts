/**
 * What riders see: `GET /api/v1/public/stations/:id/notices` answers exactly the notices showing now
 * in the station's three scopes (its own, its township's, the county's), most severe first; the
 * station screen carries their text; the riders' per-address limit, which this route shares,
 * refuses a flood before any work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from '@yizhan/server/api-types';
import type { StationNotices } from '../../../../server/src/routes/notices/schemas.js';
import { OTHER, OWN, startFullApp } from '../../full-app.js';
import { HOUR, addTestNotice } from './helpers.js';

/** The riders' per-address limit, which the public notices share (routes/riders/index.ts). */
const PER_MINUTE = 30;
let app: FastifyInstance;
const ids: Record<string, number> = {};

beforeAll(async () => {
  app = await startFullApp({ riders: { requestsPerMin: PER_MINUTE } });
  const now = Date.now();
  ids.county = await addTestNotice(app, { county: true }, { title: '全县高温提示', severity: 'warning', startsAt: now - 2 * HOUR });
  ids.township = await addTestNotice(app, { township: OWN.code }, { title: '城关镇骑手座谈会', startsAt: now - HOUR });
  ids.station = await addTestNotice(app, { stationId: OWN.station }, { title: '本站今晚 20 点闭站检修', severity: 'critical' });
  ids.stationLater = await addTestNotice(app, { stationId: OWN.station }, { title: '本站周末义诊', startsAt: now - 1000 });
  ids.otherTownship = await addTestNotice(app, { township: OTHER.code }, { title: '新塘镇停电通知' });
  ids.otherStation = await addTestNotice(app, { stationId: OTHER.station }, { title: '新塘驿站热水器更换' });
  ids.upcoming = await addTestNotice(app, { township: OWN.code }, { title: '明天的活动', startsAt: now + HOUR });
  ids.ended = await addTestNotice(app, { county: true }, { title: '已过期', startsAt: now - 2 * HOUR, endsAt: now - HOUR });
  ids.withdrawn = await addTestNotice(app, { township: OWN.code }, { title: '已撤下' });
  await app.ops.db.updateTable('notices').set({ withdrawn_at: now }).where('id', '=', ids.withdrawn).execute();
  await app.notices.changed();
});
afterAll(() => app.close());

const read = (id: string, remoteAddress = '203.0.113.1') =>
  app.inject({ url: `/api/v1/public/stations/${id}/notices`, remoteAddress });

describe('public notices of a station', () => {
  it('are exactly its own, its township’s and the county’s notices showing now, most severe first, then by start', async () => {
    const r = await read(OWN.station);
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
    const body = r.json<StationNotices>();
    expect(body.stationId).toBe(OWN.station);
    expect(body.notices.map((n) => n.id)).toEqual([ids.station, ids.county, ids.township, ids.stationLater]);
    expect(body.notices[0]).not.toHaveProperty('createdBy');
    const other = (await read(OTHER.station)).json<StationNotices>().notices.map((n) => n.id);
    expect(other).toEqual([ids.county, ids.otherTownship, ids.otherStation]);
  });

  it('an unknown station is a 404 naming it', async () => {
    const r = await read('st-999');
    expect(r.statusCode).toBe(404);
    expect(r.json<ErrorBody>().error.message).toContain('st-999');
  });

  it('the station screen shows the notices showing there and no others', async () => {
    const page = (await app.inject({ url: `/screen/${OWN.station}` })).body;
    const section = /<section id="notices"[^>]*>([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
    for (const t of ['本站今晚 20 点闭站检修', '全县高温提示', '城关镇骑手座谈会', '本站周末义诊']) expect(section).toContain(t);
    for (const t of ['新塘镇停电通知', '明天的活动', '已过期', '已撤下']) expect(page).not.toContain(t);
    expect(section.indexOf('本站今晚')).toBeLessThan(section.indexOf('全县高温提示'));
    expect(section).toContain('data-severity="critical"');
  });

  it('a notice’s markup is shown as text on the screen, never run', async () => {
    const id = await addTestNotice(app, { stationId: OTHER.station }, { title: '<img src=x onerror=alert(1)></script>' });
    const page = (await app.inject({ url: `/screen/${OTHER.station}` })).body;
    expect(page).not.toContain('<img src=x');
    expect(page).not.toMatch(/<\/script><\/script>/);
    expect(page).toContain('&#60;img src=x onerror=alert(1)&#62;');
    await app.ops.db.updateTable('notices').set({ withdrawn_at: Date.now() }).where('id', '=', id).execute();
    await app.notices.changed();
  });

  it(`refuses the ${PER_MINUTE + 1}th read a minute from one address with 429, counted; other addresses still read`, async () => {
    const address = '198.51.100.20';
    for (let i = 0; i < PER_MINUTE; i++) expect((await read(OWN.station, address)).statusCode).toBe(200);
    const refused = await read(OWN.station, address);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json<ErrorBody>().error.code).toBe('rate_limited');
    expect(refused.headers['cache-control']).toBe('no-store');
    // Refused before validation: a bad id from the flooding address is a 429 too, not a 404.
    expect((await read('x'.repeat(80), address)).statusCode).toBe(429);
    expect((await read(OWN.station, '198.51.100.21')).statusCode).toBe(200);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/yizhan_rider_requests_total\{route="notices",outcome="rate_limited"\} 2/);
    expect(metrics).toMatch(/yizhan_notices_active \d+/);
  });
});
