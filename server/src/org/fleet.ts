/**
 * Fleet figures (F1): per township, how many stations are online, offline or dark, how many have a
 * firing alert (by rule), stale sensors, config sync and agent versions. Computed from live state
 * on demand (GET /api/v1/fleet, and /metrics at scrape time); nothing is stored.
 *
 * A station is in exactly one of three states, so stations = online + offline + dark:
 *
 * | state   | when                                                                                   |
 * | ------- | -------------------------------------------------------------------------------------- |
 * | online  | its status says online and a message arrived within `darkAfterMs`                     |
 * | dark    | its will fired (the broker saw the connection die), or it says online but has been     |
 * |         | silent longer than `darkAfterMs` (an agent sends health every 30 s, so 3 periods)       |
 * | offline | it said goodbye (clean shutdown), or nothing has been heard from it yet                |
 *
 * Stale sensors: an online station whose agent reports its serial link down (the station screen
 * shows 传感器连接中断 and greys its values). Config: `inSync` when the station reported the desired
 * version as applied, `pending` while it has not (not answered, or rejected), `never` when no
 * config was ever sent to it (as `inSync: null` of GET /api/v1/stations/:id/config).
 */
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_HEALTH_INTERVAL_MS } from '@yizhan/protocol/mqtt';
import type { FleetFacts } from '../state/store.js';
import type { TownshipInfo } from './hierarchy.js';

/** Silent for this many of the agent's health periods: dark. */
export const DARK_AFTER_PERIODS = 3;
export const DEFAULT_DARK_AFTER_MS = DARK_AFTER_PERIODS * DEFAULT_HEALTH_INTERVAL_MS;

export type StationState = 'online' | 'offline' | 'dark';
export type ConfigSync = 'inSync' | 'pending' | 'never';

const Count = (description?: string) =>
  Type.Integer({ minimum: 0, ...(description !== undefined ? { description } : {}) });
const CountMap = (description: string) => Type.Record(Type.String(), Count(), { description });

/** The fleet figures of a group of stations (the API's Counts; the web client reads its type). */
export const Counts = Type.Object(
  {
    stations: Count(),
    online: Count('Says online and heard within YIZHAN_DARK_AFTER'),
    offline: Count('Said goodbye, or never heard since the server started'),
    dark: Count('Will fired, or silent longer than YIZHAN_DARK_AFTER'),
    withAlerts: Count('Stations with a firing alert'),
    alertsByRule: CountMap('Stations with a firing alert of each rule'),
    staleSensors: Count('Online stations whose agent reports its serial link down'),
    config: Type.Object(
      {
        inSync: Count('Reported the desired version as applied'),
        pending: Count('Not yet applied, or rejected'),
        never: Count('No config was ever sent'),
      },
      { additionalProperties: false },
    ),
    agentVersions: CountMap('Stations by the agent version of their latest health report'),
  },
  { additionalProperties: false },
);
export type Counts = Static<typeof Counts>;

export interface TownshipCounts extends Counts {
  code: string;
  nameZh: string;
  nameEn: string;
}

export interface FleetInput {
  townships: readonly TownshipInfo[];
  facts: (stationId: string) => FleetFacts | undefined;
  /** The desired config version published for the station; undefined: none was ever sent. */
  desiredVersion: (stationId: string) => number | undefined;
  /** Firing alerts (the engine's public list). */
  firing: readonly { rule: string; stationId: string }[];
  now: number;
  darkAfterMs: number;
}

export function stationState(f: FleetFacts, now: number, darkAfterMs: number): StationState {
  if (f.online === true) return f.heardAt !== null && now - f.heardAt <= darkAfterMs ? 'online' : 'dark';
  if (f.online === false && f.offlineReason === 'will') return 'dark';
  return 'offline';
}

/** Whether the station runs the config the server wants it to (the config API's `inSync`). */
export function configSync(
  desiredVersion: number | undefined,
  reported: { version: number; status: string } | null,
): ConfigSync {
  if (desiredVersion === undefined) return 'never';
  return reported?.version === desiredVersion && reported.status === 'applied' ? 'inSync' : 'pending';
}

export function emptyCounts(): Counts {
  return {
    stations: 0,
    online: 0,
    offline: 0,
    dark: 0,
    withAlerts: 0,
    alertsByRule: {},
    staleSensors: 0,
    config: { inSync: 0, pending: 0, never: 0 },
    agentVersions: {},
  };
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

function addStation(
  c: Counts,
  f: FleetFacts | undefined,
  rules: Set<string> | undefined,
  i: FleetInput,
  id: string,
) {
  c.stations++;
  const state = f ? stationState(f, i.now, i.darkAfterMs) : 'offline';
  c[state]++;
  if (rules?.size) {
    c.withAlerts++;
    for (const r of rules) bump(c.alertsByRule, r);
  }
  if (state === 'online' && f?.serialUp === false) c.staleSensors++;
  c.config[configSync(i.desiredVersion(id), f?.config ?? null)]++;
  if (f?.agentVersion) bump(c.agentVersions, f.agentVersion);
}

/** Add `b` into `a`. */
function addCounts(a: Counts, b: Counts): void {
  a.stations += b.stations;
  a.online += b.online;
  a.offline += b.offline;
  a.dark += b.dark;
  a.withAlerts += b.withAlerts;
  a.staleSensors += b.staleSensors;
  for (const [k, n] of Object.entries(b.alertsByRule)) bump(a.alertsByRule, k, n);
  for (const [k, n] of Object.entries(b.config)) a.config[k as ConfigSync] += n;
  for (const [k, n] of Object.entries(b.agentVersions)) bump(a.agentVersions, k, n);
}

/** Counts of every township given, and their sum. */
export function fleetCounts(i: FleetInput): { total: Counts; townships: TownshipCounts[] } {
  const rulesByStation = new Map<string, Set<string>>();
  for (const a of i.firing) {
    let s = rulesByStation.get(a.stationId);
    if (!s) rulesByStation.set(a.stationId, (s = new Set()));
    s.add(a.rule);
  }
  const total = emptyCounts();
  const townships = i.townships.map((t) => {
    const c = emptyCounts();
    for (const id of t.stationIds) addStation(c, i.facts(id), rulesByStation.get(id), i, id);
    addCounts(total, c);
    return { code: t.code, nameZh: t.nameZh, nameEn: t.nameEn, ...c };
  });
  return { total, townships };
}
