/**
 * Response reports (workorders/report.ts), scoped to the townships the reader may see:
 * `GET /api/v1/reports/response?from&to&township` as JSON, and
 * `GET /api/v1/reports/monthly.csv?month=YYYY-MM&township` as CSV for spreadsheets (UTF-8 BOM,
 * RFC 4180, formula-injection guard: org/audit-csv.ts), headers in Chinese (lang=en: English),
 * durations in minutes.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { CSV_BOM, csvCell } from '../../org/audit-csv.js';
import { DEFAULT_TIMEZONE } from '../../alerts/silences.js';
import { ErrorBody, errorBody, parseLang, pickLang, type Lang } from '../../i18n.js';
import { localDate, period, responseReport, type ResponseRowView } from '../../workorders/report.js';
import { MonthlyQuery, ReportQuery, ResponseReport } from './schemas.js';
import { townshipNames } from '../township-access.js';

const DAY = 86_400_000;
const DEFAULT_DAYS = 30;

const CSV_COLUMNS: Record<Lang, string[]> = {
  'zh-CN': [
    '镇街代码',
    '镇街',
    '规则',
    '告警数',
    '已确认',
    '平均确认时长(分钟)',
    '已解除',
    '平均修复时长(分钟)',
    '工单数',
    '超出SLA工单',
    '退回次数',
  ],
  en: [
    'township_code',
    'township',
    'rule',
    'alerts',
    'acknowledged',
    'mtta_minutes',
    'resolved',
    'mttr_minutes',
    'work_orders',
    'sla_breaches',
    'reopened',
  ],
};

const minutes = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 600) / 100);

export function monthlyCsv(rows: readonly ResponseRowView[], lang: Lang): string {
  const lines = [
    CSV_COLUMNS[lang].map(csvCell).join(','),
    ...rows.map((r) =>
      [
        r.townshipCode,
        r.township,
        r.rule,
        r.alerts,
        r.acknowledged,
        minutes(r.mttaMs),
        r.resolved,
        minutes(r.mttrMs),
        r.workOrders,
        r.slaBreaches,
        r.reopened,
      ]
        .map(csvCell)
        .join(','),
    ),
  ];
  return CSV_BOM + lines.map((l) => `${l}\r\n`).join('');
}

const reportRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const timeZone = app.serverOptions.timeZone ?? DEFAULT_TIMEZONE;
  app.get(
    '/api/v1/reports/response',
    {
      schema: { querystring: ReportQuery, response: { 200: ResponseReport, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const now = Date.now();
      const to = req.query.to ?? localDate(now, timeZone);
      const from =
        req.query.from ?? localDate(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY, 'UTC');
      if (from > to)
        return reply
          .code(400)
          .send(errorBody('bad_request', lang, { detail: 'from: 不能晚于 to / must not be after to' }));
      const townships = townshipNames(app, req, reply, 'station:read', req.query.township, lang);
      if (!townships) return reply;
      const rows = await responseReport(app.ops.db, { ...period(from, to, timeZone), townships, now });
      return { from, to, rows };
    },
  );
  app.get(
    '/api/v1/reports/monthly.csv',
    {
      schema: { querystring: MonthlyQuery, response: { '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = parseLang(req.query.lang) ?? 'zh-CN';
      const townships = townshipNames(
        app,
        req,
        reply,
        'station:read',
        req.query.township,
        pickLang(req, app.defaultLang),
      );
      if (!townships) return reply;
      const [y, m] = req.query.month.split('-').map(Number) as [number, number];
      const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
      const rows = await responseReport(app.ops.db, {
        ...period(`${req.query.month}-01`, last, timeZone),
        townships,
        now: Date.now(),
      });
      const name = `yizhan-response-${req.query.month}${req.query.township ? `-${req.query.township}` : ''}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(monthlyCsv(rows, lang) as never);
    },
  );
  done();
};

export default reportRoutes;
