/**
 * Live state of every station, in memory. The ingest path calls `apply()` with checked
 * observations; the store keeps the newest fact per sensor (by the station's timestamp, so a late
 * or replayed message never overwrites a newer one) and emits one `change` per applied message.
 */
import { EventEmitter } from 'node:events';
import type { StationRegistry } from '../registry.js';
import type { Observation } from './observation.js';
import { deriveLive, deriveSummary, emptyRawState, type RawStationState } from './derive.js';
import type { ActiveFault, StationLive, StationSummary } from './schema.js';

export interface StateEvents {
  /** A station's state changed; carries the full new state. */
  change: [StationLive];
}

/** What fleet figures need of one station, without deriving its whole live view. */
export interface FleetFacts {
  online: boolean | null;
  offlineReason: string | null;
  /** Server time (ms) the station's latest message arrived; null: none since the server started. */
  heardAt: number | null;
  agentVersion: string | null;
  serialUp: boolean | null;
  config: { version: number; status: string } | null;
}

export class StateStore extends EventEmitter<StateEvents> {
  private readonly raw = new Map<string, RawStationState>();
  /** Arrival time of each station's latest message, by the server's clock (a station's own clock may be off). */
  private readonly heardAt = new Map<string, number>();
  private alertCount: (stationId: string) => number = () => 0;

  constructor(
    private readonly registry: StationRegistry,
    private readonly onOnlineCount: (n: number) => void = () => {},
  ) {
    super();
    for (const e of registry.all()) this.raw.set(e.config.id, emptyRawState());
    // Many SSE clients may listen; each removes itself on disconnect.
    this.setMaxListeners(0);
  }

  /** Where active alert counts come from (the alert engine); set once at start. */
  useAlertCount(fn: (stationId: string) => number): void {
    this.alertCount = fn;
  }

  /**
   * Apply the observations of one message. Returns those that were newer than what was known
   * (the "live" ones, which alert rules may evaluate); older ones only went to InfluxDB.
   */
  apply(stationId: string, observations: readonly Observation[]): Observation[] {
    const entry = this.registry.get(stationId);
    const raw = this.raw.get(stationId);
    if (!entry || !raw) return [];
    this.heardAt.set(stationId, Date.now());
    const live: Observation[] = [];
    for (const o of observations) {
      if (raw.lastSeen === null || o.ts > raw.lastSeen) raw.lastSeen = o.ts;
      if (
        (o.type === 'reading' || o.type === 'fault') &&
        (raw.lastReading === null || o.ts > raw.lastReading)
      )
        raw.lastReading = o.ts;
      if (this.applyOne(entry.sensors.get('sensor' in o ? o.sensor : '')?.kind === 'door', raw, o))
        live.push(o);
    }
    // Deriving the full view costs more than applying; at province scale nobody may be watching.
    if (this.listenerCount('change') > 0)
      this.emit('change', deriveLive(entry, raw, this.alertCount(stationId)));
    return live;
  }

  /** The station's active faults by `sensor/fault` (read-only view of live state). */
  activeFaults(stationId: string): ReadonlyMap<string, ActiveFault> | undefined {
    return this.raw.get(stationId)?.faults;
  }

  /**
   * Faults known active from before a server restart (InfluxDB): set unless the station already
   * said otherwise. Nothing else changes (not lastSeen: no message arrived). Returns those set.
   */
  restoreFaults(stationId: string, faults: readonly ActiveFault[]): ActiveFault[] {
    const raw = this.raw.get(stationId);
    if (!raw) return [];
    const set: ActiveFault[] = [];
    for (const f of faults) {
      const key = `${f.sensor}/${f.fault}`;
      if (raw.faultTs.has(key)) continue;
      raw.faultTs.set(key, f.since);
      raw.faults.set(key, { ...f });
      set.push(f);
    }
    return set;
  }

  /** Re-announce a station (e.g. its alert count changed). */
  touch(stationId: string): void {
    const s = this.live(stationId);
    if (s) this.emit('change', s);
  }

  live(stationId: string): StationLive | undefined {
    const entry = this.registry.get(stationId);
    const raw = this.raw.get(stationId);
    if (!entry || !raw) return undefined;
    return deriveLive(entry, raw, this.alertCount(stationId));
  }

  /** The latest value of one sensor; undefined before its first reading. */
  readingValue(stationId: string, sensorId: string): number | undefined {
    return this.raw.get(stationId)?.readings.get(sensorId)?.value;
  }

  fleetFacts(stationId: string): FleetFacts | undefined {
    const raw = this.raw.get(stationId);
    if (!raw) return undefined;
    return {
      online: raw.online,
      offlineReason: raw.offlineReason,
      heardAt: this.heardAt.get(stationId) ?? null,
      agentVersion: raw.health?.agentVersion ?? null,
      serialUp: raw.health ? raw.health.serialUp : null,
      config: raw.config ? { version: raw.config.version, status: raw.config.status } : null,
    };
  }

  summaries(): StationSummary[] {
    return this.registry
      .all()
      .map((e) =>
        deriveSummary(e, this.raw.get(e.config.id) ?? emptyRawState(), this.alertCount(e.config.id)),
      );
  }

  onlineCount(): number {
    let n = 0;
    for (const r of this.raw.values()) if (r.online) n++;
    return n;
  }

  private applyOne(isDoor: boolean, raw: RawStationState, o: Observation): boolean {
    switch (o.type) {
      case 'reading': {
        const prev = raw.readings.get(o.sensor);
        if (prev && o.ts < prev.ts) return false;
        if (isDoor && (!prev || prev.value !== o.value)) raw.doorSince = o.ts;
        // Updated in place: at province scale a new object per reading outlives young-generation
        // GC (until the station's next message) and piles up in the old generation. Raw state
        // never leaves the store (deriveLive copies), so nobody sees it change.
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
        this.onOnlineCount(this.onlineCount());
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
}
