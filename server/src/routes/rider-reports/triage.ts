/**
 * The township staff's steps on a rider's report (report:triage in its township), each with its
 * history row (the public status after it and the note the rider reads) and its audit entry in one
 * transaction:
 *
 *   received ── triage valid ──▶ accepted ── (station problem) work order made ──▶ in_progress
 *      │                            │                                  └─ order verified/closed ▶ resolved
 *      │                            └─ (street) assign grid member / forward to department ▶ in_progress
 *      │                                                                    └─ resolve {note} ▶ resolved
 *      └─ triage duplicate / not_valid / outside_remit {reason} ▶ closed with that status
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mayBeAssigned } from '../../alerts/people.js';
import { COUNTY } from '../../auth/roles.js';
import { ErrorBody, pickLang, type Lang } from '../../i18n.js';
import { recordAudit } from '../../org/audit.js';
import { normalizeReceipt } from '../../reports/receipt.js';
import type { ReportRow } from '../../reports/repo.js';
import { dueAt } from '../../workorders/sla.js';
import {
  AssignReportBody,
  CATEGORY_INFO,
  ReportAnswer,
  ReportIdParams,
  ResolveReportBody,
  STATUS_NAMES,
  TriageBody,
  type ReportCategory,
  type ReportStatus,
} from './schemas.js';
import { actor } from '../staff-request.js';
import { reportFor, staffReportError, type App } from './common.js';

const BODY_LIMIT = 16 * 1024;

const DECISION_STATUS: Record<TriageBody['decision'], ReportStatus> = {
  valid: 'accepted',
  duplicate: 'duplicate',
  not_valid: 'not_valid',
  outside_remit: 'outside_remit',
};

const ORDER_NOTE: Record<Lang, string> = {
  'zh-CN': '已派发驿站维修工单',
  en: 'A station repair work order was made',
};

function wrongStatus(app: App, req: FastifyRequest, reply: FastifyReply, row: ReportRow, action: string) {
  const lang = pickLang(req, app.defaultLang);
  return reply.code(409).send(
    staffReportError('wrong_status', lang, {
      id: String(row.id),
      status: STATUS_NAMES[row.status as ReportStatus][lang],
      action,
    }),
  );
}

async function answer(app: App, req: FastifyRequest, id: number) {
  return { report: (await app.riderReports.repo.staffRow(id, pickLang(req, app.defaultLang)))! };
}

/** The receipt the duplicate points to, stored form; or the 400 sent. */
async function duplicateTarget(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  row: ReportRow,
  typed?: string,
) {
  const lang = pickLang(req, app.defaultLang);
  if (typed === undefined) return void reply.code(400).send(staffReportError('duplicate_needed', lang));
  const stored = normalizeReceipt(typed);
  const other = stored === undefined ? undefined : await app.riderReports.repo.byReceipt(stored);
  if (!other || other.id === row.id)
    return void reply.code(400).send(staffReportError('duplicate_unknown', lang, { receipt: typed }));
  return other.receipt;
}

/**
 * The triage step in one transaction: the decision, for a valid station problem its work order
 * and the link, the audit entry. The order's id, null without one, false when not received.
 */
async function applyTriage(
  app: App,
  req: FastifyRequest,
  row: ReportRow,
  t: {
    decision: TriageBody['decision'];
    reason: string;
    duplicateOf: string | null;
    status: ReportStatus;
    station: boolean;
    now: number;
    by: ReturnType<typeof actor>;
  },
): Promise<number | null | false> {
  const { reason, status, station, now, by } = t;
  const b = t;
  const dup = t.duplicateOf;
  const repo = app.riderReports.repo;
  return app.ops.db.transaction().execute(async (trx) => {
    const ok = await repo.step(
      trx,
      row.id,
      ['received'],
      {
        status,
        decision: b.decision,
        reason: reason || null,
        duplicate_of: dup,
        triaged_at: now,
        triaged_by: by?.id ?? null,
        ...(status === 'accepted' ? {} : { closed_at: now }),
        updated_at: now,
      },
      { at: now, kind: 'triaged', note: reason || null, user: by },
    );
    if (!ok) return false;
    let order: number | null = null;
    if (station) {
      const info = CATEGORY_INFO[row.category as ReportCategory];
      order = await app.workOrders.repo.create(trx, {
        alert: null,
        stationId: row.station_id!,
        township: row.township,
        title: `骑手反映：${info['zh-CN']}`,
        description: `${row.text}\n（回执号 ${row.receipt.slice(0, 4)}-${row.receipt.slice(4)}）`,
        severity: 'warning',
        assigneeId: null,
        by,
        at: now,
        dueAt: dueAt(now, 'warning', app.workOrders.options),
      });
      await repo.step(
        trx,
        row.id,
        ['accepted'],
        { status: 'in_progress', work_order_id: order, updated_at: now },
        { at: now, kind: 'work_order', note: ORDER_NOTE['zh-CN'], user: by },
      );
    }
    await recordAudit(
      trx,
      req,
      {
        action: 'rider_report.triage',
        target: `rider_report:${row.id}`,
        township: row.township,
        before: { status: row.status },
        after: { decision: b.decision, reason: reason || null, duplicateOf: dup, workOrderId: order },
      },
      now,
    );
    return order;
  });
}

function triageRoute(app: App): void {
  app.post(
    '/api/v1/rider-reports/:id/triage',
    {
      bodyLimit: BODY_LIMIT,
      schema: { params: ReportIdParams, body: TriageBody, response: { 200: ReportAnswer, '4xx': ErrorBody } },
      config: { access: 'report:triage' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const b = req.body;
      const reason = b.reason?.trim() ?? '';
      if (b.decision !== 'valid' && reason === '')
        return reply.code(400).send(
          staffReportError('reason_needed', lang, {
            decision: STATUS_NAMES[DECISION_STATUS[b.decision]][lang],
          }),
        );
      const row = await reportFor(app, req, reply, req.params.id, 'report:triage');
      if (!row) return reply;
      const dup =
        b.decision === 'duplicate' ? await duplicateTarget(app, req, reply, row, b.duplicateOf) : null;
      if (dup === undefined) return reply;
      const now = Date.now();
      const by = actor(req);
      const status = DECISION_STATUS[b.decision];
      const station = b.decision === 'valid' && row.kind === 'station' && row.station_id !== null;
      const orderId = await applyTriage(app, req, row, {
        ...b,
        reason,
        duplicateOf: dup,
        status,
        station,
        now,
        by,
      });
      if (orderId === false)
        return wrongStatus(app, req, reply, (await app.riderReports.repo.row(row.id))!, 'triage');
      app.metrics.riderReports.inc({ category: row.category, outcome: b.decision });
      if (orderId !== null) {
        const wo = await app.workOrders.repo.get(orderId);
        if (wo) app.workOrders.events.emit('change', wo);
      }
      return answer(app, req, row.id);
    },
  );
}

/** The report if it is a street problem; otherwise 409 is sent. */
function streetOnly(app: App, req: FastifyRequest, reply: FastifyReply, row: ReportRow): boolean {
  if (row.kind === 'street') return true;
  void reply.code(409).send(
    staffReportError('station_report', pickLang(req, app.defaultLang), {
      id: String(row.id),
      order: String(row.work_order_id ?? '-'),
    }),
  );
  return false;
}

function assignRoute(app: App): void {
  app.post(
    '/api/v1/rider-reports/:id/assign',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: ReportIdParams,
        body: AssignReportBody,
        response: { 200: ReportAnswer, '4xx': ErrorBody },
      },
      config: { access: 'report:triage' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const row = await reportFor(app, req, reply, req.params.id, 'report:triage');
      if (!row || !streetOnly(app, req, reply, row)) return reply;
      const b = req.body;
      if ((b.userId === undefined) === (b.department === undefined))
        return reply.code(400).send(staffReportError('one_assignee', lang));
      const toUser = b.userId !== undefined;
      if (b.userId !== undefined && !(await mayBeAssigned(app.ops.db, b.userId, row.township, 'grid_staff')))
        return reply
          .code(400)
          .send(staffReportError('bad_assignee', lang, { user: String(b.userId), township: row.township }));
      const now = Date.now();
      const by = actor(req);
      const note = b.note?.trim() || null;
      const department = b.department?.trim() ?? null;
      const ok = await app.ops.db.transaction().execute(async (trx) => {
        const done = await app.riderReports.repo.step(
          trx,
          row.id,
          ['accepted', 'in_progress'],
          { status: 'in_progress', assignee_id: b.userId ?? null, department, updated_at: now },
          // The rider reads the department's name, never a person's.
          { at: now, kind: toUser ? 'assigned' : 'forwarded', note: department ?? note, user: by },
        );
        if (done)
          await recordAudit(
            trx,
            req,
            {
              action: 'rider_report.assign',
              target: `rider_report:${row.id}`,
              township: row.township,
              before: { status: row.status, assigneeId: row.assignee_id, department: row.department },
              after: { assigneeId: b.userId ?? null, department, note },
            },
            now,
          );
        return done;
      });
      if (!ok) return wrongStatus(app, req, reply, (await app.riderReports.repo.row(row.id))!, 'assign');
      return answer(app, req, row.id);
    },
  );
}

function resolveRoute(app: App): void {
  app.post(
    '/api/v1/rider-reports/:id/resolve',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: ReportIdParams,
        body: ResolveReportBody,
        response: { 200: ReportAnswer, '4xx': ErrorBody },
      },
      config: { access: 'report:triage' },
    },
    async (req, reply) => {
      const row = await reportFor(app, req, reply, req.params.id, 'report:triage');
      if (!row || !streetOnly(app, req, reply, row)) return reply;
      const me = actor(req);
      const manager =
        req.principal?.grants.some(
          (g) =>
            g.role === 'county_admin' ||
            (g.role === 'township_manager' && (g.scope === row.township || g.scope === COUNTY)),
        ) ?? false;
      if (row.assignee_id !== null && row.assignee_id !== me?.id && !manager)
        return reply
          .code(403)
          .send(staffReportError('not_assignee', pickLang(req, app.defaultLang), { id: String(row.id) }));
      const now = Date.now();
      const note = req.body.note.trim();
      const ok = await app.ops.db.transaction().execute(async (trx) => {
        const done = await app.riderReports.repo.step(
          trx,
          row.id,
          ['in_progress'],
          { status: 'resolved', closed_at: now, updated_at: now },
          { at: now, kind: 'resolved', note, user: me },
        );
        if (done)
          await recordAudit(
            trx,
            req,
            {
              action: 'rider_report.resolve',
              target: `rider_report:${row.id}`,
              township: row.township,
              before: { status: row.status },
              after: { status: 'resolved', note },
            },
            now,
          );
        return done;
      });
      if (!ok) return wrongStatus(app, req, reply, (await app.riderReports.repo.row(row.id))!, 'resolve');
      app.metrics.riderReports.inc({ category: row.category, outcome: 'resolved' });
      return answer(app, req, row.id);
    },
  );
}

export function triageRoutes(app: App): void {
  triageRoute(app);
  assignRoute(app);
  resolveRoute(app);
}
