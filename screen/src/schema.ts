/**
 * Live station state as the HTTP API and the SSE stream show it. One TypeBox schema per shape;
 * types derive from them. Times are Unix ms from the station's clock (payload `ts`).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FaultNameSchema, STATION_ID_PATTERN, SensorKindSchema } from '@yizhan/protocol';

const Ms = (description: string) => Type.Integer({ minimum: 0, description });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/**
 * `:id` of the station routes: a station id's own pattern, so `..%2f`, NUL, look-alike letters or
 * an endless id are a 400 naming `params/id` before any lookup.
 */
export const StationIdParams = Type.Object({
  id: Type.String({ pattern: STATION_ID_PATTERN, maxLength: 32, description: 'Station id, e.g. st-001' }),
});

export const ReadingState = Type.Object(
  {
    kind: SensorKindSchema,
    value: Type.Number({ description: 'Last value in engineering units' }),
    ts: Ms('Reading time'),
  },
  { additionalProperties: false },
);
export type ReadingState = Static<typeof ReadingState>;

export const ActiveFault = Type.Object(
  { sensor: Type.String(), fault: FaultNameSchema, since: Ms('When it was raised') },
  { additionalProperties: false },
);
export type ActiveFault = Static<typeof ActiveFault>;

export const WaterStateName = Type.Union(
  [Type.Literal('ready'), Type.Literal('heating'), Type.Literal('fault'), Type.Literal('unknown')],
  {
    description:
      'ready 可用: temp ≥ setpoint − 5 °C and no fault; heating 加热中; fault 故障; unknown: no reading yet',
  },
);
export type WaterStateName = Static<typeof WaterStateName>;

export const WaterState = Type.Object(
  {
    tempC: Nullable(Type.Number()),
    setpointC: Type.Number(),
    heaterOn: Nullable(Type.Boolean()),
    levelPct: Nullable(Type.Number()),
    faulted: Type.Boolean({ description: 'An active fault on the dispenser' }),
    ready: Type.Boolean(),
    state: WaterStateName,
  },
  { additionalProperties: false },
);

export const AgentHealthState = Type.Object(
  {
    ts: Ms('Report time'),
    agentVersion: Type.String(),
    uptimeS: Type.Number(),
    rssBytes: Type.Integer(),
    serialUp: Type.Boolean(),
    serialPort: Type.String(),
    lastFrameAgeMs: Nullable(Type.Integer()),
    framesGood: Type.Integer(),
    framesBad: Type.Integer({ description: 'Sum over all bad-frame reasons' }),
    spoolDepth: Nullable(Type.Integer()),
    spoolDropped: Nullable(Type.Integer()),
  },
  { additionalProperties: false },
);
export type AgentHealthState = Static<typeof AgentHealthState>;

export const StationSummary = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: 'Chinese name' }),
    nameEn: Nullable(Type.String()),
    township: Type.String(),
    location: Type.Object({ lat: Type.Number(), lon: Type.Number() }, { additionalProperties: false }),
    online: Nullable(Type.Boolean({ description: 'null until the first status message' })),
    lastSeen: Nullable(Ms('Time of the latest message from the station')),
    lastReading: Nullable(
      Ms(
        'Time of the latest reading or fault event from the sensor controller (health and status do not count)',
      ),
    ),
    hours: Type.Object(
      {
        text: Type.String({
          description: 'Opening hours from the station file, "HH:MM-HH:MM" China Standard Time',
        }),
        open: Type.Boolean({ description: 'Open now' }),
        nextChange: Nullable(Ms('Next opening (when closed) or closing (when open); null when always open')),
      },
      { additionalProperties: false },
    ),
    seats: Type.Object(
      {
        total: Type.Integer(),
        occupied: Nullable(Type.Number()),
        free: Nullable(Type.Number({ description: 'seats − occupancy, never below 0' })),
      },
      { additionalProperties: false },
    ),
    sockets: Type.Object(
      {
        total: Type.Integer(),
        free: Nullable(Type.Integer({ description: 'socket_state = 0' })),
        charging: Nullable(Type.Integer({ description: 'socket_state = 1' })),
        tripped: Nullable(Type.Integer({ description: 'socket_state = 2' })),
      },
      { additionalProperties: false },
    ),
    water: WaterState,
    door: Type.Object(
      { open: Nullable(Type.Boolean()), since: Nullable(Ms('When the door took this state')) },
      { additionalProperties: false },
    ),
    activeAlerts: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type StationSummary = Static<typeof StationSummary>;

export const StationLive = Type.Object(
  {
    ...StationSummary.properties,
    address: Type.String(),
    onlineSince: Nullable(Ms('Time of the last online/offline change')),
    offlineReason: Nullable(Type.String({ description: '"will" when the broker announced a lost agent' })),
    bootId: Nullable(Type.String()),
    ambientC: Nullable(Type.Number()),
    readings: Type.Record(Type.String(), ReadingState, { description: 'Last reading per sensor id' }),
    faults: Type.Array(ActiveFault),
    health: Nullable(AgentHealthState),
    controller: Nullable(
      Type.Object(
        { firmware: Type.String(), boardId: Type.String(), ts: Ms('HELLO time') },
        { additionalProperties: false },
      ),
    ),
    config: Nullable(
      Type.Object(
        {
          version: Type.Integer(),
          status: Type.String(),
          reason: Nullable(Type.String()),
          applied: Type.Record(Type.String(), Type.Unknown()),
          ts: Ms('Report time'),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type StationLive = Static<typeof StationLive>;
