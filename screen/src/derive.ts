/**
 * Pure functions from a station's raw last-known facts to what people look at: free seats,
 * free sockets, whether hot water is ready, door open/closed. The server keeps one raw state per
 * station (its state store); the board keeps its own station's (the edge agent's local screen):
 * both apply observations with `applyObservation` and show `deriveLive`, so one screen reads the
 * same everywhere.
 */
import { openState, parseOpeningHours, type OpeningHours } from '@yizhan/station-config/hours';
import type { SensorChannel, StationConfig } from '@yizhan/station-config/schema';
import type { SensorKindName } from '@yizhan/protocol/serial';
import type { Observation } from './observation.js';
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

/** What deriving needs of a station's file: the file, its sensors by id and by kind, its hours parsed. */
export interface StationView {
  config: StationConfig;
  sensors: ReadonlyMap<string, SensorChannel>;
  /** Sensor ids by kind, in channel order. */
  byKind: ReadonlyMap<SensorKindName, readonly SensorChannel[]>;
  hours: OpeningHours;
}

/** A station file indexed for deriving; throws on a sensor id used twice. */
export function stationView(config: StationConfig): StationView {
  const sensors = new Map<string, SensorChannel>();
  const byKind = new Map<SensorKindName, SensorChannel[]>();
  for (const s of [...config.sensors].sort((a, b) => a.channel - b.channel)) {
    if (sensors.has(s.id)) throw new Error(`station ${config.id}: sensor id ${s.id} is used twice`);
    sensors.set(s.id, s);
    const list = byKind.get(s.kind) ?? [];
    list.push(s);
    byKind.set(s.kind, list);
  }
  return { config, sensors, byKind, hours: parseOpeningHours(config.hours) };
}

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

function values(entry: StationView, raw: RawStationState, kind: SensorKindName): number[] {
  const out: number[] = [];
  for (const s of entry.byKind.get(kind) ?? []) {
    const r = raw.readings.get(s.id);
    if (r) out.push(r.value);
  }
  return out;
}
function first(entry: StationView, raw: RawStationState, kind: SensorKindName): number | null {
  return values(entry, raw, kind)[0] ?? null;
}

export function deriveWater(entry: StationView, raw: RawStationState): StationLive['water'] {
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
  entry: StationView,
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

export function deriveLive(entry: StationView, raw: RawStationState, activeAlerts: number): StationLive {
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

/**
 * Apply the observations of one message to a station's raw state. Keeps the newest fact per
 * sensor by the station's timestamp, so a late or replayed message never overwrites a newer one.
 * Returns the observations that were newer than what was known (the live ones).
 */
export function applyObservations(
  view: StationView,
  raw: RawStationState,
  observations: readonly Observation[],
): Observation[] {
  const live: Observation[] = [];
  for (const o of observations) {
    if (raw.lastSeen === null || o.ts > raw.lastSeen) raw.lastSeen = o.ts;
    if ((o.type === 'reading' || o.type === 'fault') && (raw.lastReading === null || o.ts > raw.lastReading))
      raw.lastReading = o.ts;
    if (applyOne(view.sensors.get('sensor' in o ? o.sensor : '')?.kind === 'door', raw, o)) live.push(o);
  }
  return live;
}

function applyOne(isDoor: boolean, raw: RawStationState, o: Observation): boolean {
  switch (o.type) {
    case 'reading': {
      const prev = raw.readings.get(o.sensor);
      if (prev && o.ts < prev.ts) return false;
      if (isDoor && (!prev || prev.value !== o.value)) raw.doorSince = o.ts;
      // Updated in place: at province scale a new object per reading outlives young-generation
      // GC (until the station's next message) and piles up in the old generation. Raw state
      // never leaves its keeper (deriveLive copies), so nobody sees it change.
      if (prev) {
        prev.kind = o.kind;
        prev.value = o.value;
        prev.ts = o.ts;
      } else raw.readings.set(o.sensor, { kind: o.kind, value: o.value, ts: o.ts });
      return true;
    }
    case 'fault': {
      const key = `${o.sensor}/${o.fault}`;
      const last = raw.faultTs.get(key);
      if (last !== undefined && o.ts < last) return false;
      raw.faultTs.set(key, o.ts);
      if (o.active) {
        if (!raw.faults.has(key)) raw.faults.set(key, { sensor: o.sensor, fault: o.fault, since: o.ts });
      } else raw.faults.delete(key);
      return true;
    }
    case 'status': {
      // A will prepared by an older connection may arrive after the new connection said online;
      // the will of the current connection has the same ts as its online message (mqtt-v1 §1).
      if (raw.statusTs !== null && o.ts < raw.statusTs) return false;
      if (raw.online !== o.online) raw.onlineSince = o.at ?? o.ts;
      raw.online = o.online;
      raw.statusTs = o.ts;
      raw.bootId = o.bootId;
      raw.offlineReason = o.online ? null : (o.reason ?? null);
      return true;
    }
    case 'health': {
      if (raw.health && o.ts < raw.health.ts) return false;
      const h = o.health;
      raw.health = {
        ts: h.ts,
        agentVersion: h.agentVersion,
        uptimeS: h.uptimeS,
        rssBytes: h.rssBytes,
        serialUp: h.serial.state === 'up',
        serialPort: h.serial.port,
        lastFrameAgeMs: h.serial.lastFrameAgeMs,
        framesGood: h.serial.framesGood,
        framesBad: Object.values(h.serial.framesBad).reduce((a, b) => a + b, 0),
        spoolDepth: h.spool?.depth ?? null,
        spoolDropped: h.spool?.dropped ?? null,
      };
      return true;
    }
    case 'hello':
      if (raw.controller && o.ts < raw.controller.ts) return false;
      raw.controller = { firmware: o.firmware, boardId: o.boardId, ts: o.ts };
      return true;
    case 'config': {
      if (raw.config && o.ts < raw.config.ts) return false;
      const r = o.reported;
      raw.config = {
        version: r.version,
        status: r.status,
        reason: r.reason ?? null,
        applied: { ...r.applied },
        ts: r.ts,
      };
      return true;
    }
  }
}
