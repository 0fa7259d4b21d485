/**
 * Assigning and closing alerts:
 *
 * | method, path                      | access                      | answer    |
 * | --------------------------------- | --------------------------- | --------- |
 * | `POST /api/v1/alerts/:id/assign`  | alert:write in its township | `{alert}` |
 * | `POST /api/v1/alerts/:id/close`   | alert:write in its township | `{alert}` |
 *
 * assign `{userId}` (null: unassign): the assignee must be enabled and hold alert:write in the
 * alert's township, else 400 `invalid_assignee` saying why. close `{note?}`: only a resolved
 * alert, or a flapping one (a person reviewed it: the engine is told, `app.alerts.review`), else
 * 409 `alert_still_firing`. Each write, its event and its audit entry share one transaction; after
 * the commit the alert goes to the live stream (`alert-changed`).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { assign, close } from '../../alerts/repo-lifecycle.js';
import { assignee } from '../../alerts/people.js';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import { AlertAnswer, AssignBody, CloseBody } from './schemas.js';
import { BODY_LIMIT, alertFor, bodyProblem, lifecycleWrite, params, type App } from './common.js';

/** The body if it fits `schema` (else a 400 is sent and undefined returned). */
function checked<T>(app: App, req: FastifyRequest, reply: FastifyReply, schema: TSchema): T | undefined {
  const problem = bodyProblem(schema, req.body ?? {});
  if (!problem) return (req.body ?? {}) as T;
  void reply.code(400).send(errorBody('invalid_body', pickLang(req, app.defaultLang), { detail: problem }));
  return undefined;
}

function assignRoute(app: App): void {
  app.post(
    '/api/v1/alerts/:id/assign',
    {
      bodyLimit: BODY_LIMIT,
      schema: { params, response: { 200: AlertAnswer, '4xx': ErrorBody } },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const body = checked<{ userId: number | null }>(app, req, reply, AssignBody);
      if (!body) return reply;
      const alert = await alertFor(app, req, reply, req.params.id, 'alert:write');
      if (!alert) return reply;
      let to: { id: number; displayName: string } | null = null;
      if (body.userId !== null) {
        const found = await assignee(app.ops.db, body.userId, alert.townshipCode);
        if ('problem' in found) {
          const p = { id: body.userId, reasonZh: found.problem.zh, reasonEn: found.problem.en };
          return reply.code(400).send(errorBody('invalid_assignee', pickLang(req, app.defaultLang), p));
        }
        to = found.person;
      }
      const by = req.principal?.userId ?? null;
      const updated = await lifecycleWrite(
        app,
        req,
        alert,
        (trx, now) => assign(trx, alert.id, to, by, now),
        () => ({
          action: 'alert.assign',
          before: { assignee: alert.assignee },
          after: { assignee: to },
        }),
      );
      return { alert: updated };
    },
  );
}

function closeRoute(app: App): void {
  app.post(
    '/api/v1/alerts/:id/close',
    {
      bodyLimit: BODY_LIMIT,
      schema: { params, response: { 200: AlertAnswer, '4xx': ErrorBody } },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const body = checked<{ note?: string }>(app, req, reply, CloseBody);
      if (!body) return reply;
      const alert = await alertFor(app, req, reply, req.params.id, 'alert:write');
      if (!alert) return reply;
      if (alert.closed) return { alert };
      const flapping = alert.flapping === true;
      if (alert.status === 'firing' && !flapping)
        return reply
          .code(409)
          .send(errorBody('alert_still_firing', pickLang(req, app.defaultLang), { id: alert.id }));
      const note = body.note?.trim() ? body.note : null;
      const by = req.principal?.userId ?? null;
      const updated = await lifecycleWrite(
        app,
        req,
        alert,
        (trx, now) => close(trx, alert.id, by, note, now),
        () => ({
          action: 'alert.close',
          before: { lifecycle: alert.lifecycle },
          after: { lifecycle: 'closed', note },
        }),
      );
      // A person reviewed the flapping rule: the engine may notify it again (its part, if it has one).
      if (flapping) reviewed(app, alert.fingerprint);
      return { alert: updated };
    },
  );
}

/** The engine's review hook, when the engine offers one. */
function reviewed(app: App, fingerprint: string): void {
  const engine = app.alerts as unknown as { review?: (fingerprint: string) => void };
  engine.review?.(fingerprint);
}

const lifecycleRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  assignRoute(app);
  closeRoute(app);
  done();
};
export default lifecycleRoutes;
