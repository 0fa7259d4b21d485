/**
 * MQTT payloads v1: one TypeBox schema per message. The TypeScript type is derived with
 * `Static<>`, and `validators` holds a compiled runtime check for each. All payloads are
 * UTF-8 JSON objects with `v: 1`. Messages sent by a station carry `bootId` (random per agent
 * start) and `seq` (per boot, +1 per message) so that replays can be recognised.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FAULT_NAMES, SENSOR_KIND_NAMES } from '../serial/constants.js';
import { STATION_ID_PATTERN } from './topics.js';

export const PAYLOAD_VERSION = 1;

const V = Type.Literal(PAYLOAD_VERSION, { description: 'Payload version, always 1 in v1' });
const StationId = Type.String({ pattern: STATION_ID_PATTERN, description: 'Station id, e.g. "st-001"' });
const BootId = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,64}$',
  description: 'Random id chosen when the edge agent starts; changes on every restart',
});
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Per-boot message counter' });
const Ts = Type.Integer({ minimum: 0, description: 'Unix time in milliseconds (UTC)' });
/**
 * Sensor ids: 1..32 characters, lower-case letters, digits, '_' and '-', starting with a letter. The
 * station file schema (@yizhan/station-config) checks the same rule where the ids are written.
 */
export const SENSOR_ID_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
const SensorId = Type.String({ pattern: SENSOR_ID_PATTERN, description: 'Sensor id from the station config' });
export const SensorKindSchema = Type.Union(
  SENSOR_KIND_NAMES.map((k) => Type.Literal(k)),
  { description: 'Sensor kind' },
);
export const FaultNameSchema = Type.Union(
  FAULT_NAMES.map((k) => Type.Literal(k)),
  { description: 'Fault name' },
);

/** Fields every station-originated message carries. */
const Envelope = {
  v: V,
  stationId: StationId,
  bootId: BootId,
  seq: Seq,
  ts: Ts,
};

export const StatusPayload = Type.Object(
  {
    v: V,
    stationId: StationId,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    bootId: BootId,
    ts: Ts,
    agentVersion: Type.Optional(Type.String({ maxLength: 32 })),
    reason: Type.Optional(
      Type.String({ maxLength: 64, description: '"will" when the broker published it for a lost agent' }),
    ),
  },
  { additionalProperties: false, $id: 'StatusPayload' },
);
export type StatusPayload = Static<typeof StatusPayload>;

export const Reading = Type.Object(
  {
    sensor: SensorId,
    kind: SensorKindSchema,
    value: Type.Number({ description: 'Value in engineering units (see the kind table)' }),
  },
  { additionalProperties: false },
);
export type Reading = Static<typeof Reading>;

export const TelemetryPayload = Type.Object(
  {
    ...Envelope,
    historical: Type.Optional(
      Type.Boolean({ description: 'true when replayed from the edge spool, not live' }),
    ),
    readings: Type.Array(Reading, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false, $id: 'TelemetryPayload' },
);
export type TelemetryPayload = Static<typeof TelemetryPayload>;

export const StateEvent = Type.Object(
  { type: Type.Literal('state'), sensor: SensorId, kind: SensorKindSchema, value: Type.Number() },
  { additionalProperties: false },
);
export const FaultEvent = Type.Object(
  {
    type: Type.Literal('fault'),
    sensor: SensorId,
    fault: FaultNameSchema,
    active: Type.Boolean({ description: 'true raised, false cleared' }),
  },
  { additionalProperties: false },
);
export const HelloEvent = Type.Object(
  {
    type: Type.Literal('hello'),
    firmware: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$' }),
    boardId: Type.String({ maxLength: 32 }),
    sensors: Type.Array(Type.Object({ channel: Type.Integer({ minimum: 0, maximum: 255 }), kind: Type.String() }), {
      maxItems: 100,
    }),
  },
  { additionalProperties: false },
);
export const EventBody = Type.Union([StateEvent, FaultEvent, HelloEvent]);
export type EventBody = Static<typeof EventBody>;

export const EventPayload = Type.Object(
  {
    ...Envelope,
    historical: Type.Optional(Type.Boolean()),
    event: EventBody,
  },
  { additionalProperties: false, $id: 'EventPayload' },
);
export type EventPayload = Static<typeof EventPayload>;

export const SerialLinkState = Type.Union([Type.Literal('up'), Type.Literal('down')]);
/** The largest time a JavaScript Date holds, ms. */
export const MAX_DATE_MS = 8.64e15;
export const ReportedFault = Type.Object(
  {
    sensor: SensorId,
    fault: FaultNameSchema,
    since: Type.Integer({ minimum: 0, maximum: MAX_DATE_MS, description: 'When the agent saw it raised, ms' }),
  },
  { additionalProperties: false },
);
export type ReportedFault = Static<typeof ReportedFault>;
/**
 * How often an agent publishes `health` unless told otherwise (mqtt-v1 §4.4): the server counts a
 * station that says online but has been silent for several periods as dark.
 */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;

export const HealthPayload = Type.Object(
  {
    ...Envelope,
    agentVersion: Type.String({ maxLength: 32 }),
    uptimeS: Type.Number({ minimum: 0 }),
    rssBytes: Type.Integer({ minimum: 0 }),
    cpuPct: Type.Optional(Type.Number({ minimum: 0 })),
    serial: Type.Object(
      {
        state: SerialLinkState,
        port: Type.String({ maxLength: 128 }),
        lastFrameAgeMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
        framesGood: Type.Integer({ minimum: 0 }),
        framesBad: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
    spool: Type.Optional(
      Type.Object(
        {
          depth: Type.Integer({ minimum: 0 }),
          oldestAgeMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
          dropped: Type.Integer({ minimum: 0 }),
          writeErrors: Type.Optional(
            Type.Integer({ minimum: 0, description: 'messages the disk refused (full, I/O error); held in memory' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    faults: Type.Optional(
      Type.Array(ReportedFault, {
        maxItems: 200,
        description:
          "The controller's active faults as the agent knows them; absent while the agent cannot know the whole set",
      }),
    ),
  },
  { additionalProperties: false, $id: 'HealthPayload' },
);
export type HealthPayload = Static<typeof HealthPayload>;

/** Settings the server may ask a station to apply. Every field optional: absent means "leave as is". */
export const StationRuntimeConfig = Type.Object(
  {
    readingIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    doorStuckS: Type.Optional(Type.Integer({ minimum: 10, maximum: 86400 })),
    waterSetpointC: Type.Optional(Type.Number({ minimum: 40, maximum: 100 })),
    // additionalProperties: without it a key that does not match SensorId is not checked at all.
    sensorsEnabled: Type.Optional(Type.Record(SensorId, Type.Boolean(), { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type StationRuntimeConfig = Static<typeof StationRuntimeConfig>;

export const ConfigDesiredPayload = Type.Object(
  {
    v: V,
    version: Type.Integer({ minimum: 1, description: 'Increases with every change' }),
    ts: Ts,
    config: StationRuntimeConfig,
  },
  { additionalProperties: false, $id: 'ConfigDesiredPayload' },
);
export type ConfigDesiredPayload = Static<typeof ConfigDesiredPayload>;

export const ConfigReportedPayload = Type.Object(
  {
    ...Envelope,
    version: Type.Integer({ minimum: 0, description: 'Desired version this report answers; 0 = none yet' }),
    status: Type.Union([Type.Literal('applied'), Type.Literal('rejected')]),
    reason: Type.Optional(Type.String({ maxLength: 256 })),
    applied: StationRuntimeConfig,
  },
  { additionalProperties: false, $id: 'ConfigReportedPayload' },
);
export type ConfigReportedPayload = Static<typeof ConfigReportedPayload>;

export const CommandPayload = Type.Object(
  {
    v: V,
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    ts: Ts,
    name: Type.Union([Type.Literal('ping'), Type.Literal('get_config'), Type.Literal('reboot_controller')]),
  },
  { additionalProperties: false, $id: 'CommandPayload' },
);
export type CommandPayload = Static<typeof CommandPayload>;

export const CommandResultPayload = Type.Object(
  {
    ...Envelope,
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    ok: Type.Boolean(),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false, $id: 'CommandResultPayload' },
);
export type CommandResultPayload = Static<typeof CommandResultPayload>;

/** The schema for each topic leaf. */
export const PayloadSchemas = {
  status: StatusPayload,
  telemetry: TelemetryPayload,
  events: EventPayload,
  health: HealthPayload,
  'config/desired': ConfigDesiredPayload,
  'config/reported': ConfigReportedPayload,
  cmd: CommandPayload,
  'cmd/result': CommandResultPayload,
} as const satisfies Record<string, TSchema>;
export type PayloadFor = {
  [K in keyof typeof PayloadSchemas]: Static<(typeof PayloadSchemas)[K]>;
};
