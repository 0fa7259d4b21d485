/**
 * The station configuration file: one YAML file per station in firmware-config/stations/.
 * This TypeBox schema is the single source: the type is `Static<typeof StationConfig>`, the
 * runtime check is compiled from it (firmware-config/src/load.ts), and `npm run config:schema`
 * writes it as JSON Schema to firmware-config/station.schema.json for editors.
 *
 * `patternErrorMessage` is the text shown when a string does not match its pattern; the loader
 * uses it, and so do editors that read the JSON Schema (VS Code, yaml-language-server).
 */
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN, SENSOR_ID_PATTERN, STATION_ID_PATTERN } from '@yizhan/protocol';
import { SENSOR_KIND_NAMES as KINDS } from '@yizhan/protocol/serial';

const Duration = (description: string, dflt?: string) =>
  Type.String({
    pattern: DURATION_PATTERN,
    description,
    patternErrorMessage: 'write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
    ...(dflt ? { default: dflt } : {}),
  });

export const SensorChannel = Type.Object(
  {
    channel: Type.Integer({
      minimum: 0,
      maximum: 255,
      description: 'Channel number on the controller (0..255)',
    }),
    id: Type.String({
      pattern: SENSOR_ID_PATTERN,
      patternErrorMessage:
        'a sensor id is 1..32 lower-case letters, digits, "_" or "-", starting with a letter (e.g. "socket-3")',
      description: 'Sensor id used in MQTT and InfluxDB, unique in this station, e.g. "door", "socket-3"',
    }),
    kind: Type.Union(
      KINDS.map((k) => Type.Literal(k)),
      { description: `What the channel measures: ${KINDS.join(', ')}` },
    ),
    label: Type.Optional(
      Type.String({ maxLength: 64, description: 'Name shown to people, e.g. "3号充电口"' }),
    ),
    charges: Type.Optional(
      Type.Union([Type.Literal('ebike'), Type.Literal('phone')], {
        description:
          'socket_state channels only: what the socket charges, e-bike batteries (ebike) or phones (phone); riders see the free sockets of each',
      }),
    ),
  },
  { additionalProperties: false, description: 'One controller channel' },
);
export type SensorChannel = Static<typeof SensorChannel>;

export const SerialSettings = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description: 'Serial device, e.g. /dev/ttyYZ0 (a stable udev name) or /dev/ttyUSB0',
    }),
    baudRate: Type.Union(
      [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400].map((b) => Type.Literal(b)),
      { description: 'Line speed in bits per second', default: 115200 },
    ),
    dataBits: Type.Optional(
      Type.Union([Type.Literal(7), Type.Literal(8)], { description: 'Data bits', default: 8 }),
    ),
    parity: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], {
        description: 'Parity',
        default: 'none',
      }),
    ),
    stopBits: Type.Optional(
      Type.Union([Type.Literal(1), Type.Literal(2)], { description: 'Stop bits', default: 1 }),
    ),
    rs485: Type.Optional(
      Type.Boolean({ description: 'true when the line is RS-485 (half duplex)', default: false }),
    ),
    frameTimeout: Type.Optional(
      Duration('No frame for this long means the serial link is down (e.g. "30s")', '30s'),
    ),
  },
  { additionalProperties: false, description: 'How the edge board talks to the sensor controller' },
);
export type SerialSettings = Static<typeof SerialSettings>;

export const DispenserSettings = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 64, description: 'Hot-water dispenser model' }),
    setpointC: Type.Number({ minimum: 40, maximum: 100, description: 'Target water temperature in °C' }),
    heatingTimeout: Type.Optional(
      Duration(
        'Heater on this long without the temperature rising by minRiseC means the dispenser is broken',
        '10min',
      ),
    ),
    minRiseC: Type.Optional(
      Type.Number({
        minimum: 0.1,
        maximum: 50,
        default: 2,
        description: 'Rise in °C expected within heatingTimeout',
      }),
    ),
  },
  { additionalProperties: false, description: 'The hot-water dispenser' },
);
export type DispenserSettings = Static<typeof DispenserSettings>;

/** "HH:MM-HH:MM"; hours 00..23, and 24:00 only as the closing time. */
export const OPENING_HOURS_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d-(([01]\\d|2[0-3]):[0-5]\\d|24:00)$';
export const OpeningHours = Type.String({
  pattern: OPENING_HOURS_PATTERN,
  patternErrorMessage:
    'write opening hours as "HH:MM-HH:MM", e.g. "07:00-22:00"; "00:00-24:00" means always open',
  description:
    'Opening hours "HH:MM-HH:MM" in local time; "00:00-24:00" means always open; "22:00-06:00" crosses midnight',
});

/** A local calendar date "YYYY-MM-DD". */
export const LOCAL_DATE_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';

export const StationConfig = Type.Object(
  {
    sample: Type.Optional(
      Type.Boolean({ description: 'true marks sample data that does not describe a real station' }),
    ),
    id: Type.String({
      pattern: STATION_ID_PATTERN,
      patternErrorMessage:
        'a station id is 3..32 lower-case letters, digits or "-", starting with a letter (e.g. "st-001")',
      description: 'Station id; must equal the file name without .yaml',
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Chinese name shown on screens, e.g. "城关人民路驿站"',
    }),
    nameEn: Type.Optional(Type.String({ maxLength: 96, description: 'English name' })),
    township: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'Township (乡镇/街道) the station is in',
    }),
    address: Type.String({ minLength: 1, maxLength: 128, description: 'Street address' }),
    location: Type.Object(
      {
        lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude in degrees (WGS-84)' }),
        lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude in degrees (WGS-84)' }),
      },
      { additionalProperties: false, description: 'Where the station is' },
    ),
    seats: Type.Integer({ minimum: 0, maximum: 200, description: 'Number of seats' }),
    sockets: Type.Integer({
      minimum: 0,
      maximum: 64,
      description: 'Number of charging sockets; must match the socket_state channels',
    }),
    dispenser: DispenserSettings,
    hours: OpeningHours,
    opened: Type.Optional(
      Type.String({
        pattern: LOCAL_DATE_PATTERN,
        patternErrorMessage: 'write the opening date as "YYYY-MM-DD", e.g. "2025-06-01"',
        description: 'Date the station opened (local, "YYYY-MM-DD"); marked in the planners\' ranking',
      }),
    ),
    closed: Type.Optional(
      Type.String({
        pattern: LOCAL_DATE_PATTERN,
        patternErrorMessage: 'write the closing date as "YYYY-MM-DD", e.g. "2026-03-31"',
        description: 'Date the station closed for good (local, "YYYY-MM-DD"); marked in the planners\' ranking',
      }),
    ),
    serial: SerialSettings,
    sensors: Type.Array(SensorChannel, {
      minItems: 1,
      maxItems: 100,
      description: 'The controller channels',
    }),
  },
  {
    additionalProperties: false,
    $id: 'https://yizhan.local/schemas/station.json',
    title: 'yizhan station',
    description:
      'One 暖新驿站 (warm rest station): where it is, what it has, and the sensor channels of its controller',
  },
);
export type StationConfig = Static<typeof StationConfig>;
