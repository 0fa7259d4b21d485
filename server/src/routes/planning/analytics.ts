/**
 * Planning routes (analytics) under /api/v1/planning, planning:read, answers limited to the reader's
 * townships (a `township` or `station` outside them: 403; unknown: 404). Each answers JSON, or CSV
 * with `?format=csv` (UTF-8 BOM, header row, the same numbers). See docs/planning.md "Analytics".
 *
 * - GET /heatmap?station|township&metric&from&to: hour-of-week cells (planning/analytics.ts)
 * - GET /stations?township&from&to&detail: the ranking with each station's figures
 * - GET /definitions: every figure's definition and its source measurements
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { DEFAULT_TIMEZONE } from '../../alerts/silences.js';
import { DEFAULT_ROLLUP_RP } from '../../influx/rollups.js';
import { ErrorBody, errorBody, errorTable, pickLang, type Lang } from '../../i18n.js';
import { InfluxError } from '../../influx/query.js';
import { heatmap, ranking, type AnalyticsContext, type HeatmapScope } from '../../planning/analytics.js';
import { DefinitionsAnswer, HeatmapAnswer, HeatmapQuery, RankingAnswer, RankingQuery } from '../../planning/analytics-schemas.js';
import { DEFINITIONS } from '../../planning/definitions.js';
import { definitionsCsv, heatmapCsv, rankingCsv } from '../../planning/csv.js';
import { mayIn } from '../township-access.js';
import { answerAs, readerOf, type App, type Reader } from './request.js';

const FormatQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);
const DAY = 86_400_000;

const err = errorTable({
  analytics_unavailable: {
    'zh-CN': '统计数据暂不可用（InfluxDB）：{detail}',
    en: 'Analytics unavailable (InfluxDB): {detail}',
  },
});

/** The answer of `run`; undefined once 503 analytics_unavailable is sent (InfluxDB failed; logged). */
async function fromInflux<T>(req: FastifyRequest, reply: FastifyReply, lang: Lang, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof InfluxError)) throw e;
    req.log.warn({ err: e.message, url: req.url }, 'planning analytics query failed');
    void reply.code(503).send(err('analytics_unavailable', lang, { detail: e.message.slice(0, 200) }));
    return undefined;
  }
}
export const DEFAULT_RANGE_DAYS = 28;
const DEFAULT_DETAIL = 10;

/** The township tag values (Chinese names) of the townships in `scope`. */
function tagsOf(app: App, scope: Reader['codes']): 'all' | string[] {
  return scope === 'all' ? 'all' : app.hierarchy.list().filter((t) => scope.has(t.code)).map((t) => t.nameZh);
}

/** What a heatmap covers: the station, else the township, else the reader's county; undefined when 404/403 is sent. */
function heatmapScope(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  station: string | undefined,
  township: string | undefined,
  reader: Reader,
): HeatmapScope | undefined {
  const lang = reader.lang;
  if (station !== undefined) {
    const entry = app.registry.get(station);
    const code = app.hierarchy.townshipOf(station);
    if (!entry || code === undefined || (township !== undefined && township !== code))
      return void reply.code(404).send(errorBody('station_not_found', lang, { id: station }));
    if (!mayIn(app, req, reply, 'planning:read', code)) return undefined;
    const c = entry.config;
    return { kind: 'station', id: c.id, name: lang === 'en' ? (c.nameEn ?? c.name) : c.name };
  }
  if (township !== undefined) {
    const t = app.hierarchy.get(township);
    if (!t) return void reply.code(404).send(errorBody('township_not_found', lang, { code: township }));
    return { kind: 'township', id: t.code, name: lang === 'en' ? t.nameEn : t.nameZh, tag: t.nameZh };
  }
  return {
    kind: 'county',
    id: 'county',
    name: lang === 'en' ? 'County' : '全县',
    townships: tagsOf(app, reader.codes),
  };
}

/**
 * [from, to) of an analytics request (default: the last 28 days; from must precede to) and its
 * reader; undefined once 400, 404 or 403 was sent.
 */
function rangeAndReader(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  q: { from?: number; to?: number; township?: string },
): { from: number; to: number; reader: Reader } | undefined {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - DEFAULT_RANGE_DAYS * DAY;
  if (from >= to) {
    const detail = `from: 必须早于 to / must be before to (from ${from}, to ${to})`;
    return void reply.code(400).send(errorBody('bad_request', pickLang(req, app.defaultLang), { detail }));
  }
  const reader = readerOf(app, req, reply, q.township);
  return reader && { from, to, reader };
}

const routes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const ctx = (): AnalyticsContext => ({
    ql: app.influx.ql,
    rp: app.serverOptions.influx.rollups?.rp ?? DEFAULT_ROLLUP_RP,
    timeZone: app.serverOptions.timeZone ?? DEFAULT_TIMEZONE,
    daily: {
      store: app.rankingStore.store,
      log: app.log.child({ component: 'planning' }),
      answered: (source) => app.metrics.rankingAnswers.inc({ source }),
    },
  });
  app.get(
    '/api/v1/planning/heatmap',
    {
      schema: { querystring: HeatmapQuery, response: { 200: HeatmapAnswer, '4xx': ErrorBody, '5xx': ErrorBody } },
      config: { access: 'planning:read' },
    },
    async (req, reply) => {
      const q = req.query;
      const a = rangeAndReader(app, req, reply, q);
      if (!a) return reply;
      const scope = heatmapScope(app, req, reply, q.station, q.township, a.reader);
      if (!scope) return reply;
      const answer = await fromInflux(req, reply, a.reader.lang, () => heatmap(ctx(), scope, q.metric ?? 'near_full_share', a.from, a.to));
      if (answer === undefined) return reply;
      return answerAs(reply, q.format, `yizhan-heatmap-${scope.id}`, answer, { csv: heatmapCsv });
    },
  );

  app.get(
    '/api/v1/planning/stations',
    {
      schema: { querystring: RankingQuery, response: { 200: RankingAnswer, '4xx': ErrorBody, '5xx': ErrorBody } },
      config: { access: 'planning:read' },
    },
    async (req, reply) => {
      const q = req.query;
      const a = rangeAndReader(app, req, reply, q);
      if (!a) return reply;
      const { codes, lang } = a.reader;
      const codeOf = (id: string) => app.hierarchy.townshipOf(id) ?? '';
      const answer = await fromInflux(req, reply, lang, () =>
        ranking(ctx(), { stations: a.reader.stations(), townships: tagsOf(app, codes), codeOf, from: a.from, to: a.to, detail: q.detail ?? DEFAULT_DETAIL }),
      );
      if (answer === undefined) return reply;
      return answerAs(reply, q.format, `yizhan-stations${q.township ? `-${q.township}` : ''}`, answer, {
        csv: (x) => rankingCsv(x, lang),
      });
    },
  );

  app.get(
    '/api/v1/planning/definitions',
    {
      schema: { querystring: FormatQuery, response: { 200: DefinitionsAnswer, '4xx': ErrorBody } },
      config: { access: 'planning:read' },
    },
    async (req, reply) =>
      answerAs(reply, req.query.format, 'yizhan-definitions', { definitions: [...DEFINITIONS] }, { csv: (x) => definitionsCsv(x.definitions) }),
  );
  done();
};

export default routes;
