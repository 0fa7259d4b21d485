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
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorTable, pickLang, type Lang } from '../../i18n.js';
import { ErrorBody } from '../../i18n.js';
import {
  limiterKey,
  newUploadToken,
  normalizeReceipt,
  showReceipt,
  tokenMatches,
} from '../../reports/receipt.js';
import { nearestTownship } from '../../reports/township.js';
import { MAX_PHOTO_SIDE, REPORT_BODY_LIMIT, UPLOAD_TOKEN_MS } from '../../reports/limits.js';
import { BadImageError, readImage, sniffImage } from '../../reports/image.js';
import { OPEN_STATUSES } from '../../reports/repo.js';
import { MAX_PHOTO_BYTES } from '../work-orders/photos.js';
import {
  CATEGORY_INFO,
  DEVICE_ID_PATTERN,
  MAX_REPORT_PHOTOS,
  NewReportAnswer,
  NewReportBody,
  PhotoUploadAnswer,
  PhotoUploadQuery,
  PublicLangQuery,
  PublicReport,
  RateLimitedBody,
  REPORT_CATEGORIES,
  REPORT_PHOTO_TYPES,
  ReceiptParams,
  ReportCategoriesAnswer,
  type ReportStatus,
} from './schemas.js';

export const REPORT_CATEGORIES_URL = '/api/v1/public/report-categories';
export const PUBLIC_REPORTS_URL = '/api/v1/public/reports';
export const PUBLIC_REPORT_URL = '/api/v1/public/reports/:receipt';
export const PUBLIC_REPORT_PHOTOS_URL = '/api/v1/public/reports/:receipt/photos';
/** Route names in yizhan_rider_requests_total. */
export const PUBLIC_REPORT_ROUTES: [string, string][] = [
  [REPORT_CATEGORIES_URL, 'report_categories'],
  [PUBLIC_REPORTS_URL, 'reports'],
  [PUBLIC_REPORT_URL, 'report_status'],
  [PUBLIC_REPORT_PHOTOS_URL, 'report_photos'],
];

export const reportError = errorTable({
  bad_device: {
    'zh-CN': 'headers/x-yizhan-device：须为页面保存的 16–64 位设备编号（字母、数字、_ -）',
    en: "headers/x-yizhan-device: must be the page's device id, 16–64 characters of A–Z a–z 0–9 _ -",
  },
  too_many_reports: {
    'zh-CN': '提交过于频繁（{what}），请 {seconds} 秒后再试',
    en: 'Too many reports ({what}); try again in {seconds} s',
  },
  blank_text: { 'zh-CN': 'body/text：不能为空', en: 'body/text: must not be blank' },
  station_needed: {
    'zh-CN': 'body/stationId：“{category}”须指明是哪个驿站',
    en: 'body/stationId: a "{category}" report needs the station',
  },
  place_needed: {
    'zh-CN': 'body/location：街面问题须给出位置（location）或驿站（stationId）',
    en: 'body/location: a street problem needs a location or a stationId',
  },
  unknown_station: {
    'zh-CN': 'body/stationId：没有编号为 "{id}" 的驿站',
    en: 'body/stationId: no station with id "{id}"',
  },
  no_township: {
    'zh-CN': 'body/location：附近没有驿站所属的镇街，无法受理',
    en: 'body/location: no township with stations near this place',
  },
  receipt_not_found: {
    'zh-CN': 'params/receipt：没有回执号为 {receipt} 的反映',
    en: 'params/receipt: no report with receipt {receipt}',
  },
  too_many_misses: {
    'zh-CN': '查询了过多不存在的回执号，请 {seconds} 秒后再试',
    en: 'Too many unknown receipts asked for; try again in {seconds} s',
  },
  bad_token: {
    'zh-CN': 'headers/authorization：上传凭证无效或已过期（提交后 30 分钟内有效）',
    en: 'headers/authorization: the upload token is wrong or expired (valid 30 minutes after sending)',
  },
  not_image: {
    'zh-CN': '照片须为 JPEG、PNG 或 WebP（Content-Type 为 {type}，或文件头不符）',
    en: 'The photo must be a JPEG, PNG or WebP (Content-Type is {type}, or its magic bytes differ)',
  },
  bad_image: { 'zh-CN': '照片文件已损坏，无法读取', en: 'The photo file is damaged and cannot be read' },
  image_too_big: {
    'zh-CN': '照片尺寸 {w}×{h} 过大：最长边不能超过 {max} 像素，请缩小后再上传',
    en: 'The photo is {w}×{h}: its longer side may be at most {max} px; resize it and upload again',
  },
  too_many_photos: {
    'zh-CN': '每条反映最多 {max} 张照片',
    en: 'A report takes at most {max} photos',
  },
});
type ReportErrorCode = Parameters<typeof reportError>[0];

type App = Parameters<FastifyPluginCallbackTypebox>[0];
const reasons = new WeakMap<FastifyRequest, string>();

/** Send a refusal and note its reason for the rejects counter. */
function refuse(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  reason: string,
  code: ReportErrorCode,
  params: Record<string, string> = {},
) {
  reasons.set(req, reason);
  return reply.code(status).send(reportError(code, pickLang(req, app.defaultLang), params));
}

/** 429 with Retry-After and `retryAfterS`, counted as rate_limited. */
function tooMany(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  retryAfterMs: number,
  code: ReportErrorCode,
  params: Record<string, string> = {},
) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  reasons.set(req, 'rate_limited');
  const body = reportError(code, pickLang(req, app.defaultLang), { ...params, seconds: String(seconds) });
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send({ ...body, retryAfterS: seconds });
}

const REASON_BY_STATUS: Record<number, string> = {
  400: 'bad_field',
  413: 'too_large',
  415: 'not_image',
  429: 'rate_limited',
};

/** Count refusals of the report routes by reason (those the framework sent, by status). */
function countRejects(app: App): void {
  const urls = new Set(PUBLIC_REPORT_ROUTES.map(([u]) => u));
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode < 400 || !urls.has(req.routeOptions.url ?? '')) return;
    const reason = reasons.get(req) ?? REASON_BY_STATUS[reply.statusCode] ?? `http_${reply.statusCode}`;
    app.metrics.riderReportRejects.inc({ reason });
  });
}

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

/** The upload's receipt, token, type and count, checked before its bytes are read. */
async function checkUpload(app: App, req: FastifyRequest, reply: FastifyReply) {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(REPORT_PHOTO_TYPES as readonly string[]).includes(type))
    return refuse(app, req, reply, 415, 'not_image', 'not_image', { type: type || '(none)' });
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  const { receipt } = req.params as { receipt: string };
  const stored = normalizeReceipt(receipt);
  const row =
    stored === undefined || token === '' ? undefined : await app.riderReports.repo.byReceipt(stored);
  if (!row || !tokenMatches(token, row.upload_token_hash) || Date.now() > Number(row.upload_until))
    return refuse(app, req, reply, 401, 'bad_token', 'bad_token');
  if ((await app.riderReports.repo.photoCount(row.id)) >= MAX_REPORT_PHOTOS)
    return refuse(app, req, reply, 409, 'too_many_photos', 'too_many_photos', {
      max: String(MAX_REPORT_PHOTOS),
    });
  (req as FastifyRequest & { report?: typeof row }).report = row;
  return undefined;
}

function photoRoute(app: App): void {
  // Encapsulated (registered as its own plugin): image bodies only, as a Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    [...REPORT_PHOTO_TYPES],
    { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES },
    (_r, body, next) => next(null, body),
  );
  app.post(
    PUBLIC_REPORT_PHOTOS_URL,
    {
      bodyLimit: MAX_PHOTO_BYTES,
      preParsing: async (req, reply, payload) => {
        await checkUpload(app, req, reply);
        return payload;
      },
      schema: {
        params: ReceiptParams,
        querystring: PhotoUploadQuery,
        response: { 201: PhotoUploadAnswer, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const row = (req as FastifyRequest & { report?: { id: number; category: string } }).report!;
      const body = req.body as Buffer;
      const type = sniffImage(body);
      const declared = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === undefined || type !== declared)
        return refuse(app, req, reply, 415, 'not_image', 'not_image', { type: declared });
      const keep = req.query.keepLocation === '1';
      let image;
      try {
        image = readImage(body, type, keep);
      } catch (e) {
        if (e instanceof BadImageError) return refuse(app, req, reply, 415, 'bad_image', 'bad_image');
        throw e;
      }
      const { width: w, height: h } = image.info;
      if (Math.max(w, h) > MAX_PHOTO_SIDE)
        return refuse(app, req, reply, 422, 'too_big_image', 'image_too_big', {
          w: String(w),
          h: String(h),
          max: String(MAX_PHOTO_SIDE),
        });
      const n = await app.riderReports.repo.addPhoto(
        row.id,
        { at: Date.now(), contentType: type, data: image.data, keptLocation: keep },
        MAX_REPORT_PHOTOS,
      );
      if (n === undefined)
        return refuse(app, req, reply, 409, 'too_many_photos', 'too_many_photos', {
          max: String(MAX_REPORT_PHOTOS),
        });
      app.metrics.riderReportPhotos.inc({ metadata: keep ? 'kept' : 'stripped' });
      return reply.code(201).send({ photo: n });
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
