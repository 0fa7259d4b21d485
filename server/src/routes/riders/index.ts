/**
 * The riders' public endpoints (no login; the phone page opened from a station's QR code):
 *
 * | route                                   | answer                                                   |
 * | --------------------------------------- | -------------------------------------------------------- |
 * | `GET /api/v1/public/stations/nearby`    | stations with what is free now, distance, navigation links (riders/nearby.ts) |
 * | `GET /api/v1/public/townships`          | townships with stations, for the picker when there is no location |
 * | `GET /api/v1/public/stations/:id/notices` | the union's notices showing at a station (routes/notices/public.ts) |
 * | `/api/v1/public/report-categories`, `/api/v1/public/reports…` | riders' reports (routes/rider-reports/public.ts) |
 *
 * Hardening: a per-address token bucket checked in `onRequest`, before the query is even parsed
 * (the address is fastify's `req.ip`, which follows YIZHAN_TRUST_PROXY); answers built from a
 * shared live snapshot at most 1 s old; short Cache-Control so a proxy or the phone may reuse
 * them; every answer counted by route and outcome in `yizhan_rider_requests_total`.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { NEARBY_PATH } from '@yizhan/screen/nearby';
import { RateLimiter } from '../../auth/rate-limit.js';
import { ErrorBody, errorTable, pickLang, type Lang } from '../../i18n.js';
import { DEFAULT_DARK_AFTER_MS } from '../../org/fleet.js';
import { RiderSnapshots, nearby, type NearbyRequest } from '../../riders/nearby.js';
import {
  DEFAULT_RIDER_REQUESTS_PER_MIN,
  DEFAULT_RIDER_SNAPSHOT_MS,
  NEARBY_MAX_AGE_S,
  RIDER_RATE_LIMIT_KEYS,
  TOWNSHIPS_MAX_AGE_S,
} from '../../riders/limits.js';
import { PUBLIC_NOTICES_URL, publicNoticesRoute } from '../notices/public.js';
import { PUBLIC_REPORT_ROUTES, publicReportRoutes } from '../rider-reports/public.js';
import {
  DEFAULT_NEARBY,
  NearbyAnswer,
  NearbyQuery,
  PublicTownshipsAnswer,
  PublicTownshipsQuery,
} from './schemas.js';

/** The screens ask the same route for their neighbours (@yizhan/screen/nearby). */
export const NEARBY_URL = NEARBY_PATH;
export const PUBLIC_TOWNSHIPS_URL = '/api/v1/public/townships';

export const riderError = errorTable({
  rate_limited: {
    'zh-CN': '请求过于频繁（每个地址每分钟最多 {limit} 次），请 {seconds} 秒后再试',
    en: 'Too many requests (at most {limit} a minute from one address); try again in {seconds} s',
  },
  location_incomplete: {
    'zh-CN': 'querystring/{missing}：给出位置时须同时给出 lat 和 lon（WGS-84 度）',
    en: 'querystring/{missing}: a location needs both lat and lon (WGS-84 degrees)',
  },
  two_origins: {
    'zh-CN': 'querystring/near：near、at（从某个驿站算起）与 lat/lon 只能给一个',
    en: 'querystring/near: give one of near or at (measure from a station) or lat and lon',
  },
  unknown_station: {
    'zh-CN': 'querystring/{field}：没有编号为 "{id}" 的驿站',
    en: 'querystring/{field}: no station with id "{id}"',
  },
  unknown_township: {
    'zh-CN': 'querystring/township：没有代码为 "{code}" 的乡镇{hint}',
    en: 'querystring/township: no township with code "{code}"{hint}',
  },
});

const ROUTES = new Map([
  [NEARBY_URL, 'nearby'],
  [PUBLIC_TOWNSHIPS_URL, 'townships'],
  [PUBLIC_NOTICES_URL, 'notices'],
  ...PUBLIC_REPORT_ROUTES,
]);

function outcomeOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 429) return 'rate_limited';
  return status < 500 ? 'bad_request' : 'error';
}

/**
 * The hooks of the riders' routes (encapsulated: no fastify-plugin, so they see only these): the
 * per-address limit before anything is parsed, no caching of refusals, every answer counted.
 */
function guard(app: FastifyInstance, perMin: number): void {
  const limiter = new RateLimiter({ capacity: perMin, perMs: 60_000, maxKeys: RIDER_RATE_LIMIT_KEYS });
  app.addHook('onRequest', async (req, reply) => {
    const t = limiter.take(req.ip);
    if (t.ok) return;
    const seconds = String(Math.ceil(t.retryAfterMs / 1000));
    return reply
      .code(429)
      .header('retry-after', seconds)
      .header('cache-control', 'no-store')
      .send(riderError('rate_limited', pickLang(req, app.defaultLang), { limit: String(perMin), seconds }));
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode >= 400) void reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = ROUTES.get(req.routeOptions.url ?? '') ?? 'unknown';
    app.metrics.riderRequests.inc({ route, outcome: outcomeOf(reply.statusCode) });
  });
}

/** The request as nearby() takes it, or the 400 body naming the parameter that is wrong. */
function nearbyRequest(
  app: FastifyInstance,
  q: NearbyQuery,
  lang: Lang,
): NearbyRequest | { error: ReturnType<typeof riderError> } {
  if ((q.lat === undefined) !== (q.lon === undefined))
    return {
      error: riderError('location_incomplete', lang, { missing: q.lat === undefined ? 'lat' : 'lon' }),
    };
  const origins = [q.near, q.at, q.lat].filter((o) => o !== undefined).length;
  if (origins > 1) return { error: riderError('two_origins', lang) };
  const station = q.near ?? q.at;
  const from = station === undefined ? undefined : app.registry.get(station);
  if (station !== undefined && !from)
    return { error: riderError('unknown_station', lang, { id: station, field: q.near ? 'near' : 'at' }) };
  if (q.township !== undefined && !app.hierarchy.get(q.township)) {
    const guess = didYouMean(
      q.township,
      app.hierarchy.list().map((t) => t.code),
    );
    const hint = guess ? (lang === 'en' ? ` (did you mean "${guess}"?)` : `（是否为 "${guess}"？）`) : '';
    return { error: riderError('unknown_township', lang, { code: q.township, hint }) };
  }
  const origin = from
    ? { lat: from.config.location.lat, lon: from.config.location.lon }
    : q.lat !== undefined && q.lon !== undefined
      ? { lat: q.lat, lon: q.lon }
      : null;
  return {
    origin,
    exclude: q.near ?? null,
    need: q.need ?? null,
    township: q.township ?? null,
    limit: q.limit ?? DEFAULT_NEARBY,
  };
}

const riders: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const o = app.serverOptions.riders;
  const perMin = o?.requestsPerMin ?? DEFAULT_RIDER_REQUESTS_PER_MIN;
  const snapshots = new RiderSnapshots(
    {
      stations: () => app.registry.all(),
      summaries: () => app.store.summaries(),
      facts: (id) => app.store.fleetFacts(id),
      reading: (id, sensor) => app.store.readingValue(id, sensor),
      township: (id) => {
        const code = app.hierarchy.townshipOf(id);
        return code === undefined ? undefined : app.hierarchy.get(code);
      },
      darkAfterMs: app.serverOptions.fleet?.darkAfterMs ?? DEFAULT_DARK_AFTER_MS,
    },
    o?.snapshotMs ?? DEFAULT_RIDER_SNAPSHOT_MS,
    () => app.metrics.riderSnapshots.inc(),
  );

  guard(app, perMin);

  app.get(
    NEARBY_URL,
    {
      schema: { querystring: NearbyQuery, response: { 200: NearbyAnswer, 400: ErrorBody, 429: ErrorBody } },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const r = nearbyRequest(app, req.query, lang);
      if ('error' in r) return reply.code(400).send(r.error);
      const snapshot = snapshots.at();
      const stations = nearby(snapshot, r);
      void reply.header('cache-control', `public, max-age=${NEARBY_MAX_AGE_S}`);
      return { generatedAt: snapshot.at, origin: r.origin, need: r.need, stations };
    },
  );

  app.get(
    PUBLIC_TOWNSHIPS_URL,
    {
      schema: { querystring: PublicTownshipsQuery, response: { 200: PublicTownshipsAnswer, 429: ErrorBody } },
      config: { access: 'public' },
    },
    async (_req, reply) => {
      const counts = new Map<string, number>();
      for (const s of snapshots.at().stations)
        counts.set(s.township.code, (counts.get(s.township.code) ?? 0) + 1);
      void reply.header('cache-control', `public, max-age=${TOWNSHIPS_MAX_AGE_S}`);
      return {
        townships: app.hierarchy
          .list()
          .filter((t) => counts.has(t.code))
          .map((t) => ({
            code: t.code,
            name: t.nameZh,
            nameEn: t.nameEn,
            stations: counts.get(t.code) ?? 0,
          })),
      };
    },
  );
  if (app.hasDecorator('notices')) publicNoticesRoute(app);
  if (app.hasDecorator('riderReports')) publicReportRoutes(app);
  done();
};
export default riders;
