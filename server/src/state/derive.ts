/**
 * Pure functions from a station's raw last-known facts to what people look at: free seats,
 * free sockets, whether hot water is ready, door open/closed.
 */
import type { StationEntry } from '../registry.js';
import { openState } from '@yizhan/station-config/hours';
import type { SensorKindName } from '@yizhan/protocol/serial';
import type {
  ActiveFault,
  AgentHealthState,
  ReadingState,
  StationLive,
  StationSummary,
  WaterStateName,
} from './schema.js';

/** Water is "ready" from this many °C below the setpoint. */
export const WATER_READY_MARGIN_C = 5;
/** Faults that put the dispenser out of order, whatever sensor reports them. */
const DISPENSER_FAULTS = new Set(['heater_failure', 'over_temperature', 'water_empty']);
const DISPENSER_KINDS = new Set<SensorKindName>(['water_temp', 'heater', 'water_level']);

export const SOCKET_IDLE = 0;
export const SOCKET_CHARGING = 1;
export const SOCKET_TRIPPED = 2;

export interface RawStationState {
  online: boolean | null;
  onlineSince: number | null;
  statusTs: number | null;
  offlineReason: string | null;
  bootId: string | null;
  lastSeen: number | null;
  /** Latest reading or fault event: data from the sensor controller, not health or status. */
  lastReading: number | null;
  readings: Map<string, ReadingState>;
  doorSince: number | null;
  /** Active faults by `sensor/fault`. */
  faults: Map<string, ActiveFault>;
  /** Time of the last raise/clear per `sensor/fault`, to ignore out-of-order events. */
  faultTs: Map<string, number>;
  health: AgentHealthState | null;
  controller: StationLive['controller'];
  config: StationLive['config'];
}

export function emptyRawState(): RawStationState {
  return {
    online: null,
    onlineSince: null,
    statusTs: null,
    offlineReason: null,
    bootId: null,
    lastSeen: null,
    lastReading: null,
    readings: new Map(),
    doorSince: null,
    faults: new Map(),
    faultTs: new Map(),
    health: null,
    controller: null,
    config: null,
  };
}

function values(entry: StationEntry, raw: RawStationState, kind: SensorKindName): number[] {
  const out: number[] = [];
  for (const s of entry.byKind.get(kind) ?? []) {
    const r = raw.readings.get(s.id);
    if (r) out.push(r.value);
  }
  return out;
}
function first(entry: StationEntry, raw: RawStationState, kind: SensorKindName): number | null {
  return values(entry, raw, kind)[0] ?? null;
}

export function deriveWater(entry: StationEntry, raw: RawStationState): StationLive['water'] {
  const setpointC = entry.config.dispenser.setpointC;
  const tempC = first(entry, raw, 'water_temp');
  const heater = first(entry, raw, 'heater');
  const levelPct = first(entry, raw, 'water_level');
  let faulted = false;
  for (const f of raw.faults.values()) {
    const kind = entry.sensors.get(f.sensor)?.kind;
    if (DISPENSER_FAULTS.has(f.fault) || (kind !== undefined && DISPENSER_KINDS.has(kind))) faulted = true;
  }
  const ready = tempC !== null && tempC >= setpointC - WATER_READY_MARGIN_C && !faulted;
  const state: WaterStateName = faulted ? 'fault' : ready ? 'ready' : tempC === null ? 'unknown' : 'heating';
  return {
    tempC,
    setpointC,
    heaterOn: heater === null ? null : heater !== 0,
    levelPct,
    faulted,
    ready,
    state,
  };
}

export function deriveSummary(
  entry: StationEntry,
  raw: RawStationState,
  activeAlerts: number,
  now = Date.now(),
): StationSummary {
  const c = entry.config;
  const occ = values(entry, raw, 'occupancy');
  const occupied = occ.length ? occ.reduce((a, b) => a + b, 0) : null;
  const sockets = values(entry, raw, 'socket_state');
  const count = (v: number) => sockets.filter((x) => x === v).length;
  const door = first(entry, raw, 'door');
  return {
    id: c.id,
    name: c.name,
    nameEn: c.nameEn ?? null,
    township: c.township,
    location: { lat: c.location.lat, lon: c.location.lon },
    online: raw.online,
    lastSeen: raw.lastSeen,
    lastReading: raw.lastReading,
    hours: { text: c.hours, ...openState(entry.hours, now) },
    seats: { total: c.seats, occupied, free: occupied === null ? null : Math.max(0, c.seats - occupied) },
    sockets: {
      total: c.sockets,
      free: sockets.length ? count(SOCKET_IDLE) : null,
      charging: sockets.length ? count(SOCKET_CHARGING) : null,
      tripped: sockets.length ? count(SOCKET_TRIPPED) : null,
    },
    water: deriveWater(entry, raw),
    door: { open: door === null ? null : door !== 0, since: door === null ? null : raw.doorSince },
    activeAlerts,
  };
}

export function deriveLive(entry: StationEntry, raw: RawStationState, activeAlerts: number): StationLive {
  return {
    ...deriveSummary(entry, raw, activeAlerts),
    address: entry.config.address,
    onlineSince: raw.onlineSince,
    offlineReason: raw.offlineReason,
    bootId: raw.bootId,
    ambientC: first(entry, raw, 'ambient_temp'),
    // Copies: the store updates its reading objects in place.
    readings: Object.fromEntries(
      [...raw.readings].map(([id, r]) => [id, { kind: r.kind, value: r.value, ts: r.ts }]),
    ),
    faults: [...raw.faults.values()].sort((a, b) => a.since - b.since),
    health: raw.health,
    controller: raw.controller,
    config: raw.config,
  };
}
