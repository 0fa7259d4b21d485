/**
 * What a rider does without an account: sends a report, uploads photos with the upload token,
 * follows it with the receipt code. Bad input and floods get a clear 4xx naming the field, are
 * counted by reason and store nothing; the photo's GPS is gone unless the rider kept it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody, PublicReport, ReportCategoriesResponse } from '@yizhan/server/api-types';
import { rowCounts } from '../../full-app.js';
import { valueOf } from '../../../helpers/prom.js';
import { JPEG_16x12, PNG_16x12, gpsOf, jpegClaiming, jpegWithGps } from '../../reports/images.js';
import {
  PLACES,
  addReport,
  newDevice,
  reportBody,
  sendReport,
  startReportsApp,
  uploadPhoto,
} from './helpers.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await startReportsApp();
});
afterAll(() => app.close());

const metrics = async () => (await app.inject({ url: '/metrics' })).body;
const rejects = async (reason: string) =>
  valueOf(await metrics(), 'yizhan_rider_report_rejects_total', { reason }) ?? 0;
const status = (receipt: string, ip = '203.0.113.50', lang?: string) =>
  app.inject({ url: `/api/v1/public/reports/${receipt}${lang ? `?lang=${lang}` : ''}`, remoteAddress: ip });

describe('categories', () => {
  it('lists the six categories with Chinese names, English with ?lang=en', async () => {
    const zh = (
      await app.inject({ url: '/api/v1/public/report-categories' })
    ).json<ReportCategoriesResponse>();
    expect(zh.categories.map((c) => c.id)).toEqual([
      'station_fault',
      'missing_supplies',
      'road_damage',
      'blocked_lane',
      'food_safety',
      'other_street',
    ]);
    expect(zh.categories[1]).toEqual({
      id: 'missing_supplies',
      name: '物资缺少（急救包、雨伞等）',
      kind: 'station',
    });
    const en = (
      await app.inject({ url: '/api/v1/public/report-categories?lang=en' })
    ).json<ReportCategoriesResponse>();
    expect(en.categories[2]).toEqual({ id: 'road_damage', name: 'Broken road', kind: 'street' });
  });
});

describe('a report', () => {
  it('gets a receipt XXXX-XXXX whose status page shows it received, without the contact', async () => {
    const r = await sendReport(
      app,
      reportBody({ contact: { name: '王师傅', phone: '138 0013 8000' }, photoCount: 1 }),
    );
    expect(r.statusCode).toBe(201);
    const a = r.json<{ receipt: string; uploadToken: string; uploadUntil: number; statusUrl: string }>();
    expect(a.receipt).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(a.statusUrl).toBe(`/api/v1/public/reports/${a.receipt}`);
    expect(a.uploadUntil - Date.now()).toBeGreaterThan(29 * 60_000);
    const s = await app.inject({ url: a.statusUrl, remoteAddress: '203.0.113.51' });
    expect(s.statusCode).toBe(200);
    expect(s.body).not.toContain('0013');
    expect(s.body).not.toContain('王师傅');
    const body = s.json<PublicReport>();
    expect(body).toMatchObject({
      receipt: a.receipt,
      category: 'station_fault',
      categoryName: '驿站设施故障',
      stationId: 'st-001',
      stationName: '测试001号驿站',
      status: 'received',
      statusName: '已收到',
      photos: 0,
    });
    expect(body.history).toEqual([{ at: body.createdAt, status: 'received', statusName: '已收到' }]);
    // As a rider may type it: lower case, without the dash.
    expect((await status(a.receipt.replace('-', '').toLowerCase())).json<PublicReport>().receipt).toBe(
      a.receipt,
    );
    expect((await status(a.receipt, '203.0.113.51', 'en')).json<PublicReport>().statusName).toBe('Received');
  });

  it('a street problem by location belongs to the township whose station is nearest', async () => {
    const near = { lat: PLACES.other.lat + 0.01, lon: PLACES.other.lon };
    const a = await addReport(app, {
      category: 'road_damage',
      stationId: undefined,
      location: near,
      text: '路面塌陷',
    });
    const row = await app.ops.db
      .selectFrom('rider_reports')
      .select(['township', 'kind', 'lat'])
      .where('receipt', '=', a.receipt.replace('-', ''))
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ township: 'xintang', kind: 'street', lat: near.lat });
  });

  const big = 'x'.repeat(17 * 1024);
  const bad: {
    name: string;
    body: unknown;
    device?: string;
    status: number;
    says: string;
    reason: string;
  }[] = [
    {
      name: 'blank text',
      body: reportBody({ text: '   ' }),
      status: 400,
      says: 'body/text',
      reason: 'bad_field',
    },
    {
      name: 'text over 500',
      body: reportBody({ text: '长'.repeat(501) }),
      status: 400,
      says: 'body/text',
      reason: 'bad_field',
    },
    {
      name: 'unknown category',
      body: reportBody({ category: 'noise' }),
      status: 400,
      says: 'body/category',
      reason: 'bad_field',
    },
    {
      name: 'station fault without station',
      body: reportBody({ stationId: undefined }),
      status: 400,
      says: 'body/stationId',
      reason: 'bad_field',
    },
    {
      name: 'street problem without place',
      body: reportBody({ category: 'blocked_lane', stationId: undefined }),
      status: 400,
      says: 'body/location',
      reason: 'bad_field',
    },
    {
      name: 'unknown station',
      body: reportBody({ stationId: 'st-404' }),
      status: 400,
      says: 'st-404',
      reason: 'bad_field',
    },
    {
      name: 'latitude out of range',
      body: reportBody({ location: { lat: 91, lon: 120 } }),
      status: 400,
      says: 'body/location/lat',
      reason: 'bad_field',
    },
    {
      name: 'phone with letters',
      body: reportBody({ contact: { phone: 'call me' } }),
      status: 400,
      says: 'body/contact/phone',
      reason: 'bad_field',
    },
    {
      name: 'four photos announced',
      body: reportBody({ photoCount: 4 }),
      status: 400,
      says: 'body/photoCount',
      reason: 'bad_field',
    },
    {
      name: 'unknown field',
      body: reportBody({ email: 'a@b.c' }),
      status: 400,
      says: 'email',
      reason: 'bad_field',
    },
    {
      name: 'text as an object',
      body: reportBody({ text: { zh: '坏了' } }),
      status: 400,
      says: 'body/text',
      reason: 'bad_field',
    },
    {
      name: 'location as a string',
      body: reportBody({ location: '城关镇' }),
      status: 400,
      says: 'body/location',
      reason: 'bad_field',
    },
    { name: 'not JSON', body: '{"category":', status: 400, says: '', reason: 'bad_field' },
    {
      name: 'body over 16 KB',
      body: reportBody({ text: big }),
      status: 413,
      says: '16',
      reason: 'too_large',
    },
    {
      name: 'no device id',
      body: reportBody(),
      device: 'short',
      status: 400,
      says: 'x-yizhan-device',
      reason: 'bad_device',
    },
  ];
  it.each(bad)(
    '$name: $status naming it, counted as $reason, nothing stored',
    async ({ body, device, status: code, says, reason }) => {
      const before = await rowCounts(app);
      const counted = await rejects(reason);
      const r = await sendReport(app, body, { device: device ?? newDevice(), ip: '192.0.2.77' });
      expect(r.statusCode).toBe(code);
      expect(r.json<ErrorBody>().error.message).toContain(says);
      expect(await rejects(reason)).toBe(counted + 1);
      expect(await rowCounts(app)).toEqual(before);
    },
  );
});

describe('floods', () => {
  it('a device gets 429 with retryAfterS after 5 reports an hour; the flood stores nothing more', async () => {
    const device = newDevice();
    for (let i = 0; i < 5; i++)
      expect((await sendReport(app, reportBody(), { device, ip: `192.0.2.${10 + i}` })).statusCode).toBe(201);
    const before = await rowCounts(app);
    const limited = await rejects('rate_limited');
    for (let i = 0; i < 20; i++) {
      const r = await sendReport(app, reportBody(), { device, ip: `192.0.2.${30 + i}` });
      expect(r.statusCode).toBe(429);
      expect(r.json<{ retryAfterS: number }>().retryAfterS).toBeGreaterThan(0);
      expect(r.headers['retry-after']).toBeDefined();
    }
    expect(await rowCounts(app)).toEqual(before);
    expect(await rejects('rate_limited')).toBe(limited + 20);
  });

  it('an address gets 429 after 30 reports an hour, whatever device ids it makes up', async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < 30; i++) expect((await sendReport(app, reportBody(), { ip })).statusCode).toBe(201);
    const r = await sendReport(app, reportBody(), { ip });
    expect(r.statusCode).toBe(429);
    expect(r.json<ErrorBody>().error.message).toContain('30');
    expect((await sendReport(app, reportBody(), { ip: '192.0.2.201' })).statusCode).toBe(201);
  });

  it('guessing receipts: 404s, then 429 for that address even for a real receipt', async () => {
    const a = await addReport(app);
    const ip = '192.0.2.222';
    for (let i = 0; i < 20; i++) {
      const r = await status(`ZZZZ-${String(1000 + i)}`, ip);
      expect(r.statusCode).toBe(404);
    }
    expect((await status(a.receipt, ip)).statusCode).toBe(429);
    expect((await status(a.receipt, '192.0.2.223')).statusCode).toBe(200);
  });
});

describe('photos', () => {
  const HOME = { lat: 28.2282, lon: 112.9388 };
  const stored = async (receipt: string) =>
    app.ops.db
      .selectFrom('rider_report_photos as p')
      .innerJoin('rider_reports as r', 'r.id', 'p.report_id')
      .select(['p.n', 'p.data', 'p.kept_location'])
      .where('r.receipt', '=', receipt.replace('-', ''))
      .orderBy('p.n')
      .execute();

  it('a JPEG with GPS is stored without it; with keepLocation=1 it keeps it; the 4th is refused', async () => {
    const a = await addReport(app, { photoCount: 3 });
    const photo = jpegWithGps(JPEG_16x12, HOME.lat, HOME.lon);
    const r1 = await uploadPhoto(app, a, photo);
    expect(r1.statusCode).toBe(201);
    expect(r1.json()).toEqual({ photo: 1 });
    expect((await uploadPhoto(app, a, photo, { keepLocation: true })).json()).toEqual({ photo: 2 });
    expect((await uploadPhoto(app, a, PNG_16x12, { type: 'image/png' })).json()).toEqual({ photo: 3 });
    const fourth = await uploadPhoto(app, a, photo);
    expect(fourth.statusCode).toBe(409);
    const rows = await stored(a.receipt);
    expect(rows.map((p) => p.n)).toEqual([1, 2, 3]);
    expect(gpsOf(Buffer.from(rows[0]!.data))).toBeUndefined();
    expect(Buffer.from(rows[0]!.data).equals(JPEG_16x12)).toBe(true);
    expect(gpsOf(Buffer.from(rows[1]!.data))?.lat).toBeCloseTo(HOME.lat, 4);
    expect((await status(a.receipt)).json<PublicReport>().photos).toBe(3);
  });

  const refusals: {
    name: string;
    send: (a: { receipt: string; uploadToken: string }) => ReturnType<typeof uploadPhoto>;
    status: number;
    reason: string;
  }[] = [
    {
      name: 'wrong token',
      send: (a) => uploadPhoto(app, a, JPEG_16x12, { token: 'x'.repeat(43) }),
      status: 401,
      reason: 'bad_token',
    },
    {
      name: 'text, not an image',
      send: (a) => uploadPhoto(app, a, Buffer.from('hello'), { type: 'text/plain' }),
      status: 415,
      reason: 'not_image',
    },
    {
      name: 'a PNG sent as JPEG',
      send: (a) => uploadPhoto(app, a, PNG_16x12),
      status: 415,
      reason: 'not_image',
    },
    {
      name: 'a damaged JPEG',
      send: (a) => uploadPhoto(app, a, JPEG_16x12.subarray(0, 200)),
      status: 415,
      reason: 'bad_image',
    },
    {
      name: 'header says 6000×4000',
      send: (a) => uploadPhoto(app, a, jpegClaiming(JPEG_16x12, 6000, 4000)),
      status: 422,
      reason: 'too_big_image',
    },
    {
      name: 'over 2 MB',
      send: (a) => uploadPhoto(app, a, Buffer.concat([JPEG_16x12, Buffer.alloc(2 * 1024 * 1024)])),
      status: 413,
      reason: 'too_large',
    },
  ];
  it.each(refusals)(
    '$name: $status, counted as $reason, no photo stored',
    async ({ send, status: code, reason }) => {
      const a = await addReport(app);
      const counted = await rejects(reason);
      const r = await send(a);
      expect(r.statusCode).toBe(code);
      expect(r.json<ErrorBody>().error.message.length).toBeGreaterThan(5);
      expect(await rejects(reason)).toBe(counted + 1);
      expect(await stored(a.receipt)).toEqual([]);
    },
  );

  it('the upload token expires 30 minutes after the report', async () => {
    const a = await addReport(app);
    await app.ops.db
      .updateTable('rider_reports')
      .set({ upload_until: Date.now() - 1 })
      .where('receipt', '=', a.receipt.replace('-', ''))
      .execute();
    expect((await uploadPhoto(app, a, JPEG_16x12)).statusCode).toBe(401);
  });
});
