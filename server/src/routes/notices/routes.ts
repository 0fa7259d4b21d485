/**
 * Notices API for the union's staff (notices/, docs/riders.md "Notices"):
 *
 * | method, path                          | access                                        | answer              |
 * | ------------------------------------- | --------------------------------------------- | ------------------- |
 * | `GET /api/v1/notices?state=`          | station:read; own townships' and the county's | `{notices}` newest first |
 * | `POST /api/v1/notices`                | notice:write in its township (county: county-wide) | 201 `{notice}` |
 * | `PATCH /api/v1/notices/:id`           | the same                                      | `{notice}`          |
 * | `POST /api/v1/notices/:id/withdraw`   | the same                                      | `{notice}`          |
 *
 * A notice's township is its own (township scope) or its station's; a county notice needs
 * county-wide notice:write. Rows are never deleted: withdraw takes a notice down and keeps it as
 * history. Each write and its audit entry share one transaction; the board (and through it the
 * screens' SSE stream) is reloaded after it.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { townshipsWith } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, errorBody, errorTable, pickLang, type Lang } from '../../i18n.js';
import { mayWriteScope } from '../township-access.js';
import { insertNotice, readNotices, updateNotice, withdrawNotice, type NoticeContent } from '../../notices/repo.js';
import {
  MAX_NOTICE_LEAD_MS,
  MAX_NOTICE_SPAN_MS,
  NewNoticeBody,
  NoticeAnswer,
  NoticeChangeBody,
  NoticeList,
  NoticeListQuery,
  type Notice,
  type NoticeScope,
} from './schemas.js';

/** Longest request body of the write routes; a bigger one is refused with 413 before it is read. */
const BODY_LIMIT = 16 * 1024;
const DAY_MS = 86_400_000;

const noticeError = errorTable({
  notice_not_found: { 'zh-CN': '没有编号为 {id} 的通知', en: 'No notice with id {id}' },
  notice_closed: {
    'zh-CN': '通知 {id} 已{why}，不能再修改；请发布新的通知',
    en: 'Notice {id} has {why} and cannot be changed; post a new notice',
  },
  forbidden_county: {
    'zh-CN': '无权限：全县通知需要全县范围的 notice:write',
    en: 'Not allowed: a county-wide notice needs county-wide notice:write',
  },
});

type App = Parameters<FastifyPluginCallbackTypebox>[0];
type Problem = { status: number; body: ReturnType<typeof errorBody> };

/** The township code the scope belongs to (undefined: the county), or the 400 naming the unknown one. */
function townshipOfScope(app: App, scope: NoticeScope, lang: Lang): { township?: string } | Problem {
  const bad = (detail: string): Problem => ({ status: 400, body: errorBody('invalid_body', lang, { detail }) });
  if ('stationId' in scope) {
    const t = app.hierarchy.townshipOf(scope.stationId);
    return t === undefined ? bad(`scope.stationId: 没有驿站 / no station "${scope.stationId}"`) : { township: t };
  }
  if ('township' in scope)
    return app.hierarchy.get(scope.township)
      ? { township: scope.township }
      : bad(`scope.township: 没有代码为此的镇街 / no township with code "${scope.township}"`);
  return {};
}

/** What is wrong with the content (the field first), or undefined. */
function contentProblem(c: NoticeContent, now: number): string | undefined {
  if (c.title['zh-CN'].trim() === '') return 'title.zh-CN: 不能为空 / must not be blank';
  if (c.body['zh-CN'].trim() === '') return 'body.zh-CN: 不能为空 / must not be blank';
  if (c.title.en != null && c.title.en.trim() === '') return 'title.en: 不能为空（不要英文请省略）/ must not be blank (omit it)';
  if (c.body.en != null && c.body.en.trim() === '') return 'body.en: 不能为空（不要英文请省略）/ must not be blank (omit it)';
  if (c.endsAt <= c.startsAt) return 'endsAt: 必须晚于开始时间 startsAt / must be after startsAt';
  if (c.endsAt <= now) return 'endsAt: 必须在将来 / must be in the future';
  if (c.endsAt - c.startsAt > MAX_NOTICE_SPAN_MS)
    return `endsAt: 通知最长显示 ${MAX_NOTICE_SPAN_MS / DAY_MS} 天 / a notice shows for at most ${MAX_NOTICE_SPAN_MS / DAY_MS} days`;
  if (c.startsAt > now + MAX_NOTICE_LEAD_MS)
    return `startsAt: 最多提前 ${MAX_NOTICE_LEAD_MS / DAY_MS} 天发布 / at most ${MAX_NOTICE_LEAD_MS / DAY_MS} days ahead`;
  return undefined;
}


/** Whether the principal may write it (county-wide when township is undefined); otherwise the 403 is sent. */
function mayWrite(app: App, req: FastifyRequest, reply: FastifyReply, township: string | undefined): boolean {
  return mayWriteScope(app, req, reply, 'notice:write', township, (lang) => noticeError('forbidden_county', lang));
}

const townshipOfNotice = (app: App, n: Notice): string | undefined =>
  'township' in n.scope
    ? n.scope.township
    : 'stationId' in n.scope
      ? app.hierarchy.townshipOf(n.scope.stationId)
      : undefined;

function listRoute(app: App): void {
  app.get(
    '/api/v1/notices',
    {
      schema: { querystring: NoticeListQuery, response: { 200: NoticeList, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req) => {
      const scope = townshipsWith(req.principal!, 'station:read');
      const all = await readNotices(app.ops.db, { current: req.query.state === 'current' });
      return {
        notices: all.filter((n) => {
          const t = townshipOfNotice(app, n);
          return scope === 'all' || t === undefined || scope.has(t);
        }),
      };
    },
  );
}

function createRoute(app: App): void {
  app.post(
    '/api/v1/notices',
    {
      bodyLimit: BODY_LIMIT,
      schema: { body: NewNoticeBody, response: { 201: NoticeAnswer, '4xx': ErrorBody } },
      config: { access: 'notice:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const body = req.body;
      const now = Date.now();
      const where = townshipOfScope(app, body.scope, lang);
      if ('status' in where) return reply.code(where.status).send(where.body);
      if (!mayWrite(app, req, reply, where.township)) return reply;
      const content: NoticeContent = {
        kind: body.kind,
        severity: body.severity ?? 'info',
        title: body.title,
        body: body.body,
        startsAt: body.startsAt ?? now,
        endsAt: body.endsAt,
      };
      const detail = contentProblem(content, now);
      if (detail) return reply.code(400).send(errorBody('invalid_body', lang, { detail }));
      const by = req.principal?.userId ?? null;
      const id = await app.ops.db.transaction().execute(async (trx) => {
        const id = await insertNotice(trx, body.scope, where.township ?? null, content, by, now);
        await recordAudit(
          trx,
          req,
          { action: 'notice.add', target: `notice:${id}`, township: where.township ?? null, after: body },
          now,
        );
        return id;
      });
      req.log.info({ notice: id, township: where.township ?? 'county' }, 'notice posted');
      await app.notices.changed();
      const [stored] = await readNotices(app.ops.db, { id });
      return reply.code(201).send({ notice: stored! });
    },
  );
}

/** The notice, when it exists, may be written by the principal and is not over; otherwise the answer is sent. */
async function writable(app: App, req: FastifyRequest, reply: FastifyReply, id: number) {
  const lang = pickLang(req, app.defaultLang);
  const [before] = await readNotices(app.ops.db, { id });
  if (!before) {
    void reply.code(404).send(noticeError('notice_not_found', lang, { id: String(id) }));
    return undefined;
  }
  const township = townshipOfNotice(app, before);
  if (!mayWrite(app, req, reply, township)) return undefined;
  return { before, township, lang };
}

function changeRoute(app: App): void {
  app.patch(
    '/api/v1/notices/:id',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: NoticeChangeBody,
        response: { 200: NoticeAnswer, '4xx': ErrorBody },
      },
      config: { access: 'notice:write' },
    },
    async (req, reply) => {
      const ok = await writable(app, req, reply, req.params.id);
      if (!ok) return reply;
      const { before, township, lang } = ok;
      const now = Date.now();
      if (before.withdrawnAt !== null || before.endsAt <= now) {
        const why = before.withdrawnAt !== null ? (lang === 'en' ? 'been withdrawn' : '撤下') : lang === 'en' ? 'ended' : '结束';
        return reply.code(409).send(noticeError('notice_closed', lang, { id: String(before.id), why }));
      }
      const content: NoticeContent = {
        kind: req.body.kind ?? before.kind,
        severity: req.body.severity ?? before.severity,
        title: req.body.title ?? before.title,
        body: req.body.body ?? before.body,
        startsAt: req.body.startsAt ?? before.startsAt,
        endsAt: req.body.endsAt ?? before.endsAt,
      };
      const detail = contentProblem(content, now);
      if (detail) return reply.code(400).send(errorBody('invalid_body', lang, { detail }));
      await app.ops.db.transaction().execute(async (trx) => {
        await updateNotice(trx, before.id, content, now);
        const was = Object.fromEntries(Object.keys(req.body).map((k) => [k, before[k as keyof Notice]]));
        await recordAudit(
          trx,
          req,
          { action: 'notice.change', target: `notice:${before.id}`, township: township ?? null, before: was, after: req.body },
          now,
        );
      });
      await app.notices.changed();
      const [after] = await readNotices(app.ops.db, { id: before.id });
      return { notice: after! };
    },
  );
}

function withdrawRoute(app: App): void {
  app.post(
    '/api/v1/notices/:id/withdraw',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: NoticeAnswer, '4xx': ErrorBody },
      },
      config: { access: 'notice:write' },
    },
    async (req, reply) => {
      const ok = await writable(app, req, reply, req.params.id);
      if (!ok) return reply;
      const { before, township } = ok;
      const now = Date.now();
      // Withdrawing one that is already withdrawn or over changes nothing and writes no audit entry.
      if (before.withdrawnAt === null && before.endsAt > now) {
        await app.ops.db.transaction().execute(async (trx) => {
          await withdrawNotice(trx, before.id, req.principal?.userId ?? null, now);
          await recordAudit(
            trx,
            req,
            {
              action: 'notice.withdraw',
              target: `notice:${before.id}`,
              township: township ?? null,
              before: { withdrawnAt: null },
              after: { withdrawnAt: now },
            },
            now,
          );
        });
        await app.notices.changed();
      }
      const [after] = await readNotices(app.ops.db, { id: before.id });
      return { notice: after! };
    },
  );
}

const noticeRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  listRoute(app);
  createRoute(app);
  changeRoute(app);
  withdrawRoute(app);
  done();
};

export default noticeRoutes;
