/**
 * Demand layers and candidate sites (docs/planning.md): list, import (CSV or GeoJSON, validated
 * line by line, rejected as a whole), add one candidate from a map click, delete. Reads need
 * planning:read; writes need planning:write county-wide (layers and candidates are the county's, one
 * set for every township) (+ CSRF for sessions), are audited in the write's transaction, drop the
 * cached answers that depended on what they changed once committed, and imports are rate limited
 * before their body is parsed.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COUNTY } from '../../auth/roles.js';
import { ErrorBody, pickLang } from '../../i18n.js';
import { recordAudit } from '../../org/audit.js';
import {
  CANDIDATE_SPEC,
  DEMAND_SPEC,
  IMPORT_MAX_BYTES,
  countyArea,
  parseImport,
  type Parsed,
} from '../../planning/imports.js';
import { LAYER_KINDS, type LayerKind } from '../../planning/repo.js';
import { Candidate, DemandLayer, ImportRejected, NewCandidate } from '../../planning/coverage-schemas.js';
import {
  OCCUPANCY_LAYER_ID,
  allowExpensive,
  importText,
  occupancyLayer,
  planningError,
  stationsFor,
  type Planning,
} from './coverage-common.js';
import type { App } from './request.js';

const WRITE = { permission: 'planning:write', township: () => COUNTY } as const;

const idParams = Type.Object({ id: Type.Integer({ minimum: 0 }) });
const NoContent = Type.Null({ description: '204: no body' });
const LayerQuery = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Optional(Type.Union(LAYER_KINDS.map((k) => Type.Literal(k)))),
    lang: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const userId = (req: FastifyRequest): number | null => req.principal?.userId ?? null;

/** The rows of an import, or undefined once 400 (bad body or ImportRejected) was sent. */
function rowsOf<T>(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  spec: Parameters<typeof parseImport<T>>[1],
): T[] | undefined {
  const lang = pickLang(req, app.defaultLang);
  const text = importText(req.body);
  if (text === undefined) return void reply.code(400).send(planningError('bad_body', lang));
  const area = countyArea(app.registry.all().map((e) => e.config.location));
  const r: Parsed<T> = parseImport(text, spec, area);
  if (r.ok) return r.rows;
  req.log.info({ problems: r.problems.length, first: r.problems[0] }, 'planning import rejected');
  void reply.code(400).send({
    error: 'import_rejected',
    message:
      lang === 'en'
        ? `Import rejected: ${r.problems.length} problem(s), nothing was saved`
        : `导入被拒绝：共 ${r.problems.length} 处问题，未保存任何数据`,
    problems: r.problems,
  });
  return undefined;
}

function layerRoutes(app: App, p: Planning): void {
  app.get(
    '/api/v1/planning/demand-layers',
    {
      schema: { response: { 200: Type.Array(DemandLayer), '4xx': ErrorBody } },
      config: { access: 'planning:read' },
    },
    async (req, reply) => {
      const stations = stationsFor(app, req, reply);
      if (!stations) return reply;
      return [occupancyLayer(p, stations), ...(await p.repo.layers())];
    },
  );
  app.post(
    '/api/v1/planning/demand-layers',
    {
      bodyLimit: IMPORT_MAX_BYTES,
      schema: {
        querystring: LayerQuery,
        response: { 201: DemandLayer, 400: Type.Union([ImportRejected, ErrorBody]), '4xx': ErrorBody },
      },
      config: { access: WRITE },
    },
    async (req, reply) => {
      if (!allowExpensive(app, p, req, reply)) return reply;
      const rows = rowsOf(app, req, reply, DEMAND_SPEC);
      if (!rows) return reply;
      const kind: LayerKind = req.query.kind ?? 'other';
      const now = Date.now();
      const id = await app.ops.db.transaction().execute(async (trx) => {
        const id = await p.repo.addLayer(trx, { name: req.query.name, kind, rows, by: userId(req), now });
        await recordAudit(
          trx,
          req,
          {
            action: 'planning.layer_add',
            target: `demand_layer:${id}`,
            after: { name: req.query.name, kind, points: rows.length },
          },
          now,
        );
        return id;
      });
      p.cache.layersChanged();
      req.log.info({ layer: id, points: rows.length, kind }, 'demand layer imported');
      return reply.code(201).send((await p.repo.layer(id))!);
    },
  );
  app.delete(
    '/api/v1/planning/demand-layers/:id',
    {
      schema: { params: idParams, response: { 204: NoContent, '4xx': ErrorBody } },
      config: { access: WRITE },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const id = req.params.id;
      if (id === OCCUPANCY_LAYER_ID)
        return reply.code(409).send(planningError('layer_built_in', lang, { id: String(id) }));
      const before = await p.repo.layer(id);
      if (!before) return reply.code(404).send(planningError('layer_not_found', lang, { id: String(id) }));
      await app.ops.db.transaction().execute(async (trx) => {
        await p.repo.deleteLayer(trx, id);
        await recordAudit(trx, req, {
          action: 'planning.layer_delete',
          target: `demand_layer:${id}`,
          before,
        });
      });
      p.cache.layersChanged();
      return reply.code(204).send(null);
    },
  );
}

function candidateRoutes(app: App, p: Planning): void {
  app.get(
    '/api/v1/planning/candidates',
    {
      schema: { response: { 200: Type.Array(Candidate), '4xx': ErrorBody } },
      config: { access: 'planning:read' },
    },
    async () => p.repo.candidates(),
  );
  app.post(
    '/api/v1/planning/candidates',
    {
      schema: { body: NewCandidate, response: { 201: Candidate, '4xx': ErrorBody } },
      config: { access: WRITE },
    },
    async (req, reply) => {
      const b = req.body;
      const now = Date.now();
      const row = { name: b.name.trim(), address: b.address ?? '', lat: b.lat, lon: b.lon };
      if (row.name === '')
        return reply.code(400).send({
          error: {
            code: 'invalid_body',
            message: pickLang(req, app.defaultLang) === 'en' ? 'name: must not be blank' : 'name：不能为空',
          },
        });
      const [id] = await app.ops.db.transaction().execute(async (trx) => {
        const ids = await p.repo.addCandidates(trx, [row], 'map', userId(req), now);
        await recordAudit(
          trx,
          req,
          { action: 'planning.candidate_add', target: `candidate:${ids[0]}`, after: row },
          now,
        );
        return ids;
      });
      p.cache.candidatesChanged();
      return reply.code(201).send((await p.repo.candidates([id!]))[0]!);
    },
  );
}

function candidateImportAndDeleteRoutes(app: App, p: Planning): void {
  app.post(
    '/api/v1/planning/candidates/import',
    {
      bodyLimit: IMPORT_MAX_BYTES,
      schema: {
        response: {
          201: Type.Array(Candidate),
          400: Type.Union([ImportRejected, ErrorBody]),
          '4xx': ErrorBody,
        },
      },
      config: { access: WRITE },
    },
    async (req, reply) => {
      if (!allowExpensive(app, p, req, reply)) return reply;
      const rows = rowsOf(app, req, reply, CANDIDATE_SPEC);
      if (!rows) return reply;
      const now = Date.now();
      const ids = await app.ops.db.transaction().execute(async (trx) => {
        const ids = await p.repo.addCandidates(trx, rows, 'import', userId(req), now);
        await recordAudit(
          trx,
          req,
          {
            action: 'planning.candidate_import',
            target: `candidates:${ids[0]}-${ids.at(-1)}`,
            after: { count: ids.length },
          },
          now,
        );
        return ids;
      });
      p.cache.candidatesChanged();
      req.log.info({ candidates: ids.length }, 'candidate sites imported');
      return reply.code(201).send(await p.repo.candidates(ids));
    },
  );
  app.delete(
    '/api/v1/planning/candidates/:id',
    {
      schema: { params: idParams, response: { 204: NoContent, '4xx': ErrorBody } },
      config: { access: WRITE },
    },
    async (req, reply) => {
      const id = req.params.id;
      const gone = await app.ops.db.transaction().execute(async (trx) => {
        const c = await p.repo.deleteCandidate(trx, id);
        if (c)
          await recordAudit(trx, req, {
            action: 'planning.candidate_delete',
            target: `candidate:${id}`,
            before: c,
          });
        return c;
      });
      if (gone) p.cache.candidatesChanged();
      if (!gone)
        return reply
          .code(404)
          .send(planningError('candidate_not_found', pickLang(req, app.defaultLang), { id: String(id) }));
      return reply.code(204).send(null);
    },
  );
}

export function dataRoutes(app: App, p: Planning): void {
  layerRoutes(app, p);
  candidateRoutes(app, p);
  candidateImportAndDeleteRoutes(app, p);
}
