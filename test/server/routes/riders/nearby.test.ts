/**
 * GET /api/v1/public/stations/nearby as a rider's phone sees it: live readings applied to the
 * state store, the clock moved past the thresholds (Date faked, timers real), answers checked for
 * what a rider reads: which station comes first for what they need, free counts, closed and
 * offline stations, and navigation links in the right datum.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { toBd09, toGcj02 } from '@yizhan/common/china-datums';
import type { NearbyResponse, NearbyStation } from '@yizhan/server/api-types';
import { DEFAULT_DARK_AFTER_MS } from '../../../../server/src/org/fleet.js';
import { NOON, RIDER, STATIONS, goLive, heardFrom, riderApp } from './rider-app.js';

let app: FastifyInstance;
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOON);
  app = await riderApp();
  goLive(app, 'st-001', { occupancy: 7, sockets: [1, 1, 1, 2], waterC: 93 });
  goLive(app, 'st-002', { occupancy: 12, sockets: [0, 0, 1, 2], waterC: 60 });
  goLive(app, 'st-004', { occupancy: 0, sockets: [0, 0, 0, 0], waterC: 95 });
});
afterAll(async () => {
  await app?.close();
  vi.useRealTimers();
});

async function ask(query: string): Promise<NearbyResponse> {
  const r = await app.inject({
    url: `/api/v1/public/stations/nearby?${query}`,
    remoteAddress: '198.51.100.7',
  });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<NearbyResponse>();
}
const here = `lat=${RIDER.lat}&lon=${RIDER.lon}`;
const ids = (a: NearbyResponse) => a.stations.map((s) => s.id);
const byId = (a: NearbyResponse, id: string) => a.stations.find((s) => s.id === id) as NearbyStation;

describe('sorted by what the rider needs, then by distance', () => {
  it('need=socket: the one station with an idle socket first, then the nearest', async () => {
    const a = await ask(`${here}&need=socket`);
    expect(ids(a)).toEqual(['st-002', 'st-004', 'st-003', 'st-001']);
    expect(a.stations.map((s) => s.has)).toEqual([true, false, false, false]);
    expect(a.need).toBe('socket');
    expect(a.origin).toEqual(RIDER);
  });

  it('need=seat: the one with free seats first (the closed and the offline ones follow by distance)', async () => {
    expect(ids(await ask(`${here}&need=seat`))).toEqual(['st-001', 'st-004', 'st-003', 'st-002']);
  });

  it('need=water: only hot water that is ready counts (60 °C is still heating)', async () => {
    const a = await ask(`${here}&need=water`);
    expect(ids(a)[0]).toBe('st-001');
    expect(byId(a, 'st-001').water).toEqual({ ready: true, tempC: 93 });
    expect(byId(a, 'st-002').water).toEqual({ ready: false, tempC: 60 });
  });

  it('no need: open and live stations first, nearest first', async () => {
    expect(ids(await ask(here))).toEqual(['st-001', 'st-002', 'st-004', 'st-003']);
  });

  it('gives at most `limit` stations', async () => {
    expect(ids(await ask(`${here}&need=socket&limit=2`))).toEqual(['st-002', 'st-004']);
  });
});

describe('what is free now', () => {
  it('counts free seats (never below zero) and idle sockets', async () => {
    const a = await ask(here);
    expect(byId(a, 'st-001').seats).toEqual({ total: 10, free: 3 });
    expect(byId(a, 'st-001').sockets).toEqual({ total: 4, free: 0, ebike: null, phone: null });
    expect(byId(a, 'st-002').seats).toEqual({ total: 10, free: 0 });
    // st-002's file says sockets 1-2 charge e-bikes and 3-4 phones: the two idle ones are the e-bike ones.
    expect(byId(a, 'st-002').sockets).toEqual({
      total: 4,
      free: 2,
      ebike: { total: 2, free: 2 },
      phone: { total: 2, free: 0 },
    });
    expect(byId(a, 'st-001').door).toEqual({ open: false });
  });

  it('gives distance in metres and the compass direction from the rider', async () => {
    const a = await ask(here);
    const s1 = byId(a, 'st-001');
    expect(Math.abs((s1.distanceM ?? 0) - 500)).toBeLessThanOrEqual(2);
    expect(s1.direction).toBe('N');
    expect(byId(a, 'st-002').direction).toBe('E');
    expect(Math.abs((byId(a, 'st-002').distanceM ?? 0) - 1000)).toBeLessThanOrEqual(2);
    expect(byId(a, 'st-003').direction).toBe('S');
    expect(byId(a, 'st-004').direction).toBe('W');
  });

  it('shows a closed station as closed, with its hours and when it opens (China Standard Time)', async () => {
    const s4 = byId(await ask(here), 'st-004');
    expect(s4.open).toBe(false);
    expect(s4.has).toBe(false);
    expect(s4.hours).toEqual({
      text: '20:00-22:00',
      timeZone: 'Asia/Shanghai',
      nextChange: NOON + 8 * 3_600_000,
    });
    expect(s4.sockets.free).toBe(4);
  });

  it('shows a station never heard from as offline, with no numbers', async () => {
    const s3 = byId(await ask(here), 'st-003');
    expect(s3).toMatchObject({
      freshness: 'offline',
      dataAgeS: null,
      seats: { total: 10, free: null },
      sockets: { total: 4, free: null },
      water: { ready: null, tempC: null },
      door: { open: null },
    });
  });

  it('tells a rider nothing internal: no sensor ids, alerts, agent or boot details', async () => {
    const s1 = byId(await ask(here), 'st-001');
    expect(Object.keys(s1).sort()).toEqual(
      [
        'id',
        'name',
        'nameEn',
        'address',
        'township',
        'location',
        'distanceM',
        'bearingDeg',
        'direction',
        'freshness',
        'dataAgeS',
        'open',
        'hours',
        'seats',
        'sockets',
        'water',
        'door',
        'has',
        'navigation',
      ].sort(),
    );
    expect(s1.township).toEqual({ code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' });
  });
});

describe('navigation links', () => {
  it('opens AMap at the GCJ-02 point and Baidu at the BD-09 point of the station', async () => {
    const s = byId(await ask(here), 'st-002');
    const wgs = STATIONS[1]!.location;
    const amap = new URL(s.navigation.amap);
    expect(amap.host).toBe('uri.amap.com');
    expect(amap.searchParams.get('coordinate')).toBe('gaode');
    const [gLon, gLat, name] = (amap.searchParams.get('to') ?? '').split(',');
    const g = toGcj02(wgs);
    expect(Math.abs(Number(gLat) - g.lat)).toBeLessThan(1e-6);
    expect(Math.abs(Number(gLon) - g.lon)).toBeLessThan(1e-6);
    expect(name).toBe('测试002号驿站');
    // Not the GPS point: on AMap that would be hundreds of metres off.
    expect(Math.abs(Number(gLon) - wgs.lon)).toBeGreaterThan(0.003);

    const baidu = new URL(s.navigation.baidu);
    expect(baidu.host).toBe('api.map.baidu.com');
    expect(baidu.searchParams.get('coord_type')).toBe('bd09ll');
    const [bLat, bLon] = (baidu.searchParams.get('location') ?? '').split(',').map(Number);
    const b = toBd09(wgs);
    expect(Math.abs((bLat ?? 0) - b.lat)).toBeLessThan(1e-6);
    expect(Math.abs((bLon ?? 0) - b.lon)).toBeLessThan(1e-6);
  });
});

describe('from a station (its screen shows the neighbours)', () => {
  it('measures from the station, leaves it out, and keeps the order by need', async () => {
    const a = await ask('near=st-004&need=socket');
    expect(ids(a)).toEqual(['st-002', 'st-003', 'st-001']);
    expect(a.origin).toEqual(STATIONS[3]!.location);
    const s3 = byId(a, 'st-003');
    // st-003 is 300 m S of the rider, st-004 200 m W: about 361 m to the south-east.
    expect(Math.abs((s3.distanceM ?? 0) - 361)).toBeLessThanOrEqual(3);
    expect(s3.direction).toBe('SE');
  });
});

describe("at a station (a rider who scanned its door's QR code)", () => {
  it('measures from the station and keeps it in the list at 0 m, with no direction', async () => {
    const a = await ask('at=st-001');
    // The two open and live ones first, then by distance from st-001: st-004 539 m, st-003 800 m.
    expect(ids(a)).toEqual(['st-001', 'st-002', 'st-004', 'st-003']);
    expect(a.origin).toEqual(STATIONS[0]!.location);
    expect(byId(a, 'st-001')).toMatchObject({ distanceM: 0, direction: null });
    // Closed st-004 keeps its place after the open ones, as with any origin.
    expect(ids(await ask('at=st-004'))).toContain('st-004');
  });
});

describe('without a location', () => {
  it('orders by township and name, with no distance', async () => {
    const a = await ask('township=xintang');
    expect(ids(a)).toEqual(['st-003', 'st-004']);
    expect(a.origin).toBeNull();
    expect(a.stations.every((s) => s.distanceM === null && s.direction === null)).toBe(true);
    expect(ids(await ask(''))).toEqual(['st-001', 'st-002', 'st-003', 'st-004']);
  });
});

describe('stale and offline after the thresholds', () => {
  it('says how old the data is, goes offline when silent past the dark threshold, stale when the sensors stop', async () => {
    vi.setSystemTime(NOON + 60_000);
    heardFrom(app, 'st-001');
    let a = await ask(here);
    expect(byId(a, 'st-001')).toMatchObject({ freshness: 'live', dataAgeS: 60, seats: { free: 3 } });
    expect(byId(a, 'st-002').freshness).toBe('live');

    // st-002 has said nothing since NOON: past the dark threshold its numbers are withdrawn.
    vi.setSystemTime(NOON + DEFAULT_DARK_AFTER_MS + 1000);
    heardFrom(app, 'st-001');
    a = await ask(`${here}&need=socket`);
    expect(byId(a, 'st-002')).toMatchObject({
      freshness: 'offline',
      has: false,
      sockets: { free: null, ebike: { total: 2, free: null }, phone: { total: 2, free: null } },
    });
    expect(a.generatedAt).toBe(NOON + DEFAULT_DARK_AFTER_MS + 1000);

    // The agent still talks but its sensor controller does not: stale, no numbers either.
    vi.setSystemTime(NOON + DEFAULT_DARK_AFTER_MS + 3000);
    goLive(app, 'st-001', { occupancy: 7, sockets: [1, 1, 1, 2], waterC: 93, serialUp: false });
    a = await ask(`${here}&need=seat`);
    expect(byId(a, 'st-001')).toMatchObject({
      freshness: 'stale',
      has: false,
      seats: { total: 10, free: null },
    });
  });
});
