/**
 * Answers and requests of the coverage and candidate-site routes (`/api/v1/planning/…`), exported
 * for the web client. Coordinates are WGS-84 (as the station files hold them); the web app converts
 * to GCJ-02 only when it draws on GCJ-02 tiles.
 */
import { Type, type Static } from '@sinclair/typebox';

const Text = Type.Object({ 'zh-CN': Type.String(), en: Type.String() }, { additionalProperties: false });
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });

export const TRAVEL_MODES = ['walk', 'ebike'] as const;
export type TravelMode = (typeof TRAVEL_MODES)[number];
const Mode = Type.Union(TRAVEL_MODES.map((m) => Type.Literal(m)));

export const TravelSettings = Type.Object(
  {
    mode: Mode,
    speedKmh: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
    /** Road distance ÷ straight-line distance. */
    detour: Type.Number({ minimum: 1, maximum: 3 }),
    thresholdMin: Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'The service circle, minutes (15)' }),
    resolution: Type.Integer({ minimum: 6, maximum: 10, description: 'H3 resolution of the grid' }),
  },
  { additionalProperties: false },
);

export const CoverageQuery = Type.Object(
  {
    mode: Type.Optional(Mode),
    township: Type.Optional(Type.String({ maxLength: 64 })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('geojson')])),
  },
  { additionalProperties: false },
);

export const CoverageCell = Type.Object(
  {
    h3: Type.String({ description: 'H3 cell index' }),
    lat: Lat,
    lon: Lon,
    minutes: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'Travel time to the nearest station; null beyond the grid search' }),
    stationId: Type.Union([Type.String(), Type.Null()], { description: 'The nearest station' }),
    demand: Type.Number({ minimum: 0, description: 'Demand weight of the cell (every layer, summed)' }),
    covered: Type.Boolean({ description: 'minutes ≤ thresholdMin' }),
  },
  { additionalProperties: false },
);

export const CoverageAnswer = Type.Object(
  {
    travel: TravelSettings,
    cells: Type.Array(CoverageCell),
    summary: Type.Object(
      {
        cells: Type.Integer({ minimum: 0 }),
        coveredCells: Type.Integer({ minimum: 0 }),
        demand: Type.Number({ minimum: 0 }),
        coveredDemand: Type.Number({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const DemandLayer = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** orders (delivery order heat), merchants, residential, reports (rider reports), occupancy (from the stations), other. */
    kind: Type.String({ maxLength: 32 }),
    points: Type.Integer({ minimum: 0 }),
    totalWeight: Type.Number({ minimum: 0 }),
    createdAt: Type.Integer(),
    createdBy: Type.String(),
    builtIn: Type.Boolean({ description: 'Derived by yizhan (station occupancy), not imported' }),
  },
  { additionalProperties: false },
);

/** One problem of an import, by line (CSV) or feature index (GeoJSON, from 1). */
export const ImportProblem = Type.Object(
  { line: Type.Integer({ minimum: 1 }), field: Type.String(), message: Text },
  { additionalProperties: false },
);
export const ImportRejected = Type.Object(
  { error: Type.String(), message: Type.String(), problems: Type.Array(ImportProblem) },
  { additionalProperties: false },
);

export const Candidate = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    address: Type.String({ maxLength: 200 }),
    lat: Lat,
    lon: Lon,
    source: Type.Union([Type.Literal('import'), Type.Literal('map')]),
    createdAt: Type.Integer(),
  },
  { additionalProperties: false },
);
export const NewCandidate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), address: Type.Optional(Type.String({ maxLength: 200 })), lat: Lat, lon: Lon },
  { additionalProperties: false },
);

export const SolveRequest = Type.Object(
  {
    mode: Type.Optional(Mode),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'Best k new stations, k = 1…k (default 3)' })),
    candidateIds: Type.Optional(Type.Array(Type.Integer(), { maxItems: 5000, description: 'Default: every candidate' })),
  },
  { additionalProperties: false },
);

export const CandidateGain = Type.Object(
  {
    candidateId: Type.Integer(),
    name: Type.String(),
    addedDemand: Type.Number({ minimum: 0, description: 'Demand newly inside the threshold if only this site is added' }),
    addedCells: Type.Array(Type.String(), { description: 'H3 cells it would newly cover' }),
  },
  { additionalProperties: false },
);

export const BestK = Type.Object(
  {
    k: Type.Integer({ minimum: 1 }),
    candidateIds: Type.Array(Type.Integer(), { description: 'Greedy picks, in pick order' }),
    coveredDemand: Type.Number({ minimum: 0, description: 'Demand covered with these sites added' }),
    upperBound: Type.Number({ minimum: 0, description: 'No k sites can cover more: the smallest of `bounds`' }),
    /** coveredDemand / upperBound: how close greedy is proven to be. */
    ratio: Type.Number({ minimum: 0, maximum: 1 }),
    /** Optional (answers before it lack it): each bound of the covered demand, upperBound is the smallest. */
    bounds: Type.Optional(
      Type.Object(
        {
          online: Type.Number({ description: 'Greedy run: covered after step i + the k largest additions at step i, smallest over i' }),
          lagrangian: Type.Number({ description: 'LP relaxation (Lagrangian), tight when candidates share clusters' }),
          guarantee: Type.Number({ description: 'Greedy adds at least 1 − (1 − 1/k)^k (≥ 1 − 1/e) of the best added demand' }),
        },
        { additionalProperties: false },
      ),
    ),
    explanation: Text,
  },
  { additionalProperties: false },
);

export const SolveAnswer = Type.Object(
  {
    travel: TravelSettings,
    baseCoveredDemand: Type.Number({ minimum: 0 }),
    demand: Type.Number({ minimum: 0 }),
    candidates: Type.Array(CandidateGain, { description: 'Each candidate alone, by added demand' }),
    best: Type.Array(BestK),
    ms: Type.Number({ description: 'Solve time' }),
  },
  { additionalProperties: false },
);

export const MapTiles = Type.Object(
  {
    /** none: no tiles (offline, tests): stations, hexagons and a scale bar on a plain background. */
    kind: Type.Union([Type.Literal('none'), Type.Literal('tianditu'), Type.Literal('amap'), Type.Literal('xyz')]),
    url: Type.String({ description: 'XYZ template ({z}/{x}/{y}, {s}); empty for none' }),
    /** The datum the tiles are drawn in: wgs84 (Tianditu, OSM) or gcj02 (AMap, Tencent). */
    datum: Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02')]),
    attribution: Type.String(),
    subdomains: Type.String(),
    maxZoom: Type.Integer({ minimum: 1, maximum: 22 }),
  },
  { additionalProperties: false },
);

export type TravelSettings = Static<typeof TravelSettings>;
export type CoverageQuery = Static<typeof CoverageQuery>;
export type CoverageCell = Static<typeof CoverageCell>;
export type CoverageAnswer = Static<typeof CoverageAnswer>;
export type DemandLayer = Static<typeof DemandLayer>;
export type ImportProblem = Static<typeof ImportProblem>;
export type Candidate = Static<typeof Candidate>;
export type NewCandidate = Static<typeof NewCandidate>;
export type SolveRequest = Static<typeof SolveRequest>;
export type SolveAnswer = Static<typeof SolveAnswer>;
export type BestK = Static<typeof BestK>;
export type MapTiles = Static<typeof MapTiles>;
