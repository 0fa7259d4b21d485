/**
 * What the coverage routes share: the planning context (store access, the occupancy means fed by
 * the live state, the cache of computed answers, the rate limiter of expensive work), the stations
 * a request may see, coverage and solver answers through the cache, error texts, and the text
 * bodies of imports.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiter } from '../../auth/rate-limit.js';
import { errorTable, pickLang } from '../../i18n.js';
import { PlanningRepo } from '../../planning/repo.js';
import {
  DEFAULT_OCCUPANCY_SNAPSHOT_MS,
  OccupancyMeans,
  occupancyDemand,
  type OccupancySnapshot,
} from '../../planning/occupancy.js';
import { travelFor } from '../../planning/travel.js';
import { CoverageCache, DEFAULT_CACHE_ENTRIES, stationsFingerprint } from '../../planning/coverage-cache.js';
import { solveOn } from '../../planning/analyse.js';
import { coverage, type Coverage } from '../../planning/grid.js';
import type { StationEntry } from '../../registry.js';
import { readerOf, type App } from './request.js';
import type { DemandPoint, Site } from '../../planning/grid.js';
import type {
  DemandLayer,
  SolveAnswer,
  TravelMode,
  TravelSettings,
} from '../../planning/coverage-schemas.js';

export interface Planning {
  repo: PlanningRepo;
  occupancy: OccupancyMeans;
  /** The occupancy means coverage is computed from now (a snapshot, see OccupancyMeans.snapshot). */
  occupancyNow(): OccupancySnapshot;
  cache: CoverageCache;
  /** Solve and imports, per principal: checked before any parsing or computing. */
  limiter: RateLimiter;
  travel(mode?: TravelMode): TravelSettings;
}

/** Expensive requests (solve, import) per principal: a burst of this many, refilled over a minute. */
export const EXPENSIVE_PER_MINUTE = 20;

export function planningContext(app: App): Planning {
  const occupancy = new OccupancyMeans();
  app.store.on('change', occupancy.onChange);
  app.addHook('onClose', (_i, done) => {
    app.store.off('change', occupancy.onChange);
    done();
  });
  const o = app.serverOptions.planning?.cache;
  const snapshotMs = o?.occupancySnapshotMs ?? DEFAULT_OCCUPANCY_SNAPSHOT_MS;
  return {
    repo: new PlanningRepo(app.ops.db),
    occupancy,
    occupancyNow: () => occupancy.snapshot(Date.now(), snapshotMs),
    cache: new CoverageCache(o?.entries ?? DEFAULT_CACHE_ENTRIES, (kind, outcome) =>
      app.metrics.planningCache.inc({ kind, outcome }),
    ),
    limiter: new RateLimiter({ capacity: EXPENSIVE_PER_MINUTE, perMs: 60_000, maxKeys: 10_000 }),
    travel: (mode) => travelFor(app.serverOptions.planning, mode),
  };
}

export const planningError = errorTable({
  layer_not_found: { 'zh-CN': '没有编号为 {id} 的需求图层', en: 'No demand layer with id {id}' },
  layer_built_in: {
    'zh-CN': '图层 {id} 由驿站在站人数自动生成，不能删除',
    en: 'Layer {id} is derived from station occupancy and cannot be deleted',
  },
  candidate_not_found: { 'zh-CN': '没有编号为 {id} 的候选点', en: 'No candidate site with id {id}' },
  rate_limited: {
    'zh-CN': '请求过于频繁（每分钟最多 {limit} 次计算或导入），请 {seconds} 秒后再试',
    en: 'Too many requests (at most {limit} solves or imports a minute); try again in {seconds} s',
  },
  no_stations: {
    'zh-CN': '没有可用于覆盖分析的驿站（或您无权查看任何驿站）',
    en: 'No stations to analyse (or none you may read)',
  },
  bad_body: {
    'zh-CN': '请求体须为 CSV（text/csv）或 GeoJSON（application/geo+json 或 application/json）文本',
    en: 'The body must be CSV (text/csv) or GeoJSON (application/geo+json or application/json) text',
  },
});

/** False (429 sent, with Retry-After) when the principal spent its expensive requests. */
export function allowExpensive(app: App, p: Planning, req: FastifyRequest, reply: FastifyReply): boolean {
  const key = req.principal?.userId != null ? `user:${req.principal.userId}` : `ip:${req.ip}`;
  const t = p.limiter.take(key);
  if (t.ok) return true;
  const seconds = String(Math.ceil(t.retryAfterMs / 1000));
  req.log.warn({ key, route: req.routeOptions.url }, 'planning rate limit');
  void reply
    .code(429)
    .header('retry-after', seconds)
    .send(
      planningError('rate_limited', pickLang(req, app.defaultLang), {
        limit: String(EXPENSIVE_PER_MINUTE),
        seconds,
      }),
    );
  return false;
}

/**
 * The stations a request may analyse: those of the townships the principal reads (planning:read),
 * narrowed to `township` when given. Undefined when the answer (404/403) was sent.
 */
export function stationsFor(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  township?: string,
): Site[] | undefined {
  return readerOf(app, req, reply, township)
    ?.stations()
    .filter((e) => app.hierarchy.townshipOf(e.config.id) !== undefined)
    .map(siteOf);
}

const siteOf = (e: StationEntry): Site => ({
  id: e.config.id,
  lat: e.config.location.lat,
  lon: e.config.location.lon,
});

/**
 * Every station of the county: what a candidate's added demand is measured against (a site beside a
 * neighbouring township's station adds nothing, whoever asks). The answer names candidates, not
 * stations.
 */
export function everyStation(app: App): Site[] {
  return app.registry.all().map(siteOf);
}

/** Imported points of every layer plus the stations' occupancy layer (planning/occupancy.ts). */
async function allDemand(
  p: Planning,
  stations: readonly Site[],
  resolution: number,
  occupancy: OccupancySnapshot,
): Promise<DemandPoint[]> {
  const stored = await p.repo.demandPoints();
  return [...stored, ...occupancyDemand(stations, occupancy.mean, resolution)];
}

export interface StationsCoverage extends Coverage {
  travel: TravelSettings;
}

function keyParts(stations: readonly Site[], travel: TravelSettings, occupancy: OccupancySnapshot) {
  return { travel, stations: stationsFingerprint(stations), occupancy: occupancy.version };
}

/** Coverage of `stations` (every layer's demand), computed once per key of the cache. */
export function coverageFor(
  p: Planning,
  stations: readonly Site[],
  travel: TravelSettings,
  occupancy = p.occupancyNow(),
): Promise<StationsCoverage> {
  const key = p.cache.key('coverage', keyParts(stations, travel, occupancy));
  return p.cache.get('coverage', key, async () => {
    const demand = await allDemand(p, stations, travel.resolution, occupancy);
    return { travel, ...coverage(stations, demand, travel) };
  });
}

/**
 * The solver's answer for the best 1…k of `candidateIds` (default: every candidate) against the
 * coverage of `stations`, computed once per key of the cache.
 */
export function solveFor(
  p: Planning,
  stations: readonly Site[],
  travel: TravelSettings,
  k: number,
  candidateIds?: readonly number[],
): Promise<SolveAnswer> {
  const occupancy = p.occupancyNow();
  const ids = candidateIds ? [...new Set(candidateIds)].sort((a, b) => a - b).join(',') : 'all';
  const key = p.cache.key('solve', keyParts(stations, travel, occupancy), `k ${k} ids ${ids}`);
  return p.cache.get('solve', key, async () => {
    const started = performance.now();
    const [cov, candidates] = await Promise.all([
      coverageFor(p, stations, travel, occupancy),
      p.repo.candidates(candidateIds),
    ]);
    return solveOn(cov, candidates, travel, k, started);
  });
}

export const OCCUPANCY_LAYER_ID = 0;

export function occupancyLayer(p: Planning, stations: readonly Site[]): DemandLayer {
  const now = p.occupancyNow();
  const means = stations.map((s) => now.mean(s.id)).filter((m): m is number => m !== undefined);
  return {
    id: OCCUPANCY_LAYER_ID,
    name: '驿站在站人数 Station occupancy',
    kind: 'occupancy',
    points: means.length,
    totalWeight: means.reduce((a, b) => a + b, 0),
    createdAt: 0,
    createdBy: 'yizhan',
    builtIn: true,
  };
}

/** The import's text: a CSV or GeoJSON string body, or a JSON body fastify already parsed. */
export function importText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body && typeof body === 'object') return JSON.stringify(body);
  return undefined;
}
