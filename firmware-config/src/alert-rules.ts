/**
 * Alert rule thresholds: the defaults every station gets, overridable per township and per station
 * in `firmware-config/alert-rules.yaml` (beside the station files):
 *
 *   defaults:                  # every station
 *     water_low: { below: 20 }
 *   townships:                 # by township code (townships.yaml)
 *     chengguan:
 *       door_stuck_open: { holdOutsideHours: 5min }
 *   stations:                  # by station id
 *     st-001:
 *       station_dark: { silentFor: 10min, severity: warning }
 *
 * A value set nowhere takes the schema default below. Station beats township beats defaults, field
 * by field. Durations carry their unit ("30s", "5min"). This TypeBox schema is the single source of
 * the type, the runtime check and the defaults; resolve() turns a station's merged settings into
 * numbers (ms) for the rules.
 */
import { Type, type Static, type TObject, type TOptional, type TPartial, type TProperties } from '@sinclair/typebox';
import { DURATION_PATTERN, parseDuration } from '@yizhan/protocol/duration';

const Duration = (description: string, dflt: string) =>
  Type.String({
    pattern: DURATION_PATTERN,
    description,
    default: dflt,
    patternErrorMessage: 'write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
  });
const Severity = (dflt: 'critical' | 'warning' | 'info') =>
  Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')], {
    default: dflt,
    description: 'critical, warning or info',
  });
const Enabled = Type.Boolean({ default: true, description: 'false: the rule never fires here' });
const Num = (description: string, dflt: number, min = 0, max = 1e9) =>
  Type.Number({ description, default: dflt, minimum: min, maximum: max });

/** One rule's settings; every rule has enabled and severity, most a for-duration and a clear time. */
function rule<P extends TProperties>(severity: 'critical' | 'warning' | 'info', props: P, description: string) {
  return Type.Object(
    { enabled: Enabled, severity: Severity(severity), ...props },
    { additionalProperties: false, description },
  );
}

export const RuleSettingsSchemas = {
  dispenser_broken: rule('critical', {}, 'Hot-water dispenser broken (heater_failure, or no warming); timings in the station file'),
  serial_link_down: rule(
    'warning',
    { for: Duration('Link reported down this long before it fires', '1min') },
    'The agent reports its serial link to the controller down',
  ),
  station_dark: rule(
    'critical',
    {
      silentFor: Duration('No message at all for this long (without a will) counts as dark', '3min'),
      for: Duration('Dark (will or silence) this long before it fires', '1min'),
      clearFor: Duration('Talking again this long before it resolves', '30s'),
    },
    'Station dark: its will fired, or no message past silentFor',
  ),
  door_stuck_open: rule(
    'warning',
    {
      holdOutsideHours: Duration('Open this long outside opening hours', '10min'),
      holdInsideHours: Duration('Open this long inside opening hours', '2h'),
      clearFor: Duration('Closed this long before it resolves', '1min'),
    },
    'Door open too long (door_stuck fault, or the door sensor open past the hold)',
  ),
  socket_fault: rule(
    'warning',
    {
      noPowerFor: Duration('A socket charging but drawing under minPowerW this long', '5min'),
      minPowerW: Num('Below this a charging socket draws "no power", W', 2),
      clearFor: Duration('Healthy this long before it resolves', '1min'),
    },
    'Charging socket tripped or faulty (socket_tripped fault, state 2, or charging with no power)',
  ),
  sensor_silent: rule(
    'warning',
    {
      silentFor: Duration('One sensor silent this long while the station talks', '10min'),
      clearFor: Duration('Reporting again this long before it resolves', '1min'),
    },
    'One sensor stopped reporting while the station still talks',
  ),
  occupancy_stuck: rule(
    'info',
    {
      sameFor: Duration('The same people count for this long', '6h'),
      busyHours: Type.String({
        pattern: '^([01]\\d|2[0-3]):[0-5]\\d-(([01]\\d|2[0-3]):[0-5]\\d|24:00)$',
        default: '07:00-21:00',
        description: 'Only a count frozen across part of this daily period counts (station local time)',
        patternErrorMessage: 'write HH:MM-HH:MM, e.g. "07:00-21:00"',
      }),
    },
    'The people counter shows the same count for many hours across a busy period',
  ),
  water_low: rule(
    'warning',
    {
      below: Num('Tank level under this fires, %', 15, 0, 100),
      clearAbove: Num('Tank level over this resolves (hysteresis), %', 25, 0, 100),
      for: Duration('Below this long before it fires', '2min'),
      clearFor: Duration('Above clearAbove this long before it resolves', '5min'),
    },
    'Dispenser tank low (water_empty fault, or the level under `below`)',
  ),
  agent_health: rule(
    'warning',
    {
      spoolDepth: Num('Spool holds more than this many messages', 50_000, 1),
      spoolOldest: Duration('Oldest spooled message older than this', '1h'),
      diskErrors: Num('Spool write errors (disk full, I/O) at or above this', 1, 1),
      clockSkew: Duration("The agent's clock off by more than this", '2min'),
      for: Duration('Unhealthy this long before it fires', '2min'),
      clearFor: Duration('Healthy this long before it resolves', '5min'),
    },
    "The agent's own health: spool near full, disk errors, clock skew",
  ),
} as const;

export type RuleName = keyof typeof RuleSettingsSchemas;
export const RULE_NAMES = Object.keys(RuleSettingsSchemas) as RuleName[];

/** Flapping damping: the same alert changing state this often in the window becomes `flapping`. */
export const FlappingSettings = Type.Object(
  {
    changes: Num('State changes (fire or resolve) in the window that make an alert flapping', 6, 2, 1000),
    window: Duration('The window the changes are counted in', '1h'),
  },
  { additionalProperties: false },
);

/** Outage: many stations dark in one minute become one incident. */
export const OutageSettings = Type.Object(
  {
    townshipStations: Num('Stations of one township dark within `within` that make one township incident', 3, 2),
    countyStations: Num('Stations dark county-wide within `within` that make one county incident', 10, 2),
    within: Duration('The window the dark stations are counted in', '1min'),
  },
  { additionalProperties: false },
);

const partial = <T extends TObject>(o: T) => Type.Partial(o, { additionalProperties: false });
const ruleOverrides = Object.fromEntries(
  RULE_NAMES.map((n) => [n, Type.Optional(partial(RuleSettingsSchemas[n]))]),
) as { [K in RuleName]: TOptional<TPartial<(typeof RuleSettingsSchemas)[K]>> };

/** Overrides of the rules' settings at one level (defaults, a township, a station). */
export const RuleOverrides = Type.Object(ruleOverrides, { additionalProperties: false });
export type RuleOverrides = Static<typeof RuleOverrides>;

export const AlertRulesFile = Type.Object(
  {
    defaults: Type.Optional(RuleOverrides),
    townships: Type.Optional(Type.Record(Type.String(), RuleOverrides, { description: 'By township code' })),
    stations: Type.Optional(Type.Record(Type.String(), RuleOverrides, { description: 'By station id' })),
    flapping: Type.Optional(partial(FlappingSettings)),
    outage: Type.Optional(partial(OutageSettings)),
  },
  { additionalProperties: false, $id: 'AlertRulesFile' },
);
export type AlertRulesFile = Static<typeof AlertRulesFile>;

/** A rule's settings as written (durations as text), every field present. */
export type RuleSettingsText = { [K in RuleName]: Static<(typeof RuleSettingsSchemas)[K]> };

/** Durations turned into ms: a property `holdOutsideHours` becomes `holdOutsideHoursMs`. */
type Resolved<T> = {
  [K in keyof T as T[K] extends string
    ? K extends 'severity' | 'busyHours'
      ? K
      : `${K & string}Ms`
    : K]: T[K] extends string ? (K extends 'severity' | 'busyHours' ? T[K] : number) : T[K];
};
/** What a rule reads for one station: every field present, durations in ms. */
export type Thresholds = { [K in RuleName]: Resolved<RuleSettingsText[K]> };

function defaultsOf(o: TObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(o.properties)) out[k] = (s as { default?: unknown }).default;
  return out;
}

function toMs(rule: string, settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (typeof v === 'string' && k !== 'severity' && k !== 'busyHours') {
      const d = parseDuration(v);
      if (!d.ok) throw new Error(`alert rule ${rule}.${k}: ${d.message}`);
      out[`${k}Ms`] = d.ms;
    } else out[k] = v;
  }
  return out;
}

/**
 * One station's thresholds: schema defaults ← file defaults ← its township ← the station, field by
 * field, durations in ms. The file must have passed the schema check (load); a bad duration throws.
 */
export function resolveThresholds(
  file: AlertRulesFile,
  stationId: string,
  townshipCode: string | undefined,
): Thresholds {
  const levels = [
    file.defaults,
    townshipCode === undefined ? undefined : file.townships?.[townshipCode],
    file.stations?.[stationId],
  ];
  const out: Record<string, unknown> = {};
  for (const name of RULE_NAMES) {
    const merged: Record<string, unknown> = defaultsOf(RuleSettingsSchemas[name]);
    for (const l of levels) Object.assign(merged, (l as Record<string, object> | undefined)?.[name] ?? {});
    out[name] = toMs(name, merged);
  }
  return out as Thresholds;
}

/** The schema's defaults alone, for stations when no file is configured. */
export const DEFAULT_THRESHOLDS: Thresholds = resolveThresholds({}, '', undefined);

export interface FlappingThresholds {
  changes: number;
  windowMs: number;
}
export interface OutageThresholds {
  townshipStations: number;
  countyStations: number;
  withinMs: number;
}

export function resolveFlapping(file: AlertRulesFile): FlappingThresholds {
  const f = { ...defaultsOf(FlappingSettings), ...file.flapping } as { changes: number; window: string };
  return { changes: f.changes, windowMs: toMs('flapping', { window: f.window }).windowMs as number };
}

export function resolveOutage(file: AlertRulesFile): OutageThresholds {
  const o = { ...defaultsOf(OutageSettings), ...file.outage } as {
    townshipStations: number;
    countyStations: number;
    within: string;
  };
  return {
    townshipStations: o.townshipStations,
    countyStations: o.countyStations,
    withinMs: toMs('outage', { within: o.within }).withinMs as number,
  };
}
