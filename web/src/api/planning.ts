/**
 * The planners' routes of the API client (issue 14): analytics (heatmap, ranking, definitions),
 * coverage, demand layers and candidate sites, the solver and the map's tile source. createClient
 * (client.ts) spreads these into the one client. Downloads (CSV, GeoJSON) are plain links: the
 * browser fetches them with the session cookie.
 */
import type {
  Candidate,
  CoverageAnswer,
  DefinitionsAnswer,
  DemandLayer,
  HeatmapAnswer,
  HeatmapMetric,
  MapTiles,
  NewCandidate,
  RankingAnswer,
  SolveAnswer,
  SolveRequest,
  StationsResponse,
  TravelMode,
} from './types.js';
import { API_BASE, queryString as qs, type CallOptions } from './client.js';

type Call = <T>(method: string, path: string, opts?: CallOptions) => Promise<T>;
type Id = (v: number | string) => string;

/** The analytics filters as a page sends them (Unix ms; township code). */
export interface PlanningScope {
  from?: number;
  to?: number;
  township?: string;
}
export interface HeatmapScope extends PlanningScope {
  station?: string;
  metric?: HeatmapMetric;
}
export type DemandKind = 'orders' | 'merchants' | 'residential' | 'other';

const P = '/planning';

/**
 * An import file with the content type the server reads it by: CSV by its name, anything else as
 * GeoJSON (a browser labels .geojson files inconsistently, often not at all).
 */
export function importBody(file: File): Blob {
  const csv = /\.(csv|txt)$/i.test(file.name) || file.type === 'text/csv';
  return new Blob([file], { type: csv ? 'text/csv' : 'application/geo+json' });
}

export function planningRoutes(call: Call, id: Id) {
  return {
    /** Every station with its WGS-84 location (the public list the station screens use). */
    stations: () => call<StationsResponse>('GET', '/stations'),
    mapTiles: () => call<MapTiles>('GET', `${P}/map-tiles`),

    heatmap: (q: HeatmapScope) => call<HeatmapAnswer>('GET', `${P}/heatmap${qs({ ...q })}`),
    ranking: (q: PlanningScope) => call<RankingAnswer>('GET', `${P}/stations${qs({ ...q })}`),
    definitions: () => call<DefinitionsAnswer>('GET', `${P}/definitions`),
    /** `…/heatmap`, `…/stations`: the same answer as CSV (format=csv) or JSON, to download. */
    analyticsUrl: (what: 'heatmap' | 'stations', format: 'csv' | 'json', q: HeatmapScope) =>
      `${API_BASE}${P}/${what}${qs({ ...q, format })}`,

    coverage: (mode: TravelMode, township?: string) =>
      call<CoverageAnswer>('GET', `${P}/coverage${qs({ mode, township })}`),
    demandLayers: () => call<DemandLayer[]>('GET', `${P}/demand-layers`),
    /** The file as it is (CSV or GeoJSON); a refusal is an ApiError whose `problems` list each line's fault. */
    addDemandLayer: (name: string, kind: DemandKind, file: File) =>
      call<DemandLayer>('POST', `${P}/demand-layers${qs({ name, kind })}`, { raw: importBody(file) }),
    deleteDemandLayer: (layerId: number) => call<void>('DELETE', `${P}/demand-layers/${id(layerId)}`),

    candidates: () => call<Candidate[]>('GET', `${P}/candidates`),
    addCandidate: (body: NewCandidate) => call<Candidate>('POST', `${P}/candidates`, { body }),
    importCandidates: (file: File) =>
      call<Candidate[]>('POST', `${P}/candidates/import`, { raw: importBody(file) }),
    deleteCandidate: (candidateId: number) => call<void>('DELETE', `${P}/candidates/${id(candidateId)}`),
    solve: (body: SolveRequest) => call<SolveAnswer>('POST', `${P}/solve`, { body }),
    exportUrl: (what: 'stations' | 'coverage' | 'candidates', format: 'csv' | 'geojson') =>
      `${API_BASE}${P}/export/${what}.${format}`,
  };
}
