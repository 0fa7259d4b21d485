/**
 * The staff's rider-report API (session + CSRF, or an API token, like every staff route):
 *
 * | route                                         | access                         | answer |
 * | --------------------------------------------- | ------------------------------ | ------ |
 * | `GET /api/v1/rider-reports`                   | station:read (its townships)   | `{reports, next}`, newest first; never contact data |
 * | `GET /api/v1/rider-reports/:id`               | station:read in its township   | `{report, contact, contactState, creditName, history, photos}`: the contact only for report:triage there, each view audited |
 * | `GET /api/v1/rider-reports/:id/photos/:n`     | station:read in its township   | the image |
 * | `POST /api/v1/rider-reports/:id/triage`       | report:triage in its township  | triage.ts |
 * | `POST /api/v1/rider-reports/:id/assign`       | report:triage                  | triage.ts |
 * | `POST /api/v1/rider-reports/:id/resolve`      | report:triage                  | triage.ts |
 * | `GET /api/v1/rider-reports/figures(.csv)`     | station:read (its townships)   | figures.ts |
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { can, townshipsWith } from '../../auth/roles.js';
import { DEFAULT_TIMEZONE } from '../../alerts/silences.js';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import { recordAudit } from '../../org/audit.js';
import { OPEN_STATUSES } from '../../reports/repo.js';
import { period } from '../../workorders/report.js';
import { sendPhoto } from '../staff-request.js';
import { townshipFilterAllowed } from '../township-access.js';
import {
  PublicLangQuery,
  ReportDetail,
  ReportIdParams,
  ReportList,
  ReportListQuery,
  ReportPhotoParams,
  STATUS_NAMES,
  type ReportStatus,
} from './schemas.js';
import { reportFor, staffReportError, type App } from './common.js';
import { triageRoutes } from './triage.js';
import { figuresRoutes } from './figures.js';

const DEFAULT_LIMIT = 50;

function listRoute(app: App): void {
  const timeZone = app.serverOptions.timeZone ?? DEFAULT_TIMEZONE;
  app.get(
    '/api/v1/rider-reports',
    {
      schema: { querystring: ReportListQuery, response: { 200: ReportList, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const q = req.query;
      if (!townshipFilterAllowed(app, req, reply, 'station:read', q.township)) return reply;
      if (q.before !== undefined && !/^[0-9]{1,15}$/.test(q.before))
        return reply.code(400).send(
          errorBody('bad_request', lang, {
            detail: 'querystring/before: 须为上一页的 next / must be the next of the previous page',
          }),
        );
      const scope = townshipsWith(req.principal!, 'station:read');
      const repo = app.riderReports.repo;
      let sel = repo.select();
      const status = q.status ?? 'open';
      if (status === 'open') sel = sel.where('r.status', 'in', [...OPEN_STATUSES]);
      else if (status !== 'all') sel = sel.where('r.status', '=', status);
      if (scope !== 'all') sel = sel.where('r.township', 'in', scope.size ? [...scope] : ['']);
      if (q.township !== undefined) sel = sel.where('r.township', '=', q.township);
      if (q.station !== undefined) sel = sel.where('r.station_id', '=', q.station);
      if (q.category !== undefined) sel = sel.where('r.category', '=', q.category);
      if (q.from !== undefined)
        sel = sel.where('r.created_at', '>=', period(q.from, q.from, timeZone).startMs);
      if (q.to !== undefined) sel = sel.where('r.created_at', '<', period(q.to, q.to, timeZone).endMs);
      if (q.before !== undefined) sel = sel.where('r.id', '<', Number(q.before));
      const limit = q.limit ?? DEFAULT_LIMIT;
      const rows = await sel
        .orderBy('r.id', 'desc')
        .limit(limit + 1)
        .execute();
      const reports = rows
        .slice(0, limit)
        .map((r) => repo.staffView({ ...r, photos: Number(r.photos ?? 0) }, lang));
      return { reports, next: rows.length > limit ? String(reports[reports.length - 1]!.id) : null };
    },
  );
}

function detailRoute(app: App): void {
  app.get(
    '/api/v1/rider-reports/:id',
    {
      schema: {
        params: ReportIdParams,
        querystring: PublicLangQuery,
        response: { 200: ReportDetail, '4xx': ErrorBody },
      },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const row = await reportFor(app, req, reply, req.params.id, 'station:read');
      if (!row) return reply;
      const repo = app.riderReports.repo;
      // A work order changed through another server process: catch up before answering.
      if (row.work_order_id !== null && OPEN_STATUSES.includes(row.status as ReportStatus)) {
        const order = await app.workOrders.repo.row(Number(row.work_order_id));
        if (order) await app.riderReports.follow({ id: order.id, state: order.state });
      }
      const [report, events, photos] = await Promise.all([
        repo.staffRow(row.id, lang),
        repo.events(row.id),
        repo.photos(row.id),
      ]);
      const left = row.contact_name !== null || row.contact_phone !== null;
      const handler = can(req.principal!, 'report:triage', row.township);
      const contactState: 'shown' | 'none' | 'deleted' | 'hidden' = !left
        ? row.contact_deleted_at !== null
          ? 'deleted'
          : 'none'
        : handler
          ? 'shown'
          : 'hidden';
      if (contactState === 'shown')
        await recordAudit(app.ops.db, req, {
          action: 'rider_report.contact_view',
          target: `rider_report:${row.id}`,
          township: row.township,
        });
      return {
        report: report!,
        contact: contactState === 'shown' ? { name: row.contact_name, phone: row.contact_phone } : null,
        contactState,
        creditName: row.credit_name,
        history: events.map((e) => ({
          at: e.at,
          kind: e.kind,
          status: e.status,
          statusName: STATUS_NAMES[e.status][lang],
          note: e.note,
          by: e.user,
        })),
        photos: photos.map((p) => ({ ...p, url: `/api/v1/rider-reports/${row.id}/photos/${p.n}` })),
      };
    },
  );
}

function photoRoute(app: App): void {
  app.get(
    '/api/v1/rider-reports/:id/photos/:n',
    {
      schema: { params: ReportPhotoParams, response: { '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const row = await reportFor(app, req, reply, req.params.id, 'station:read');
      if (!row) return reply;
      const photo = await app.riderReports.repo.photo(row.id, req.params.n);
      if (!photo)
        return reply.code(404).send(
          staffReportError('photo_not_found', pickLang(req, app.defaultLang), {
            id: String(row.id),
            n: String(req.params.n),
          }),
        );
      return sendPhoto(reply, photo);
    },
  );
}

const riderReportRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  listRoute(app);
  figuresRoutes(app);
  detailRoute(app);
  photoRoute(app);
  triageRoutes(app);
  done();
};
export default riderReportRoutes;
