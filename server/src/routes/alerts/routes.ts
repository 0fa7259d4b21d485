/**
 * Alerts API, read from the operations store (alerts/repo.ts):
 *
 * | method, path                        | access                         | answer                         |
 * | ----------------------------------- | ------------------------------ | ------------------------------ |
 * | `GET /api/v1/alerts`                | station:read, scoped           | `{alerts, next}` newest first  |
 * | `GET /api/v1/alerts/:id`            | station:read in its township   | `{alert, events}`              |
 * | `POST /api/v1/alerts/:id/ack`       | alert:write in its township    | `{alert}`                      |
 * | `POST /api/v1/alerts/:id/unack`     | alert:write in its township    | `{alert}`                      |
 * | `POST /api/v1/alerts/:id/comments`  | alert:write in its township    | 201 `{event}`                  |
 * | `POST /api/v1/alerts/:id/assign`    | alert:write in its township    | `{alert}` (lifecycle.ts)       |
 * | `POST /api/v1/alerts/:id/close`     | alert:write in its township    | `{alert}` (lifecycle.ts)       |
 * | `GET /api/v1/people?township=`      | station:read in that township  | `{people}` (people.ts)         |
 *
 * The list filters by `state`, `station`, `township`, `rule`, `acked` and `assignee` (`me` or a
 * user id). Outage incidents (no station) of the whole county (township `*`) are only listed and
 * readable for county-scoped readers; a township's incident for that township's readers. After
 * every lifecycle write the alert goes to the live stream as `alert-changed` (routes/events.ts).
 *
 * The alert's township is only known once it is read, so the township check is made here with
 * can() rather than by the route's access. A write, its alert_events row and its audit entry share
 * one transaction. Bodies are checked here, not by fastify's ajv (which would strip unknown fields
 * silently): an unknown field is a 400 naming it, and nothing is written.
 */
import { resumeEscalation } from '../../notify/escalation-store.js';
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { townshipsWith } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { UnknownCursorError, type StoredAlert } from '../../alerts/repo.js';
import { BODY_LIMIT, alertFor, bodyProblem, lifecycleWrite, params, type App } from './common.js';
import { actor } from '../staff-request.js';
import { townshipFilterAllowed } from '../township-access.js';
import lifecycleRoutes from './lifecycle.js';
import peopleRoutes from './people.js';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import {
  AlertAnswer,
  AlertList,
  AlertListQuery,
  AlertWithEvents,
  CommentAnswer,
  CommentBody,
  EmptyBody,
} from './schemas.js';

function listRoute(app: App): void {
  app.get(
    '/api/v1/alerts',
    {
      schema: { querystring: AlertListQuery, response: { 200: AlertList, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const q = req.query;
      const scope = townshipsWith(req.principal!, 'station:read');
      if (!townshipFilterAllowed(app, req, reply, 'station:read', q.township)) return reply;
      try {
        return await app.alertRepo.list({
          state: q.state,
          station: q.station,
          township: q.township,
          rule: q.rule,
          acked: q.acked === undefined ? undefined : q.acked === 'true',
          // `me` without a user behind the login (the legacy token) matches nobody.
          assignee:
            q.assignee === undefined
              ? undefined
              : q.assignee === 'me'
                ? (req.principal?.userId ?? -1)
                : Number(q.assignee),
          scope,
          limit: q.limit,
          before: q.before,
        });
      } catch (e) {
        if (e instanceof UnknownCursorError)
          return reply.code(400).send(errorBody('bad_cursor', lang, { id: e.message }));
        throw e;
      }
    },
  );
}

function oneRoute(app: App): void {
  app.get(
    '/api/v1/alerts/:id',
    {
      schema: { params, response: { 200: AlertWithEvents, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req, reply) => {
      const alert = await alertFor(app, req, reply, req.params.id, 'station:read');
      if (!alert) return reply;
      return { alert, events: await app.alertRepo.events(alert.id) };
    },
  );
}

function ackRoutes(app: App): void {
  const ackRoute = (verb: 'ack' | 'unack') =>
    app.post(
      `/api/v1/alerts/:id/${verb}`,
      {
        bodyLimit: BODY_LIMIT,
        schema: { params, response: { 200: AlertAnswer, '4xx': ErrorBody } },
        config: { access: 'alert:write' },
      },
      async (req, reply) => {
        const problem = bodyProblem(EmptyBody, req.body ?? {});
        if (problem)
          return reply
            .code(400)
            .send(errorBody('invalid_body', pickLang(req, app.defaultLang), { detail: problem }));
        const alert = await alertFor(app, req, reply, req.params.id, 'alert:write');
        if (!alert) return reply;
        return { alert: await setAck(app, req, alert, verb) };
      },
    );
  ackRoute('ack');
  ackRoute('unack');
}

function commentRoute(app: App): void {
  app.post(
    '/api/v1/alerts/:id/comments',
    {
      bodyLimit: BODY_LIMIT,
      schema: { params, response: { 201: CommentAnswer, '4xx': ErrorBody } },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const body = req.body;
      let problem = bodyProblem(CommentBody, body);
      const text = (body as { text?: unknown } | undefined)?.text;
      if (!problem && typeof text === 'string' && text.trim() === '')
        problem = 'text: 不能为空 / must not be blank';
      if (problem || typeof text !== 'string')
        return reply.code(400).send(errorBody('invalid_body', lang, { detail: problem ?? 'text' }));
      const alert = await alertFor(app, req, reply, req.params.id, 'alert:write');
      if (!alert) return reply;
      const now = Date.now();
      const userId = req.principal?.userId ?? null;
      await app.ops.db.transaction().execute(async (trx) => {
        await app.alertRepo.comment(trx, alert.id, userId, text, now);
        await recordAudit(
          trx,
          req,
          {
            action: 'alert.comment',
            target: `alert:${alert.id}`,
            township: alert.townshipCode,
            after: { text },
          },
          now,
        );
      });
      const after = await app.alertRepo.get(alert.id);
      if (after) app.alertRepo.changed(after);
      return reply.code(201).send({ event: { at: now, kind: 'commented' as const, user: actor(req), text } });
    },
  );
}

const alertRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  listRoute(app);
  oneRoute(app);
  ackRoutes(app);
  commentRoute(app);
  void app.register(lifecycleRoutes);
  void app.register(peopleRoutes);
  done();
};

/** Acknowledge or withdraw it, with its event and audit entry in one transaction; the alert after. */
function setAck(
  app: App,
  req: FastifyRequest,
  alert: StoredAlert,
  verb: 'ack' | 'unack',
): Promise<StoredAlert> {
  const userId = req.principal?.userId ?? null;
  const write = async (trx: Transaction<Database>, now: number) => {
    const changed =
      verb === 'ack'
        ? await app.alertRepo.ack(trx, alert.id, userId, now)
        : await app.alertRepo.unack(trx, alert.id, userId, now);
    // Nobody owns a firing alert any more: its reminders and escalation resume.
    if (changed && verb === 'unack' && alert.lifecycle === 'acknowledged' && app.hasDecorator('notifyConfig'))
      await resumeEscalation(trx, alert, alert.townshipCode, app.notifyConfig, now);
    // The first acknowledgement's delay (yizhan_alert_ack_seconds; apps built without work orders have none).
    if (changed && verb === 'ack' && !alert.acknowledged && app.hasDecorator('workOrders'))
      app.workOrders.metrics.ackSeconds.observe(
        { township: alert.townshipCode, rule: alert.rule },
        Math.max(0, now - Date.parse(alert.startsAt)) / 1000,
      );
    return changed;
  };
  return lifecycleWrite(app, req, alert, write, (now) => ({
    action: `alert.${verb}`,
    before: { acknowledged: alert.acknowledged },
    after: { acknowledged: verb === 'ack' ? { at: now, by: userId } : null },
  }));
}

export default alertRoutes;
