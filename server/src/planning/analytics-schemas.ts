/**
 * Answers of the planners' analytics routes (`/api/v1/planning/…`), exported for the web client.
 * Times are Unix ms; shares are 0..1; a figure with no data is null (never 0). Every answer is
 * also CSV (`?format=csv`, UTF-8 with BOM, the same columns as the JSON fields).
 */
import { Type, type Static } from '@sinclair/typebox';

const Text = Type.Object({ 'zh-CN': Type.String(), en: Type.String() }, { additionalProperties: false });
const Share = (description: string) => Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description });
const Num = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

export const HEATMAP_METRICS = ['occupancy_mean', 'full_share', 'near_full_share', 'all_busy_share'] as const;
export type HeatmapMetric = (typeof HEATMAP_METRICS)[number];

export const PlanningRange = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'Start, Unix ms (default: 28 days ago)' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'End, Unix ms, exclusive (default: now)' })),
    township: Type.Optional(Type.String({ maxLength: 64, description: 'Township code; default every township the reader may see' })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);

// Composite, not Intersect: each part's additionalProperties: false would refuse the other's fields.
export const HeatmapQuery = Type.Composite([
  PlanningRange,
  Type.Object(
    {
      station: Type.Optional(Type.String({ maxLength: 64, description: 'One station; else the township (or the county)' })),
      metric: Type.Optional(Type.Union(HEATMAP_METRICS.map((m) => Type.Literal(m)))),
    },
    { additionalProperties: false },
  ),
], { additionalProperties: false });

export const RankingQuery = Type.Composite([
  PlanningRange,
  Type.Object(
    {
      detail: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 100, description: 'How many of the most used stations get an hour-of-week reason (default 10)' }),
      ),
    },
    { additionalProperties: false },
  ),
], { additionalProperties: false });

export const HeatmapCell = Type.Object(
  {
    /** Monday = 0 … Sunday = 6, in the county's time zone. */
    dow: Type.Integer({ minimum: 0, maximum: 6 }),
    hour: Type.Integer({ minimum: 0, maximum: 23 }),
    value: Num('The metric over every open sample of this hour of the week in the range'),
    samples: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const HeatmapAnswer = Type.Object(
  {
    scope: Type.Object({ kind: Type.Union([Type.Literal('county'), Type.Literal('township'), Type.Literal('station')]), id: Type.String(), name: Type.String() }),
    metric: Type.Union(HEATMAP_METRICS.map((m) => Type.Literal(m))),
    from: Type.Integer(),
    to: Type.Integer(),
    timeZone: Type.String({ description: 'IANA zone the hours are in, e.g. Asia/Shanghai' }),
    cells: Type.Array(HeatmapCell, { description: '168 cells, dow-major' }),
  },
  { additionalProperties: false },
);

export const StationFigures = Type.Object(
  {
    stationId: Type.String(),
    name: Type.String(),
    township: Type.String({ description: 'Township code' }),
    seats: Type.Integer(),
    sockets: Type.Integer(),
    samples: Type.Integer({ minimum: 0, description: 'Open-hour samples in the range' }),
    occupancyMean: Num('Mean people inside during open hours'),
    fullShare: Share('Share of open time with people ≥ seats'),
    nearFullShare: Share('Share of open time with people ≥ 90 % of seats'),
    allBusyShare: Share('Share of open time with every socket charging'),
    sessions: Type.Integer({ minimum: 0, description: 'Charging sessions started' }),
    energyKwh: Num('Energy drawn by the sockets, kWh'),
    turnedAway: Type.Integer({ minimum: 0, description: 'Estimated riders turned away (door opened while full, no one came in)' }),
    heaterOnShare: Share('Heater duty: share of time the heater was on'),
    /** 1 = most used (by nearFullShare, then occupancyMean). */
    rank: Type.Integer({ minimum: 1 }),
    /** Plain-language reason, e.g. 周一至周五 11–13 点满座率 78%. */
    reason: Text,
    /** The same figures for the previous range of equal length (month over month by default). */
    previous: Type.Object({ nearFullShare: Share(''), occupancyMean: Num(''), sessions: Type.Integer({ minimum: 0 }) }),
    /** Opened or closed inside the range (station files `opened` / `closed`), Unix ms. */
    opened: Type.Union([Type.Integer(), Type.Null()]),
    closed: Type.Union([Type.Integer(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const RankingAnswer = Type.Object(
  {
    from: Type.Integer(),
    to: Type.Integer(),
    stations: Type.Array(StationFigures, { description: 'Every station in scope, rank order' }),
  },
  { additionalProperties: false },
);

export const Definition = Type.Object(
  {
    key: Type.String({ description: 'Field name in the answers, e.g. nearFullShare' }),
    name: Text,
    definition: Text,
    source: Type.String({ description: 'Measurements and fields it is computed from' }),
  },
  { additionalProperties: false },
);
export const DefinitionsAnswer = Type.Object({ definitions: Type.Array(Definition) }, { additionalProperties: false });

export type HeatmapQuery = Static<typeof HeatmapQuery>;
export type HeatmapAnswer = Static<typeof HeatmapAnswer>;
export type PlanningRange = Static<typeof PlanningRange>;
export type RankingQuery = Static<typeof RankingQuery>;
export type StationFigures = Static<typeof StationFigures>;
export type RankingAnswer = Static<typeof RankingAnswer>;
export type DefinitionsAnswer = Static<typeof DefinitionsAnswer>;
