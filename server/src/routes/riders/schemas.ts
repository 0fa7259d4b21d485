/**
 * Request and response schemas of the riders' public endpoints (no login), exported for the web
 * client through api-types.ts. Only what a rider needs: no sensor ids, alert counts, agent or
 * config details. Times are Unix ms; distances metres; coordinates degrees.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { COMPASS_POINTS } from '../../riders/geo.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ms = (description: string) => Type.Integer({ minimum: 0, description });
const Lang = Type.Optional(Type.String({ maxLength: 16, description: 'zh-CN (default) or en' }));

export const NEEDS = ['seat', 'socket', 'water'] as const;
export type Need = (typeof NEEDS)[number];
export const MAX_NEARBY = 50;
export const DEFAULT_NEARBY = 10;

export const NearbyQuery = Type.Object(
  {
    lat: Type.Optional(
      Type.Number({ minimum: -90, maximum: 90, description: "Rider's latitude, WGS-84 (the browser's)" }),
    ),
    lon: Type.Optional(
      Type.Number({ minimum: -180, maximum: 180, description: "Rider's longitude, WGS-84" }),
    ),
    need: Type.Optional(
      Type.Union(
        NEEDS.map((n) => Type.Literal(n)),
        { description: 'What the rider looks for: stations that have it free now come first' },
      ),
    ),
    near: Type.Optional(
      Type.String({
        pattern: STATION_ID_PATTERN,
        maxLength: 32,
        description:
          "Measure from this station instead of lat/lon, and leave it out (a station screen's neighbours)",
      }),
    ),
    at: Type.Optional(
      Type.String({
        pattern: STATION_ID_PATTERN,
        maxLength: 32,
        description:
          'Measure from this station and keep it in the list (0 m): a rider who scanned its QR code',
      }),
    ),
    township: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Only this township (code, see /api/v1/public/townships)',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_NEARBY,
        default: DEFAULT_NEARBY,
        description: 'Stations at most',
      }),
    ),
    lang: Lang,
  },
  { additionalProperties: false },
);
export type NearbyQuery = Static<typeof NearbyQuery>;

const SocketGroup = (what: string) =>
  Type.Object(
    {
      total: Type.Integer({ minimum: 0 }),
      free: Nullable(Type.Integer({ minimum: 0, description: 'Idle sockets of this kind' })),
    },
    {
      additionalProperties: false,
      description: `Sockets for ${what} (the station file's \`charges\`); null when no socket says so`,
    },
  );

export const Freshness = Type.Union([Type.Literal('live'), Type.Literal('stale'), Type.Literal('offline')], {
  description:
    'live: the numbers are current; stale: the station is online but its sensors are not reporting; ' +
    'offline: nothing heard within the dark threshold, or the station went offline. Counts are null unless live.',
});
export type Freshness = Static<typeof Freshness>;

export const NearbyStation = Type.Object(
  {
    id: Type.String({ description: 'Station id (its screen is /screen/:id)' }),
    name: Type.String(),
    nameEn: Nullable(Type.String()),
    address: Type.String(),
    township: Type.Object(
      { code: Type.String(), name: Type.String(), nameEn: Type.String() },
      { additionalProperties: false },
    ),
    location: Type.Object(
      { lat: Type.Number(), lon: Type.Number() },
      { additionalProperties: false, description: 'WGS-84' },
    ),
    distanceM: Nullable(
      Type.Integer({ minimum: 0, description: 'Great-circle distance; null without a location' }),
    ),
    bearingDeg: Nullable(
      Type.Integer({ minimum: 0, maximum: 359, description: 'From the rider, clockwise from north' }),
    ),
    direction: Nullable(Type.Union(COMPASS_POINTS.map((p) => Type.Literal(p)))),
    freshness: Freshness,
    dataAgeS: Nullable(
      Type.Integer({ minimum: 0, description: "Seconds since the station's latest sensor reading" }),
    ),
    open: Type.Boolean({ description: 'Open now by its opening hours' }),
    hours: Type.Object(
      {
        text: Type.String({ description: '"HH:MM-HH:MM" every day; "00:00-24:00" always open' }),
        timeZone: Type.String({ description: 'Time zone of the hours (IANA)' }),
        nextChange: Nullable(Ms('Next opening (closed) or closing (open); null when always open')),
      },
      { additionalProperties: false },
    ),
    seats: Type.Object(
      {
        total: Type.Integer(),
        free: Nullable(Type.Integer({ minimum: 0, description: 'seats − people inside' })),
      },
      { additionalProperties: false },
    ),
    sockets: Type.Object(
      {
        total: Type.Integer(),
        free: Nullable(Type.Integer({ minimum: 0, description: 'Idle sockets' })),
        ebike: Nullable(SocketGroup('e-bike batteries')),
        phone: Nullable(SocketGroup('phones')),
      },
      { additionalProperties: false },
    ),
    water: Type.Object(
      {
        ready: Nullable(Type.Boolean({ description: 'Hot water at temperature and no dispenser fault' })),
        tempC: Nullable(Type.Number()),
      },
      { additionalProperties: false },
    ),
    door: Type.Object({ open: Nullable(Type.Boolean()) }, { additionalProperties: false }),
    has: Type.Boolean({
      description: 'Open, live, and has what was asked free now (with no need: open and live)',
    }),
    navigation: Type.Object(
      {
        amap: Type.String({ description: 'AMap (高德) riding route, GCJ-02 coordinates' }),
        baidu: Type.String({ description: 'Baidu Maps marker, BD-09 coordinates' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type NearbyStation = Static<typeof NearbyStation>;

export const NearbyAnswer = Type.Object(
  {
    generatedAt: Ms('When the live snapshot the answer was built from was taken (at most 1 s old)'),
    origin: Nullable(
      Type.Object({ lat: Type.Number(), lon: Type.Number() }, { additionalProperties: false }),
    ),
    need: Nullable(Type.Union(NEEDS.map((n) => Type.Literal(n)))),
    stations: Type.Array(NearbyStation, {
      description: 'Those that have what was asked first, then by distance (or by township and name)',
    }),
  },
  { additionalProperties: false },
);
export type NearbyAnswer = Static<typeof NearbyAnswer>;

export const PublicTownshipsQuery = Type.Object({ lang: Lang }, { additionalProperties: false });
export const PublicTownshipsAnswer = Type.Object(
  {
    townships: Type.Array(
      Type.Object(
        {
          code: Type.String(),
          name: Type.String(),
          nameEn: Type.String(),
          stations: Type.Integer({ minimum: 0, description: 'Stations open to riders' }),
        },
        { additionalProperties: false },
      ),
      { description: 'Townships with stations, by code' },
    ),
  },
  { additionalProperties: false },
);
export type PublicTownshipsAnswer = Static<typeof PublicTownshipsAnswer>;
