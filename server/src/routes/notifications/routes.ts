/**
 * The notification outbox for administrators (notify/outbox.ts):
 *
 * | method, path                            | access                 | answer                          |
 * | --------------------------------------- | ---------------------- | ------------------------------- |
 * | `GET /api/v1/notifications?state=&channel=&limit=&before=` | user:admin, county | `{notifications, next}` newest first, each with its attempts |
 * | `POST /api/v1/notifications/:id/retry`  | user:admin, county     | `{notification}` back to pending |
 * | `POST /api/v1/notify/reload` (reload.ts) | config:write, county  | `{file, channels}`; 400 with the file's problems, the previous routing stays |
 *
 * Retry takes a `failed` or `dead` item back to `pending`, due now (409 otherwise), audited in the
 * same transaction. Channels are county-wide, so both routes need the permission county-wide.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely, Selectable } from 'kysely';
import { COUNTY } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, errorTable, pickLang } from '../../i18n.js';
import type { Database, OutboxTable } from '../../store/schema.js';
import { NotificationAnswer, NotificationList, NotificationListQuery, type Notification } from './schemas.js';

const BODY_LIMIT = 1024;
/** Attempts shown per item: the newest. */
const MAX_TRIES = 20;

const notificationError = errorTable({
  notification_not_found: { 'zh-CN': '没有编号为 {id} 的通知', en: 'No notification with id {id}' },
  notification_not_retryable: {
    'zh-CN': '通知 {id} 的状态是 {state}，只有 failed 或 dead 的通知可以重试',
    en: 'Notification {id} is {state}; only failed or dead ones can be retried',
  },
});

const ACCESS = { permission: 'user:admin', township: () => COUNTY } as const;

async function view(db: Kysely<Database>, rows: Selectable<OutboxTable>[]): Promise<Notification[]> {
  const ids = rows.map((r) => r.id);
  const tries = ids.length
    ? await db.selectFrom('outbox_attempts').selectAll().where('outbox_id', 'in', ids).orderBy('id').execute()
    : [];
  return rows.map((r) => {
    let title = '';
    try {
      const t = (JSON.parse(r.payload_json) as { title?: unknown }).title;
      if (typeof t === 'string') title = t;
    } catch {
      // A payload that is not JSON (never written so) shows without a title.
    }
    return {
      id: Number(r.id),
      dedupeKey: r.dedupe_key,
      channel: r.channel,
      state: r.state as Notification['state'],
      title,
      attempts: r.attempts,
      createdAt: Number(r.created_at),
      nextAttemptAt: Number(r.next_attempt_at),
      sentAt: r.sent_at === null ? null : Number(r.sent_at),
      lastError: r.last_error,
      tries: tries
        .filter((t) => Number(t.outbox_id) === Number(r.id))
        .slice(-MAX_TRIES)
        .map((t) => ({
          at: Number(t.at),
          ok: t.ok === 1,
          code: t.code,
          detail: t.detail,
          durationMs: t.duration_ms,
        })),
    };
  });
}

const routes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/api/v1/notifications',
    {
      schema: { querystring: NotificationListQuery, response: { 200: NotificationList, '4xx': ErrorBody } },
      config: { access: ACCESS },
    },
    async (req) => {
      const q = req.query;
      let s = app.ops.db.selectFrom('outbox').selectAll();
      if (q.state) s = s.where('state', '=', q.state);
      if (q.channel) s = s.where('channel', '=', q.channel);
      if (q.before) s = s.where('id', '<', q.before);
      const rows = await s
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      return {
        notifications: await view(app.ops.db, page),
        next: rows.length > q.limit ? Number(page.at(-1)!.id) : null,
      };
    },
  );

  app.post(
    '/api/v1/notifications/:id/retry',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: NotificationAnswer, '4xx': ErrorBody },
      },
      config: { access: ACCESS },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const id = req.params.id;
      const now = Date.now();
      const outcome = await app.ops.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
        if (!before) return { status: 404 as const };
        if (before.state !== 'failed' && before.state !== 'dead')
          return { status: 409 as const, state: before.state };
        await trx
          .updateTable('outbox')
          .set({ state: 'pending', next_attempt_at: now, claimed_by: null, claimed_until: null })
          .where('id', '=', id)
          .execute();
        await recordAudit(
          trx,
          req,
          {
            action: 'notification.retry',
            target: `notification:${id}`,
            township: null,
            before: { state: before.state },
            after: { state: 'pending' },
          },
          now,
        );
        return { status: 200 as const };
      });
      if (outcome.status === 404)
        return reply.code(404).send(notificationError('notification_not_found', lang, { id: String(id) }));
      if (outcome.status === 409)
        return reply
          .code(409)
          .send(
            notificationError('notification_not_retryable', lang, { id: String(id), state: outcome.state }),
          );
      const row = await app.ops.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { notification: (await view(app.ops.db, [row]))[0]! };
    },
  );
  done();
};

export default routes;
