/**
 * Live state of every station, in memory. The ingest path calls `apply()` with checked
 * observations; the store keeps the newest fact per sensor (`applyObservations` of
 * @yizhan/screen/derive, the rules the board's screen follows too) and emits one `change` per
 * applied message.
 */
import { EventEmitter } from 'node:events';
import type { StationRegistry } from '../registry.js';
import type { Observation } from '@yizhan/screen/observation';
import {
  applyObservations,
  deriveLive,
  deriveSummary,
  emptyRawState,
  type RawStationState,
} from '@yizhan/screen/derive';
import type { ActiveFault, StationLive, StationSummary } from '@yizhan/screen/schema';

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
  /** Stations whose latest status says online, kept as statuses apply (not counted per message). */
  private online = 0;

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
    const wasOnline = raw.online === true;
    const live = applyObservations(entry, raw, observations);
    if (wasOnline !== (raw.online === true)) this.online += wasOnline ? -1 : 1;
    if (live.some((o) => o.type === 'status')) this.onOnlineCount(this.online);
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

  /** Stations whose latest status says online. */
  onlineCount(): number {
    return this.online;
  }
}
