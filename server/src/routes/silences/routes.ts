/**
 * Silences API (alerts/silences.ts):
 *
 * | method, path                    | access                                  | answer                     |
 * | ------------------------------- | --------------------------------------- | -------------------------- |
 * | `GET /api/v1/silences?active=`  | station:read; own townships + county-wide | `{silences}` newest first |
 * | `POST /api/v1/silences`         | alert:write in its township (none: county) | 201 `{silence}`         |
 * | `DELETE /api/v1/silences/:id`   | alert:write in its township (none: county) | `{silence}` (ended)     |
 *
 * A silence's township is its township matcher, else its station's township; one with neither
 * covers the whole county, so only county-wide alert:write may create or end it. Rows are never
 * deleted: DELETE ends the silence (ended_at) and keeps it as history. Each write and its audit
 * entry share one transaction; the in-memory cache the alert path reads is reloaded after it.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { townshipsWith } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { readSilences, type Silence } from '../../alerts/silences.js';
import { ErrorBody, errorBody, errorTable, pickLang, type Lang } from '../../i18n.js';
import { mayWriteScope } from '../township-access.js';
import { NewSilenceBody, SilenceAnswer, SilenceList, SilenceListQuery } from './schemas.js';

/** Longest request body of the write routes; a bigger one is refused with 413 before it is read. */
const BODY_LIMIT = 64 * 1024;

const silenceError = errorTable({
  silence_not_found: { 'zh-CN': '没有编号为 {id} 的静默', en: 'No silence with id {id}' },
  forbidden_county: {
    'zh-CN': '无权限：不限镇街和驿站的静默覆盖全县，需要全县范围的 alert:write',
    en: 'Not allowed: a silence without a township or station covers the whole county and needs county-wide alert:write',
  },
});

type App = Parameters<FastifyPluginCallbackTypebox>[0];

/** The township code the silence concerns; undefined: the whole county. */
function townshipOfSilence(app: App, m: Silence['matchers']): string | undefined {
  return m.township ?? (m.stationId !== undefined ? app.hierarchy.townshipOf(m.stationId) : undefined);
}

/** Whether the principal may write it (county-wide when township is undefined); otherwise the 403 is sent. */
function mayWrite(app: App, req: FastifyRequest, reply: FastifyReply, township: string | undefined): boolean {
  return mayWriteScope(app, req, reply, 'alert:write', township, (lang) => silenceError('forbidden_county', lang));
}

function listRoute(app: App): void {
  app.get(
    '/api/v1/silences',
    {
      schema: { querystring: SilenceListQuery, response: { 200: SilenceList, '4xx': ErrorBody } },
      config: { access: 'station:read' },
    },
    async (req) => {
      const scope = townshipsWith(req.principal!, 'station:read');
      const all = await readSilences(app.ops.db, { active: req.query.active === 'true' });
      return {
        silences: all.filter((s) => {
          const t = townshipOfSilence(app, s.matchers);
          return scope === 'all' || t === undefined || scope.has(t);
        }),
      };
    },
  );
}

/** Why the new silence cannot be stored (a 4xx answer), or its township; undefined: the county. */
function checkNew(app: App, body: typeof NewSilenceBody.static, now: number, lang: Lang) {
  const m = body.matchers;
  if (m.township !== undefined && !app.hierarchy.get(m.township))
    return { status: 404, body: errorBody('township_not_found', lang, { code: m.township }) };
  if (m.stationId !== undefined && !app.registry.get(m.stationId))
    return { status: 404, body: errorBody('station_not_found', lang, { id: m.stationId }) };
  const stationTownship = m.stationId !== undefined ? app.hierarchy.townshipOf(m.stationId) : undefined;
  let detail: string | undefined;
  if (m.township !== undefined && stationTownship !== undefined && stationTownship !== m.township)
    detail = `matchers.stationId: ${m.stationId} 不属于镇街 ${m.township} / is not in township ${m.township}`;
  else if (body.endsAt <= (body.startsAt ?? now))
    detail = 'endsAt: 必须晚于开始时间 / must be after startsAt';
  else if (body.endsAt <= now) detail = 'endsAt: 必须在将来 / must be in the future';
  else if (body.window && body.window.from === body.window.to)
    detail = 'window.to: 不能与 from 相同 / must differ from window.from';
  else if (body.reason.trim() === '') detail = 'reason: 不能为空 / must not be blank';
  if (detail) return { status: 400, body: errorBody('invalid_body', lang, { detail }) };
  return undefined;
}

function createRoute(app: App): void {
  app.post(
    '/api/v1/silences',
    {
      bodyLimit: BODY_LIMIT,
      schema: { body: NewSilenceBody, response: { 201: SilenceAnswer, '4xx': ErrorBody } },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const body = req.body;
      const now = Date.now();
      const problem = checkNew(app, body, now, lang);
      if (problem) return reply.code(problem.status).send(problem.body);
      const township = townshipOfSilence(app, body.matchers);
      if (!mayWrite(app, req, reply, township)) return reply;
      const m = body.matchers;
      const silence = await app.ops.db.transaction().execute(async (trx) => {
        const { id } = await trx
          .insertInto('silences')
          .values({
            station_id: m.stationId ?? null,
            township: m.township ?? null,
            rule: m.rule ?? null,
            severity: m.severity ?? null,
            starts_at: body.startsAt ?? now,
            ends_at: body.endsAt,
            window_json: body.window ? JSON.stringify(body.window) : null,
            reason: body.reason,
            created_by: req.principal?.userId ?? null,
            created_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const target = `silence:${Number(id)}`;
        await recordAudit(
          trx,
          req,
          { action: 'silence.add', target, township: township ?? null, after: body },
          now,
        );
        return Number(id);
      });
      await reloadCache(app);
      const [stored] = await readSilences(app.ops.db, { id: silence });
      return reply.code(201).send({ silence: stored! });
    },
  );
}

function endRoute(app: App): void {
  app.delete(
    '/api/v1/silences/:id',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: SilenceAnswer, '4xx': ErrorBody },
      },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const [before] = await readSilences(app.ops.db, { id: req.params.id });
      if (!before)
        return reply.code(404).send(silenceError('silence_not_found', lang, { id: String(req.params.id) }));
      const township = townshipOfSilence(app, before.matchers);
      if (!mayWrite(app, req, reply, township)) return reply;
      const now = Date.now();
      // Ending one that already ended or expired changes nothing and writes no audit entry.
      if (before.endedAt === null && before.endsAt > now)
        await app.ops.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('silences')
            .set({ ended_at: now, ended_by: req.principal?.userId ?? null })
            .where('id', '=', before.id)
            .execute();
          await recordAudit(
            trx,
            req,
            {
              action: 'silence.end',
              target: `silence:${before.id}`,
              township: township ?? null,
              before: { endedAt: null },
              after: { endedAt: now },
            },
            now,
          );
        });
      await reloadCache(app);
      const [after] = await readSilences(app.ops.db, { id: before.id });
      return { silence: after! };
    },
  );
}

/** The write is committed: a failed reload is logged, not answered as a failed write. */
async function reloadCache(app: App): Promise<void> {
  try {
    await app.silences.refresh();
  } catch (err) {
    app.log.error({ err }, 'silences not reloaded after a change; the alert path uses the previous list');
  }
}

const silenceRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  listRoute(app);
  createRoute(app);
  endRoute(app);
  done();
};

export default silenceRoutes;
