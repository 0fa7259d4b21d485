/**
 * Work-orders API (the table in schemas.ts). A work order's township is its station's; every write
 * needs alert:write there, reads need station:read there. Each write, its event row and its audit
 * entry share one transaction; the SSE `work-order` event follows the commit.
 *
 * States: open → in_progress (start) → fixed (claimed by the crew) → verified (by the sensor,
 * workorders/verifier.ts) → closed. One made by hand has no sensor to verify it: fixed → closed by a
 * person. Closing rule: the crew (alert:write) closes a verified order, or a fixed one without an
 * alert; any other open state is closed only by a township manager of its township or a county
 * admin, with a note saying why (e.g. a duplicate, or a fault that needs no visit).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';
import { townshipsWith } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, errorBody, pickLang, type Lang } from '../../i18n.js';
import { dueAt } from '../../workorders/sla.js';
import {
  ACTIVE_STATES,
  ALL_STATES,
  DEFAULT_WORK_ORDER_LIMIT,
  type WorkOrderRow,
} from '../../workorders/repo.js';
import {
  NewWorkOrderBody,
  WorkOrderAnswer,
  WorkOrderDetail,
  WorkOrderEventAnswer,
  WorkOrderList,
  WorkOrderListQuery,
  WorkOrderNoteBody,
} from './schemas.js';
import { AssignBody, CommentBody } from '../alerts/schemas.js';
import {
  BODY_LIMIT,
  announce,
  isManager,
  bodyProblem,
  change,
  idParams,
  mayIn,
  orderFor,
  workOrderError,
  type App,
} from './common.js';
import { mayBeAssigned } from '../../alerts/people.js';
import { actor } from '../staff-request.js';
import { townshipFilterAllowed } from '../township-access.js';
import photoRoutes from './photos.js';
import reportRoutes from './reports.js';

function listRoute(app: App): void {
  app.get(
    '/api/v1/work-orders',
    {
      schema: { querystring: WorkOrderListQuery, response: { 200: WorkOrderList, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const q = req.query;
      const scope = townshipsWith(req.principal!, 'station:read');
      if (!townshipFilterAllowed(app, req, reply, 'station:read', q.township)) return reply;
      if (q.before !== undefined && !/^[0-9]{1,15}$/.test(q.before))
        return reply.code(400).send(
          errorBody('bad_request', lang, {
            detail: 'before: 须为上一页的 next / must be the next of the previous page',
          }),
        );
      const state = q.state ?? 'active';
      const assignee =
        q.assignee === 'me' ? (req.principal?.userId ?? 0) : q.assignee ? Number(q.assignee) : undefined;
      return app.workOrders.repo.list({
        states:
          state === 'all'
            ? 'all'
            : state === 'active'
              ? ACTIVE_STATES
              : ALL_STATES.filter((k) => k === state),
        scope,
        township: q.township,
        station: q.station,
        assignee,
        limit: q.limit ?? DEFAULT_WORK_ORDER_LIMIT,
        before: q.before === undefined ? undefined : Number(q.before),
      });
    },
  );
}

function oneRoute(app: App): void {
  app.get(
    '/api/v1/work-orders/:id',
    {
      schema: { params: idParams, response: { 200: WorkOrderDetail, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const row = await orderFor(app, req, reply, req.params.id, 'station:read');
      if (!row) return reply;
      const repo = app.workOrders.repo;
      const [workOrder, events, photos] = await Promise.all([
        repo.get(row.id),
        repo.events(row.id),
        repo.photos(row.id),
      ]);
      return { workOrder: workOrder!, events, photos };
    },
  );
}

type NewBody = typeof NewWorkOrderBody.static;
interface Draft {
  alert: { id: string; fingerprint: string; rule: string } | null;
  stationId: string;
  township: string;
  title: string;
  severity: 'critical' | 'warning' | 'info';
}

/** What the new order is about, or the answer already sent (404/403/409). */
async function draftOf(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  body: NewBody,
  lang: Lang,
): Promise<Draft | undefined> {
  if ('alertId' in body) {
    const alert = await app.alertRepo.get(body.alertId);
    if (!alert) return void reply.code(404).send(errorBody('alert_not_found', lang, { id: body.alertId }));
    if (!mayIn(app, req, reply, 'alert:write', alert.townshipCode)) return undefined;
    const first = await app.ops.db
      .selectFrom('work_orders')
      .select('id')
      .where('alert_id', '=', alert.id)
      .where('state', '<>', 'closed')
      .executeTakeFirst();
    if (first)
      return void reply
        .code(409)
        .send(workOrderError('work_order_exists', lang, { alert: alert.id, id: String(first.id) }));
    return {
      alert: { id: alert.id, fingerprint: alert.fingerprint, rule: alert.rule },
      stationId: alert.stationId,
      township: alert.townshipCode,
      title: alert.message[lang === 'en' ? 'en' : 'zh-CN'],
      severity: alert.severity,
    };
  }
  const township = app.registry.get(body.stationId) ? app.hierarchy.townshipOf(body.stationId) : undefined;
  if (township === undefined)
    return void reply.code(404).send(errorBody('station_not_found', lang, { id: body.stationId }));
  if (!mayIn(app, req, reply, 'alert:write', township)) return undefined;
  if (body.title.trim() === '')
    return void reply
      .code(400)
      .send(errorBody('invalid_body', lang, { detail: 'title: 不能为空 / must not be blank' }));
  return { alert: null, stationId: body.stationId, township, title: body.title, severity: body.severity };
}

function createRoute(app: App): void {
  app.post(
    '/api/v1/work-orders',
    {
      bodyLimit: BODY_LIMIT,
      schema: { response: { 201: WorkOrderAnswer, '4xx': ErrorBody } },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      // Checked against the branch the body means (from an alert, or by hand), so an error names
      // the field of that branch rather than "alertId is required".
      const raw = req.body;
      const fromAlert = typeof raw === 'object' && raw !== null && 'alertId' in raw;
      const problem = bodyProblem(NewWorkOrderBody.anyOf[fromAlert ? 0 : 1], raw);
      if (problem) return reply.code(400).send(errorBody('invalid_body', lang, { detail: problem }));
      const body = raw as NewBody;
      const d = await draftOf(app, req, reply, body, lang);
      if (!d) return reply;
      if (body.assigneeId !== undefined && !(await mayBeAssigned(app.ops.db, body.assigneeId, d.township)))
        return reply
          .code(400)
          .send(
            workOrderError('bad_assignee', lang, { user: String(body.assigneeId), township: d.township }),
          );
      const now = Date.now();
      const by = actor(req);
      const id = await app.ops.db.transaction().execute(async (trx) => {
        const id = await app.workOrders.repo.create(trx, {
          alert: d.alert,
          stationId: d.stationId,
          township: d.township,
          title: d.title,
          description: body.description ?? '',
          severity: d.severity,
          assigneeId: body.assigneeId ?? null,
          by,
          at: now,
          dueAt: dueAt(now, d.severity, app.workOrders.options),
        });
        await recordAudit(
          trx,
          req,
          { action: 'work_order.create', target: `work_order:${id}`, township: d.township, after: body },
          now,
        );
        return Number(id);
      });
      return reply.code(201).send({ workOrder: await announce(app, id) });
    },
  );
}

type Handler<B> = (req: FastifyRequest, reply: FastifyReply, row: WorkOrderRow, body: B) => Promise<unknown>;

/** POST /api/v1/work-orders/:id/<verb>: the body checked against `schema` (none: `{}`), the order looked up. */
function writeRoute<S extends TSchema>(app: App, verb: string, schema: S, handler: Handler<Static<S>>): void {
  app.post(
    `/api/v1/work-orders/:id/${verb}`,
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: idParams,
        response: { 200: WorkOrderAnswer, 201: WorkOrderEventAnswer, '4xx': ErrorBody },
      },
      config: { access: 'alert:write' },
    },
    async (req, reply): Promise<never> => {
      const body = req.body ?? {};
      const problem = bodyProblem(schema, body);
      if (problem)
        return reply
          .code(400)
          .send(errorBody('invalid_body', pickLang(req, app.defaultLang), { detail: problem })) as never;
      const row = await orderFor(app, req, reply, req.params.id, 'alert:write');
      if (!row) return reply as never;
      return (await handler(req, reply, row, body)) as never;
    },
  );
}

const blank = (s: string | undefined): string | null => (s === undefined || s.trim() === '' ? null : s);

function assignRoute(app: App): void {
  writeRoute(app, 'assign', AssignBody, async (req, reply, row, body) => {
    const lang = pickLang(req, app.defaultLang);
    if (body.userId !== null && !(await mayBeAssigned(app.ops.db, body.userId, row.township)))
      return reply
        .code(400)
        .send(workOrderError('bad_assignee', lang, { user: String(body.userId), township: row.township }));
    const now = Date.now();
    return change(app, req, reply, row, {
      action: 'assign',
      from: ACTIVE_STATES,
      set: { assignee_id: body.userId, updated_at: now },
      event: {
        at: now,
        kind: 'assigned',
        user: actor(req),
        text: body.userId === null ? null : String(body.userId),
      },
    });
  });
}

function stateRoutes(app: App): void {
  writeRoute(app, 'start', WorkOrderNoteBody, async (req, reply, row, body) => {
    const now = Date.now();
    const me = actor(req);
    return change(app, req, reply, row, {
      action: 'start',
      from: ['open'],
      // Starting an unassigned order takes it.
      set: {
        state: 'in_progress',
        updated_at: now,
        ...(row.assignee_id === null && me ? { assignee_id: me.id } : {}),
      },
      event: { at: now, kind: 'started', user: me, text: blank(body.note) },
    });
  });
  writeRoute(app, 'fixed', WorkOrderNoteBody, async (req, reply, row, body) => {
    const now = Date.now();
    const v = await app.workOrders.verifier.claim(row, now);
    return change(app, req, reply, row, {
      action: 'fixed',
      from: ['open', 'in_progress'],
      set: { state: 'fixed', fixed_at: now, verification_json: v && JSON.stringify(v), updated_at: now },
      event: { at: now, kind: 'claimed_fixed', user: actor(req), text: blank(body.note) },
    });
  });
  writeRoute(app, 'close', WorkOrderNoteBody, async (req, reply, row, body) => {
    const now = Date.now();
    const note = blank(body.note);
    const byCrew = row.state === 'verified' || (row.state === 'fixed' && row.fingerprint === null);
    if (!byCrew && row.state !== 'closed' && (note === null || !isManager(req, row.township)))
      return reply.code(403).send(workOrderError('close_needs_manager', pickLang(req, app.defaultLang)));
    return change(app, req, reply, row, {
      action: 'close',
      from: byCrew ? ['verified', 'fixed'] : ACTIVE_STATES.concat('verified'),
      set: { state: 'closed', closed_at: now, updated_at: now },
      event: { at: now, kind: 'closed', user: actor(req), text: note },
    });
  });
}

function commentRoute(app: App): void {
  writeRoute(app, 'comments', CommentBody, async (req, reply, row, body) => {
    const lang = pickLang(req, app.defaultLang);
    if (body.text.trim() === '')
      return reply
        .code(400)
        .send(errorBody('invalid_body', lang, { detail: 'text: 不能为空 / must not be blank' }));
    const now = Date.now();
    const event = await app.ops.db.transaction().execute(async (trx) => {
      const e = await app.workOrders.repo.addEvent(trx, row.id, {
        at: now,
        kind: 'commented',
        user: actor(req),
        text: body.text,
      });
      await recordAudit(
        trx,
        req,
        {
          action: 'work_order.comment',
          target: `work_order:${row.id}`,
          township: row.township,
          after: { text: body.text },
        },
        now,
      );
      return e;
    });
    await announce(app, row.id);
    return reply.code(201).send({ event });
  });
}

const workOrderRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  listRoute(app);
  oneRoute(app);
  createRoute(app);
  assignRoute(app);
  stateRoutes(app);
  commentRoute(app);
  void app.register(photoRoutes);
  void app.register(reportRoutes);
  done();
};

export default workOrderRoutes;
