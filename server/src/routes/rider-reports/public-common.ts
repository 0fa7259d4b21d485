/**
 * What the riders' public report routes share: their paths and route names, their error texts, and
 * the refusal helpers that note each refusal's reason for yizhan_rider_report_rejects_total.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorTable, pickLang } from '../../i18n.js';
import type { App } from './common.js';

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
export type ReportErrorCode = Parameters<typeof reportError>[0];

const reasons = new WeakMap<FastifyRequest, string>();

/** Send a refusal and note its reason for the rejects counter. */
export function refuse(
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
export function tooMany(
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
export function countRejects(app: App): void {
  const urls = new Set(PUBLIC_REPORT_ROUTES.map(([u]) => u));
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode < 400 || !urls.has(req.routeOptions.url ?? '')) return;
    const reason = reasons.get(req) ?? REASON_BY_STATUS[reply.statusCode] ?? `http_${reply.statusCode}`;
    app.metrics.riderReportRejects.inc({ reason });
  });
}
