/**
 * What staff read: the list of their townships' reports (filters, pages), the detail with the
 * rider's contact only for report:triage in the report's township (each view audited), the photos,
 * and the union's figures as JSON and CSV. The contact phone appears in no list, figure or export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type {
  ReportDetailResponse,
  ReportFiguresResponse,
  ReportListResponse,
} from '@yizhan/server/api-types';
import { addTestUser, sessionHeaders } from '../../auth-helpers.js';
import { OTHER, OWN } from '../../full-app.js';
import { JPEG_16x12, gpsOf, jpegWithGps } from '../../reports/images.js';
import { PLACES, addReport, startReportsApp, uploadPhoto } from './helpers.js';

const PHONE = '139 8765 4321';
let app: FastifyInstance;
let grid: Record<string, string>;
let viewer: Record<string, string>;
let otherGrid: Record<string, string>;
let admin: Record<string, string>;
const ids: Record<string, number> = {};

const idOf = async (receipt: string) =>
  Number(
    (
      await app.ops.db
        .selectFrom('rider_reports')
        .select('id')
        .where('receipt', '=', receipt.replace('-', ''))
        .executeTakeFirstOrThrow()
    ).id,
  );
const get = (headers: Record<string, string>, url: string) => app.inject({ url, headers });

beforeAll(async () => {
  app = await startReportsApp();
  grid = await sessionHeaders(app, await addTestUser(app, [{ role: 'grid_staff', scope: OWN.code }]));
  viewer = await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: OWN.code }]));
  otherGrid = await sessionHeaders(app, await addTestUser(app, [{ role: 'grid_staff', scope: OTHER.code }]));
  admin = await sessionHeaders(app, await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]));
  const a = await addReport(app, {
    contact: { name: '张师傅', phone: PHONE },
    credit: { name: '骑手老张' },
    photoCount: 1,
  });
  ids.own = await idOf(a.receipt);
  await uploadPhoto(app, a, jpegWithGps(JPEG_16x12, 28.1, 112.9));
  ids.road = await idOf(
    (await addReport(app, { category: 'road_damage', stationId: undefined, location: PLACES.own })).receipt,
  );
  ids.other = await idOf(
    (await addReport(app, { stationId: OTHER.station, contact: { phone: PHONE } })).receipt,
  );
  // Valid: counted in the figures, and credited to 骑手老张.
  await app.inject({
    method: 'POST',
    url: `/api/v1/rider-reports/${ids.own}/triage`,
    headers: grid,
    payload: { decision: 'valid' },
  });
});
afterAll(() => app.close());

describe('the list', () => {
  it('holds the reader’s townships only, newest first, with no contact data', async () => {
    const r = await get(grid, '/api/v1/rider-reports?status=all');
    expect(r.statusCode).toBe(200);
    const list = r.json<ReportListResponse>();
    expect(list.reports.map((x) => x.id)).toEqual([ids.road, ids.own]);
    expect(list.reports[1]).toMatchObject({
      hasContact: true,
      credited: true,
      photos: 1,
      townshipCode: OWN.code,
      status: 'in_progress',
    });
    expect(r.body).not.toContain('8765');
    expect(r.body).not.toContain('张师傅');
    const all = await get(admin, '/api/v1/rider-reports?status=all');
    expect(all.json<ReportListResponse>().reports.map((x) => x.id)).toEqual([ids.other, ids.road, ids.own]);
    expect(all.body).not.toContain('8765');
  });

  it.each([
    { name: 'status open (default)', q: '', want: ['other', 'road', 'own'] },
    { name: 'status received', q: '?status=received', want: ['other', 'road'] },
    { name: 'category', q: '?status=all&category=road_damage', want: ['road'] },
    { name: 'township', q: `?status=all&township=${OTHER.code}`, want: ['other'] },
    { name: 'station', q: `?status=all&station=${OWN.station}`, want: ['own'] },
    { name: 'one page', q: '?status=all&limit=1', want: ['other'] },
  ])('filters by $name', async ({ q, want }) => {
    const r = (await get(admin, `/api/v1/rider-reports${q}`)).json<ReportListResponse>();
    expect(r.reports.map((x) => x.id)).toEqual(want.map((k) => ids[k]));
  });

  it('pages with next; another township’s filter is 403', async () => {
    const first = (await get(admin, '/api/v1/rider-reports?status=all&limit=2')).json<ReportListResponse>();
    const second = (
      await get(admin, `/api/v1/rider-reports?status=all&limit=2&before=${first.next}`)
    ).json<ReportListResponse>();
    expect([...first.reports, ...second.reports].map((x) => x.id)).toEqual([ids.other, ids.road, ids.own]);
    expect(second.next).toBeNull();
    expect((await get(grid, `/api/v1/rider-reports?township=${OTHER.code}`)).statusCode).toBe(403);
  });
});

describe('the detail', () => {
  it('shows the contact to report:triage in the township and audits the view', async () => {
    const r = (await get(grid, `/api/v1/rider-reports/${ids.own}`)).json<ReportDetailResponse>();
    expect(r.contactState).toBe('shown');
    expect(r.contact).toEqual({ name: '张师傅', phone: PHONE });
    expect(r.creditName).toBe('骑手老张');
    expect(r.history.map((h) => h.kind)).toEqual(['received', 'triaged', 'work_order']);
    expect(r.photos).toMatchObject([{ n: 1, contentType: 'image/jpeg', keptLocation: false }]);
    const audit = await app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'after_json'])
      .where('target', '=', `rider_report:${ids.own}`)
      .where('action', '=', 'rider_report.contact_view')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('8765');
  });

  it('hides it from a viewer of the township (no report:triage), unaudited; 403 for another township', async () => {
    const r = (await get(viewer, `/api/v1/rider-reports/${ids.own}`)).json<ReportDetailResponse>();
    expect(r.contactState).toBe('hidden');
    expect(r.contact).toBeNull();
    expect((await get(otherGrid, `/api/v1/rider-reports/${ids.own}`)).statusCode).toBe(403);
    expect((await get(grid, '/api/v1/rider-reports/999999')).statusCode).toBe(404);
  });

  it('serves the stored photo, GPS stripped', async () => {
    const r = await get(viewer, `/api/v1/rider-reports/${ids.own}/photos/1`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('image/jpeg');
    expect(gpsOf(r.rawPayload)).toBeUndefined();
    expect((await get(viewer, `/api/v1/rider-reports/${ids.own}/photos/2`)).statusCode).toBe(404);
  });
});

describe('figures', () => {
  it('count received and valid per month, township and category, credited riders, answer time', async () => {
    const r = (await get(admin, '/api/v1/rider-reports/figures')).json<ReportFiguresResponse>();
    const own = r.rows.find((x) => x.townshipCode === OWN.code && x.category === 'station_fault');
    expect(own).toMatchObject({ received: 1, valid: 1, township: '城关镇', categoryName: '驿站设施故障' });
    expect(own?.medianAnswerS).toBeGreaterThanOrEqual(0);
    expect(r.rows.find((x) => x.category === 'road_damage')).toMatchObject({
      received: 1,
      valid: 0,
      medianAnswerS: null,
    });
    expect(r.rows.find((x) => x.townshipCode === OTHER.code)).toMatchObject({ received: 1, valid: 0 });
    expect(r.riders).toEqual([{ name: '骑手老张', valid: 1 }]);
    const mine = (await get(grid, '/api/v1/rider-reports/figures')).json<ReportFiguresResponse>();
    expect(mine.rows.every((x) => x.townshipCode === OWN.code)).toBe(true);
  });

  it('export as CSV with a BOM, Chinese headers, and never the contact', async () => {
    const r = await get(admin, '/api/v1/rider-reports/figures.csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(r.body.startsWith('\uFEFF月份,镇街代码,镇街,类别')).toBe(true);
    expect(r.body).toContain('骑手老张,1');
    expect(r.body).not.toContain('8765');
    expect(r.body).not.toContain('张师傅');
    const en = await get(admin, '/api/v1/rider-reports/figures.csv?lang=en');
    expect(en.body.startsWith('\uFEFFmonth,township_code')).toBe(true);
  });
});
