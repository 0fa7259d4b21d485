/**
 * The union's figures of riders' reports (reports/figures.ts), scoped to the townships the reader
 * may see: `GET /api/v1/rider-reports/figures?from&to&township` as JSON and
 * `GET /api/v1/rider-reports/figures.csv` for spreadsheets (UTF-8 BOM, RFC 4180, formula guard:
 * org/audit-csv.ts), headers in Chinese (lang=en: English). Days are the county's local days;
 * the default period is the last 12 months to today. No contact data, ever.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_TIMEZONE } from '../../alerts/silences.js';
import { ErrorBody, errorBody, parseLang, pickLang, type Lang } from '../../i18n.js';
import { CSV_BOM, csvCell } from '../../org/audit-csv.js';
import { reportFigures } from '../../reports/figures.js';
import { localDate, period } from '../../workorders/report.js';
import { townshipNames } from '../township-access.js';
import { FiguresAnswer, FiguresQuery } from './schemas.js';
import type { App } from './common.js';

const DAY = 86_400_000;
const DEFAULT_DAYS = 365;

const CSV_COLUMNS: Record<Lang, string[]> = {
  'zh-CN': ['月份', '镇街代码', '镇街', '类别', '类别名称', '收到', '有效', '答复用时中位数(分钟)'],
  en: [
    'month',
    'township_code',
    'township',
    'category',
    'category_name',
    'received',
    'valid',
    'median_answer_minutes',
  ],
};
const RIDER_COLUMNS: Record<Lang, string[]> = {
  'zh-CN': ['署名骑手', '有效反映'],
  en: ['credited_rider', 'valid_reports'],
};

export function figuresCsv(f: FiguresAnswer, lang: Lang): string {
  const line = (cells: (string | number | null)[]) => cells.map(csvCell).join(',');
  const minutes = (s: number | null) => (s === null ? null : Math.round(s / 0.6) / 100);
  const lines = [
    line(CSV_COLUMNS[lang]),
    ...f.rows.map((r) =>
      line([
        r.month,
        r.townshipCode,
        r.township,
        r.category,
        r.categoryName,
        r.received,
        r.valid,
        minutes(r.medianAnswerS),
      ]),
    ),
    '',
    line(RIDER_COLUMNS[lang]),
    ...f.riders.map((r) => line([r.name, r.valid])),
  ];
  return CSV_BOM + lines.map((l) => `${l}\r\n`).join('');
}

export function figuresRoutes(app: App): void {
  const timeZone = app.serverOptions.timeZone ?? DEFAULT_TIMEZONE;
  const figures = async (
    req: FastifyRequest,
    reply: FastifyReply,
    q: typeof FiguresQuery.static,
    lang: Lang,
  ) => {
    const to = q.to ?? localDate(Date.now(), timeZone);
    const from = q.from ?? localDate(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY, 'UTC');
    if (from > to)
      return void reply
        .code(400)
        .send(
          errorBody('bad_request', lang, { detail: 'querystring/from: 不能晚于 to / must not be after to' }),
        );
    const townships = townshipNames(app, req, reply, 'station:read', q.township, lang);
    if (!townships) return undefined;
    const f = await reportFigures(app.ops.db, { ...period(from, to, timeZone), townships, timeZone, lang });
    return { from, to, ...f };
  };
  app.get(
    '/api/v1/rider-reports/figures',
    {
      schema: { querystring: FiguresQuery, response: { 200: FiguresAnswer, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => (await figures(req, reply, req.query, pickLang(req, app.defaultLang))) ?? reply,
  );
  app.get(
    '/api/v1/rider-reports/figures.csv',
    {
      schema: { querystring: FiguresQuery, response: { '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = parseLang(req.query.lang) ?? 'zh-CN';
      const f = await figures(req, reply, req.query, lang);
      if (!f) return reply;
      const name = `yizhan-rider-reports-${f.from}-${f.to}${req.query.township ? `-${req.query.township}` : ''}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(figuresCsv(f, lang) as never);
    },
  );
}
