/**
 * The riders' report routes (no login), registered inside the riders' plugin so they share its
 * per-address limit, no-store on refusals and request count (routes/riders/index.ts):
 *
 * | route                                          | answer                                         |
 * | ---------------------------------------------- | ---------------------------------------------- |
 * | `GET /api/v1/public/report-categories`         | the categories with names in the request's language |
 * | `POST /api/v1/public/reports`                  | 201 receipt, upload token (30 min), status URL |
 * | `POST /api/v1/public/reports/:receipt/photos`  | 201 `{photo: n}`: raw JPEG/PNG/WebP ≤ 2 MB, metadata stripped unless keepLocation=1 |
 * | `GET /api/v1/public/reports/:receipt`          | status and public history: no contact, no staff names |
 *
 * Abuse: the device and address limits of new reports are taken in `onRequest`, before the body
 * is read; a photo's token, content type and count are checked in `preParsing`, before its bytes
 * are read. Every refusal is counted by reason in yizhan_rider_report_rejects_total and stores
 * nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorBody, pickLang, type Lang } from '../../i18n.js';
import { limiterKey, newUploadToken, normalizeReceipt, showReceipt } from '../../reports/receipt.js';
import { nearestTownship } from '../../reports/township.js';
import { REPORT_BODY_LIMIT, UPLOAD_TOKEN_MS } from '../../reports/limits.js';
import { OPEN_STATUSES } from '../../reports/repo.js';
import {
  CATEGORY_INFO,
  DEVICE_ID_PATTERN,
  NewReportAnswer,
  NewReportBody,
  PublicLangQuery,
  PublicReport,
  RateLimitedBody,
  REPORT_CATEGORIES,
  ReceiptParams,
  ReportCategoriesAnswer,
  type ReportStatus,
} from './schemas.js';
import type { App } from './common.js';
import {
  PUBLIC_REPORTS_URL,
  PUBLIC_REPORT_URL,
  REPORT_CATEGORIES_URL,
  countRejects,
  refuse,
  tooMany,
} from './public-common.js';
import { photoRoute } from './public-photos.js';

export { PUBLIC_REPORT_ROUTES } from './public-common.js';

/** The device and address limits of a new report; false when the 429 is sent. */
function takeReportLimits(app: App, req: FastifyRequest, reply: FastifyReply): boolean {
  const device = req.headers['x-yizhan-device'];
  if (typeof device !== 'string' || !new RegExp(DEVICE_ID_PATTERN).test(device)) {
    void refuse(app, req, reply, 400, 'bad_device', 'bad_device');
    return false;
  }
  const l = app.riderReports.limiters;
  const lang = pickLang(req, app.defaultLang);
  const checks: [typeof l.address, string, Record<Lang, string>][] = [
    [
      l.address,
      limiterKey('a', req.ip),
      { 'zh-CN': '每个地址每小时最多 {n} 条', en: 'at most {n} an hour from one address' },
    ],
    [
      l.deviceHour,
      limiterKey('d', device),
      { 'zh-CN': '每台设备每小时最多 {n} 条', en: 'at most {n} an hour from one device' },
    ],
    [
      l.deviceDay,
      limiterKey('d', device),
      { 'zh-CN': '每台设备每天最多 {n} 条', en: 'at most {n} a day from one device' },
    ],
  ];
  const lim = app.riderReports.limits;
  const ns = [lim.perAddressHour, lim.perDeviceHour, lim.perDeviceDay];
  for (const [i, [bucket, key, what]] of checks.entries()) {
    const t = bucket.take(key);
    if (t.ok) continue;
    tooMany(app, req, reply, t.retryAfterMs, 'too_many_reports', {
      what: what[lang].replace('{n}', String(ns[i])),
    });
    return false;
  }
  return true;
}

function categoriesRoute(app: App): void {
  app.get(
    REPORT_CATEGORIES_URL,
    {
      schema: { querystring: PublicLangQuery, response: { 200: ReportCategoriesAnswer, '4xx': ErrorBody } },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      void reply.header('cache-control', 'public, max-age=300').header('vary', 'accept-language');
      return {
        categories: REPORT_CATEGORIES.map((id) => ({
          id,
          name: CATEGORY_INFO[id][lang],
          kind: CATEGORY_INFO[id].kind,
        })),
      };
    },
  );
}

/** The report's station and township, or the refusal sent. */
function placeOf(app: App, req: FastifyRequest, reply: FastifyReply, b: NewReportBody) {
  const info = CATEGORY_INFO[b.category];
  const lang = pickLang(req, app.defaultLang);
  if (b.stationId !== undefined) {
    const township = app.registry.get(b.stationId) ? app.hierarchy.townshipOf(b.stationId) : undefined;
    if (township === undefined)
      return void refuse(app, req, reply, 400, 'bad_field', 'unknown_station', { id: b.stationId });
    return { stationId: b.stationId, township };
  }
  if (info.kind === 'station')
    return void refuse(app, req, reply, 400, 'bad_field', 'station_needed', { category: info[lang] });
  if (!b.location) return void refuse(app, req, reply, 400, 'bad_field', 'place_needed');
  const township = nearestTownship(
    app.registry.all().map((e) => ({
      id: e.config.id,
      location: e.config.location,
      township: app.hierarchy.townshipOf(e.config.id),
    })),
    b.location,
  );
  if (township === undefined) return void refuse(app, req, reply, 400, 'bad_field', 'no_township');
  return { stationId: null, township };
}

const blankToNull = (s: string | undefined): string | null =>
  s === undefined || s.trim() === '' ? null : s.trim();

function newReportRoute(app: App): void {
  app.post(
    PUBLIC_REPORTS_URL,
    {
      bodyLimit: REPORT_BODY_LIMIT,
      onRequest: async (req, reply) => {
        if (!takeReportLimits(app, req, reply)) return reply;
      },
      schema: {
        body: NewReportBody,
        response: { 201: NewReportAnswer, 429: RateLimitedBody, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const b = req.body;
      const text = b.text.trim();
      if (text === '') return refuse(app, req, reply, 400, 'bad_field', 'blank_text');
      const place = placeOf(app, req, reply, b);
      if (!place) return reply;
      const now = Date.now();
      const { token, hash } = newUploadToken();
      const { receipt } = await app.riderReports.repo.create({
        category: b.category,
        text,
        stationId: place.stationId,
        township: place.township,
        location: b.location ?? null,
        contactName: blankToNull(b.contact?.name),
        contactPhone: blankToNull(b.contact?.phone),
        creditName: blankToNull(b.credit?.name),
        photosDeclared: b.photoCount ?? 0,
        uploadTokenHash: hash,
        uploadUntil: now + UPLOAD_TOKEN_MS,
        at: now,
      });
      app.metrics.riderReports.inc({ category: b.category, outcome: 'received' });
      const shown = showReceipt(receipt);
      void reply.header('cache-control', 'no-store');
      return reply.code(201).send({
        receipt: shown,
        uploadToken: token,
        uploadUntil: now + UPLOAD_TOKEN_MS,
        statusUrl: `${PUBLIC_REPORTS_URL}/${shown}`,
      });
    },
  );
}

function statusRoute(app: App): void {
  app.get(
    PUBLIC_REPORT_URL,
    {
      onRequest: async (req, reply) => {
        const t = app.riderReports.limiters.misses.peek(limiterKey('a', req.ip));
        if (t.ok) return;
        return tooMany(app, req, reply, t.retryAfterMs, 'too_many_misses');
      },
      schema: {
        params: ReceiptParams,
        querystring: PublicLangQuery,
        response: { 200: PublicReport, 429: RateLimitedBody, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const receipt = normalizeReceipt(req.params.receipt);
      const reports = app.riderReports;
      let row = receipt === undefined ? undefined : await reports.repo.byReceipt(receipt);
      if (!row) {
        reports.limiters.misses.take(limiterKey('a', req.ip));
        return refuse(app, req, reply, 404, 'unknown_receipt', 'receipt_not_found', {
          receipt: req.params.receipt,
        });
      }
      // An order changed through another server process: catch up now rather than poll.
      if (row.work_order_id !== null && OPEN_STATUSES.includes(row.status as ReportStatus)) {
        const order = await app.workOrders.repo.row(Number(row.work_order_id));
        if (order) await reports.follow({ id: order.id, state: order.state });
        row = (await reports.repo.row(row.id))!;
      }
      void reply.header('cache-control', 'no-store');
      return reports.repo.publicView(row, lang);
    },
  );
}

/** Registers the public report routes in the riders' plugin (its hooks apply). */
export function publicReportRoutes(app: App): void {
  countRejects(app);
  categoriesRoute(app);
  newReportRoute(app);
  statusRoute(app);
  void app.register((child, _o, done) => {
    photoRoute(child);
    done();
  });
}
