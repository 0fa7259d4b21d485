/**
 * The organisation routes:
 *
 * | method, path                 | access                          | answer                                      |
 * | ---------------------------- | ------------------------------- | ------------------------------------------- |
 * | `GET /api/v1/townships`      | station:read                    | the townships the reader sees, with crew    |
 * | `GET /api/v1/fleet`          | station:read (in `?township=`)  | fleet figures per visible township (F1)     |
 * | `GET /api/v1/audit`          | audit:read (in `?township=`)    | audit entries, newest first, keyset pages   |
 * | `GET /api/v1/audit.csv`      | audit:read (in `?township=`)    | the same as CSV for spreadsheets            |
 *
 * Lists are scoped: a township manager sees the townships (and their audit entries) of their
 * grants, a county role all of them. Asking for another township by `?township=` is 403.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { townshipsWith, type Principal } from '../../auth/roles.js';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import { listAudit } from '../../org/audit-query.js';
import { auditCsv } from '../../org/audit-csv.js';
import type { TownshipInfo } from '../../org/hierarchy.js';
import { orgError, refuseUnknownQuery } from './errors.js';
import {
  AuditAnswer,
  AuditCsvQuery,
  AuditQuery,
  FleetAnswer,
  FleetQuery,
  TownshipsAnswer,
  TownshipsQuery,
} from './schemas.js';

type Crew = TownshipsAnswer['townships'][number]['crew'];

/** The townships `p` may read stations of. */
export function visibleTownships(app: FastifyInstance, p: Principal | null): TownshipInfo[] {
  const where = p ? townshipsWith(p, 'station:read') : new Set<string>();
  return app.hierarchy.list().filter((t) => where === 'all' || where.has(t.code));
}

async function crewOf(app: FastifyInstance, codes: string[]): Promise<Map<string, Crew>> {
  const out = new Map<string, Crew>();
  if (codes.length === 0) return out;
  const rows = await app.ops.db
    .selectFrom('role_grants as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .select(['g.scope', 'g.role', 'u.id', 'u.display_name'])
    .where('g.role', 'in', ['crew_lead', 'crew_member'])
    .where('g.scope', 'in', codes)
    .where('u.disabled_at', 'is', null)
    .orderBy('g.role')
    .orderBy('u.display_name')
    .orderBy('u.id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.scope) ?? [];
    list.push({ id: r.id, displayName: r.display_name, role: r.role as Crew[number]['role'] });
    out.set(r.scope, list);
  }
  return out;
}

const queryTownship = (req: FastifyRequest): string | undefined => {
  const t = (req.query as { township?: unknown } | undefined)?.township;
  return typeof t === 'string' ? t : undefined;
};

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const auditRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  /** The page the query asks for, in the reader's scope; undefined after answering 400. */
  const auditPage = async (req: FastifyRequest, reply: FastifyReply, q: Static<typeof AuditQuery>) => {
    if (q.township !== undefined && !app.hierarchy.get(q.township)) {
      await reply
        .code(404)
        .send(errorBody('township_not_found', pickLang(req, app.defaultLang), { code: q.township }));
      return undefined;
    }
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
      await reply.code(400).send(orgError('bad_range', pickLang(req, app.defaultLang)));
      return undefined;
    }
    const scope = req.principal ? townshipsWith(req.principal, 'audit:read') : new Set<string>();
    return listAudit(app.ops.db, { ...q, scope });
  };
  const auditAccess = { access: { permission: 'audit:read' as const, township: queryTownship } };
  app.get(
    '/api/v1/audit',
    {
      schema: { querystring: AuditQuery, response: { 200: AuditAnswer, ...Errors } },
      preValidation: refuseUnknownQuery(app, AuditQuery),
      config: auditAccess,
    },
    async (req, reply) => {
      const page = await auditPage(req, reply, req.query);
      return page ?? reply;
    },
  );
  app.get(
    '/api/v1/audit.csv',
    {
      // No response schema: the 200 body is CSV text (errors are the usual { error } bodies).
      schema: { querystring: AuditCsvQuery },
      preValidation: refuseUnknownQuery(app, AuditCsvQuery),
      config: auditAccess,
    },
    async (req, reply) => {
      const page = await auditPage(req, reply, req.query);
      if (!page) return reply;
      // More entries than the limit: the id to pass as `before` for the rest.
      if (page.next !== null) void reply.header('x-next-before', String(page.next));
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="yizhan-audit-${day}.csv"`)
        .send(auditCsv(page.entries));
    },
  );
  done();
};

const orgRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/api/v1/townships',
    {
      schema: { querystring: TownshipsQuery, response: { 200: TownshipsAnswer, ...Errors } },
      preValidation: refuseUnknownQuery(app, TownshipsQuery),
      config: { access: 'station:read' },
    },
    async (req) => {
      const visible = visibleTownships(app, req.principal);
      const crew = await crewOf(
        app,
        visible.map((t) => t.code),
      );
      return {
        townships: visible.map((t) => ({
          code: t.code,
          nameZh: t.nameZh,
          nameEn: t.nameEn,
          stations: t.stationIds.length,
          crew: crew.get(t.code) ?? [],
        })),
      };
    },
  );

  app.get(
    '/api/v1/fleet',
    {
      schema: { querystring: FleetQuery, response: { 200: FleetAnswer, ...Errors } },
      preValidation: refuseUnknownQuery(app, FleetQuery),
      // A code the hierarchy does not know is "no such thing" for the guard: the handler answers 404.
      config: {
        access: {
          permission: 'station:read',
          township: (req) => {
            const t = queryTownship(req);
            return t !== undefined && app.hierarchy.get(t) ? t : undefined;
          },
        },
      },
    },
    async (req, reply) => {
      const code = req.query.township;
      if (code !== undefined && !app.hierarchy.get(code))
        return reply
          .code(404)
          .send(errorBody('township_not_found', pickLang(req, app.defaultLang), { code }));
      await app.desiredConfigs.open();
      const visible = visibleTownships(app, req.principal).filter(
        (t) => code === undefined || t.code === code,
      );
      const now = Date.now();
      return { generatedAt: now, ...app.fleet.counts(visible, now) };
    },
  );

  void app.register(auditRoutes);
  done();
};
export default orgRoutes;
