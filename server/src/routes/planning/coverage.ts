/**
 * Planning routes (coverage and candidate sites) under /api/v1/planning. See docs/planning.md,
 * "Coverage and candidate sites".
 *
 *   GET    /api/v1/planning/coverage             cells, travel minutes, demand (?format=json|csv|geojson)
 *   GET    /api/v1/planning/demand-layers        built-in occupancy layer + imported layers
 *   POST   /api/v1/planning/demand-layers        import (?name=&kind=), CSV or GeoJSON body
 *   DELETE /api/v1/planning/demand-layers/:id
 *   GET    /api/v1/planning/candidates
 *   POST   /api/v1/planning/candidates           one site (a map click), NewCandidate
 *   POST   /api/v1/planning/candidates/import    CSV or GeoJSON body
 *   DELETE /api/v1/planning/candidates/:id
 *   POST   /api/v1/planning/solve                ranking and best k (SolveRequest)
 *   GET    /api/v1/planning/export/:file         stations|coverage|candidates .csv|.geojson
 *
 * Coverage and the stations export show the stations of the townships the reader holds planning:read
 * in. Demand layers and candidates are county-wide planning data, and a candidate's added demand
 * (solve, the candidates export) is measured against every station of the county.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ErrorBody, pickLang } from '../../i18n.js';
import { IMPORT_MAX_BYTES } from '../../planning/imports.js';
import { coverageCsv, coverageGeoJson, pointsGeoJson, toCsv } from '../../planning/formats.js';
import {
  CoverageAnswer,
  CoverageQuery,
  SolveAnswer,
  SolveRequest,
  TRAVEL_MODES,
  type TravelMode,
} from '../../planning/coverage-schemas.js';
import {
  allowExpensive,
  coverageFor,
  everyStation,
  planningContext,
  planningError,
  solveFor,
  stationsFor,
  type Planning,
} from './coverage-common.js';
import { dataRoutes } from './coverage-data.js';
import { LangQuery, answerAs, sendFile, type App, type FileFormat } from './request.js';

const DEFAULT_K = 3;

/** The coverage answer as a file, by format. */
const COVERAGE_FILES: Record<FileFormat, (a: CoverageAnswer) => string> = {
  csv: (a) => coverageCsv(a.cells),
  geojson: (a) => JSON.stringify(coverageGeoJson(a.cells, a.travel.thresholdMin)),
};

/** The coverage of the stations the reader sees; undefined once 404/403 was sent. */
async function coverageOf(
  app: App,
  p: Planning,
  req: FastifyRequest,
  reply: FastifyReply,
  mode?: TravelMode,
  township?: string,
) {
  const stations = stationsFor(app, req, reply, township);
  return stations && coverageFor(p, stations, p.travel(mode));
}

function coverageRoute(app: App, p: Planning): void {
  app.get(
    '/api/v1/planning/coverage',
    {
      schema: {
        querystring: Type.Composite([CoverageQuery, LangQuery]),
        response: { 200: CoverageAnswer, '4xx': ErrorBody },
      },
      config: { access: 'planning:read' },
    },
    async (req, reply) => {
      const q = req.query;
      const c = await coverageOf(app, p, req, reply, q.mode, q.township);
      if (!c) return reply;
      const answer: CoverageAnswer = { travel: c.travel, cells: c.cells, summary: c.summary };
      return answerAs(reply, q.format, `coverage-${c.travel.mode}`, answer, COVERAGE_FILES);
    },
  );
}

function solveRoute(app: App, p: Planning): void {
  app.post(
    '/api/v1/planning/solve',
    {
      schema: { body: SolveRequest, response: { 200: SolveAnswer, '4xx': ErrorBody } },
      config: { access: 'planning:write' },
    },
    async (req, reply) => {
      if (!allowExpensive(app, p, req, reply)) return reply;
      const stations = everyStation(app);
      if (stations.length === 0)
        return reply.code(409).send(planningError('no_stations', pickLang(req, app.defaultLang)));
      const travel = p.travel(req.body.mode);
      const solve = await solveFor(p, stations, travel, req.body.k ?? DEFAULT_K, req.body.candidateIds);
      req.log.info(
        {
          candidates: solve.candidates.length,
          mode: travel.mode,
          ms: solve.ms,
          best: solve.best.at(-1)?.candidateIds,
        },
        'planning solve',
      );
      return solve;
    },
  );
}

const EXPORTS = ['stations', 'coverage', 'candidates'].flatMap((w) => [`${w}.csv`, `${w}.geojson`]);

function exportRoute(app: App, p: Planning): void {
  app.get(
    '/api/v1/planning/export/:file',
    {
      schema: {
        params: Type.Object({ file: Type.Union(EXPORTS.map((f) => Type.Literal(f))) }),
        querystring: Type.Composite([
          Type.Object({ mode: Type.Optional(Type.Union(TRAVEL_MODES.map((m) => Type.Literal(m)))) }),
          LangQuery,
        ]),
        response: { '4xx': ErrorBody },
      },
      config: { access: 'planning:read' },
    },
    async (req, reply) => {
      const [what, format] = req.params.file.split('.') as [string, FileFormat];
      if (what === 'coverage') {
        const c = await coverageOf(app, p, req, reply, req.query.mode);
        if (!c) return reply;
        return sendFile(reply, req.params.file, format, COVERAGE_FILES[format](c));
      }
      const stations = stationsFor(app, req, reply);
      if (!stations) return reply;
      if (what === 'stations') {
        const rows = stations.map((s) => {
          const e = app.registry.get(s.id)!.config;
          return {
            ...s,
            name: e.name,
            township: app.hierarchy.townshipOf(s.id) ?? '',
            seats: e.seats,
            sockets: e.sockets,
            address: e.address,
          };
        });
        const body =
          format === 'csv'
            ? toCsv(
                ['id', 'name', 'township', 'lat', 'lon', 'seats', 'sockets', 'address'],
                rows.map((r) => [r.id, r.name, r.township, r.lat, r.lon, r.seats, r.sockets, r.address]),
              )
            : JSON.stringify(pointsGeoJson(rows, ({ lat: _a, lon: _o, ...rest }) => rest));
        return sendFile(reply, req.params.file, format, body);
      }
      const travel = p.travel(req.query.mode);
      const [solve, candidates] = await Promise.all([
        solveFor(p, everyStation(app), travel, 1),
        p.repo.candidates(),
      ]);
      const added = new Map(solve.candidates.map((g) => [g.candidateId, g.addedDemand]));
      const rows = candidates.map((c) => ({ ...c, addedDemand: added.get(c.id) ?? 0 }));
      const body =
        format === 'csv'
          ? toCsv(
              ['id', 'name', 'address', 'lat', 'lon', 'source', 'added_demand', 'mode'],
              rows.map((r) => [r.id, r.name, r.address, r.lat, r.lon, r.source, r.addedDemand, travel.mode]),
            )
          : JSON.stringify(
              pointsGeoJson(rows, ({ lat: _a, lon: _o, createdAt: _c, ...rest }) => ({
                ...rest,
                mode: travel.mode,
              })),
            );
      return sendFile(reply, req.params.file, format, body);
    },
  );
}

const routes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  // Encapsulated here: import bodies are CSV or GeoJSON text, bounded before they are read.
  app.addContentTypeParser(
    ['text/csv', 'text/plain', 'application/geo+json'],
    { parseAs: 'string', bodyLimit: IMPORT_MAX_BYTES },
    (_req, body, next) => next(null, body),
  );
  const p = planningContext(app);
  coverageRoute(app, p);
  solveRoute(app, p);
  exportRoute(app, p);
  dataRoutes(app, p);
  done();
};

export default routes;
