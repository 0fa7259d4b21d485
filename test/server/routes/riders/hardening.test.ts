/**
 * The riders' public endpoints under bad input and floods: a 400 that names the parameter, a 429
 * with Retry-After checked before the query is read, no caching of refusals, every answer counted
 * in /metrics, one live snapshot shared by many requests, and the township picker's list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { PublicTownshipsResponse } from '@yizhan/server/api-types';
import { valueOf } from '../../../helpers/prom.js';
import { riderApp } from './rider-app.js';

const NEARBY = '/api/v1/public/stations/nearby';

async function metrics(app: FastifyInstance): Promise<string> {
  return (await app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })).body;
}

describe('bad parameters', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await riderApp();
  });
  afterAll(() => app?.close());

  const bad = async (query: string, lang = 'en') => {
    const r = await app.inject({ url: `${NEARBY}?${query}&lang=${lang}`, remoteAddress: '198.51.100.1' });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.headers['cache-control']).toBe('no-store');
    return r.json<{ error: { code: string; message: string } }>().error;
  };

  it.each([
    ['lat=91&lon=120', 'querystring/lat', '90'],
    ['lat=30&lon=-181', 'querystring/lon', '-180'],
    ['lat=north&lon=120', 'querystring/lat', 'number'],
    ['need=food', 'querystring/need', 'socket'],
    ['limit=0', 'querystring/limit', '1'],
    ['limit=51', 'querystring/limit', '50'],
    ['radius=5', 'radius', ''],
  ])('%s → 400 naming %s', async (query, field, says) => {
    const e = await bad(query);
    expect(e.message).toContain(field);
    expect(e.message).toContain(says);
  });

  it('asks for both coordinates when one is missing', async () => {
    expect(await bad('lat=30')).toEqual({
      code: 'location_incomplete',
      message: 'querystring/lon: a location needs both lat and lon (WGS-84 degrees)',
    });
    expect((await bad('lon=120', 'zh-CN')).message).toContain('querystring/lat');
  });

  it('refuses two origins and an unknown station to measure from', async () => {
    expect(await bad('near=st-001&lat=30&lon=120')).toEqual({
      code: 'two_origins',
      message: 'querystring/near: give one of near or at (measure from a station) or lat and lon',
    });
    expect((await bad('near=st-001&at=st-002')).code).toBe('two_origins');
    expect(await bad('at=st-404')).toEqual({
      code: 'unknown_station',
      message: 'querystring/at: no station with id "st-404"',
    });
    expect(await bad('near=st-404')).toEqual({
      code: 'unknown_station',
      message: 'querystring/near: no station with id "st-404"',
    });
    expect((await bad('near=..%2Fetc')).message).toContain('querystring/near');
  });

  it('names an unknown township and suggests the close one', async () => {
    expect(await bad('township=chenguan')).toEqual({
      code: 'unknown_township',
      message: 'querystring/township: no township with code "chenguan" (did you mean "chengguan"?)',
    });
  });

  it('counts refusals as bad_request', async () => {
    expect(
      valueOf(await metrics(app), 'yizhan_rider_requests_total', { route: 'nearby', outcome: 'bad_request' }),
    ).toBeGreaterThanOrEqual(10);
  });
});

describe('rate limit per address', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await riderApp({ riders: { requestsPerMin: 3 }, trustProxy: '127.0.0.1' });
  });
  afterAll(() => app?.close());

  it('refuses the fourth request of a minute with 429 and Retry-After, even before reading bad parameters', async () => {
    const from = (query: string) => app.inject({ url: `${NEARBY}?${query}`, remoteAddress: '203.0.113.9' });
    for (let i = 0; i < 3; i++) expect((await from('lat=30&lon=120')).statusCode).toBe(200);
    const r = await from('lat=999&need=food&lang=en');
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: `Too many requests (at most 3 a minute from one address); try again in ${r.headers['retry-after']} s`,
      },
    });
    // The township list shares the allowance.
    expect(
      (await app.inject({ url: '/api/v1/public/townships', remoteAddress: '203.0.113.9' })).statusCode,
    ).toBe(429);
  });

  it('keeps other addresses, and clients behind the trusted proxy, apart', async () => {
    expect((await app.inject({ url: NEARBY, remoteAddress: '203.0.113.10' })).statusCode).toBe(200);
    const viaProxy = (client: string) =>
      app.inject({ url: NEARBY, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 3; i++) expect((await viaProxy('198.51.100.20')).statusCode).toBe(200);
    expect((await viaProxy('198.51.100.20')).statusCode).toBe(429);
    expect((await viaProxy('198.51.100.21')).statusCode).toBe(200);
  });

  it('counts the refusals', async () => {
    const m = await metrics(app);
    expect(valueOf(m, 'yizhan_rider_requests_total', { route: 'nearby', outcome: 'rate_limited' })).toBe(2);
    expect(valueOf(m, 'yizhan_rider_requests_total', { route: 'townships', outcome: 'rate_limited' })).toBe(
      1,
    );
  });
});

describe('answers', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await riderApp({ riders: { snapshotMs: 60_000 } });
  });
  afterAll(() => app?.close());

  it('may be cached a few seconds, and many requests share one live snapshot', async () => {
    const before = valueOf(await metrics(app), 'yizhan_rider_snapshots_total') ?? 0;
    for (let i = 0; i < 20; i++) {
      const r = await app.inject({
        url: `${NEARBY}?lat=30&lon=${120 + i / 1000}`,
        remoteAddress: `192.0.2.${i + 1}`,
      });
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('public, max-age=5');
    }
    const m = await metrics(app);
    expect((valueOf(m, 'yizhan_rider_snapshots_total') ?? 0) - before).toBeLessThanOrEqual(1);
    expect(valueOf(m, 'yizhan_rider_requests_total', { route: 'nearby', outcome: 'ok' })).toBe(20);
  });

  it('lists the townships with stations for the picker, without login', async () => {
    const r = await app.inject({ url: '/api/v1/public/townships', remoteAddress: '192.0.2.99' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=300');
    expect(r.json<PublicTownshipsResponse>()).toEqual({
      townships: [
        { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan', stations: 2 },
        { code: 'xintang', name: '新塘镇', nameEn: 'Xintang', stations: 2 },
      ],
    });
  });
});
