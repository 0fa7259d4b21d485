/**
 * The known stations (from firmware-config) indexed for the ingest path: station by id, sensor by id.
 * Messages for anything not in here are refused.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationView, type StationView } from '@yizhan/screen/derive';
import { sensorHead, stationHead } from './influx/points.js';

export interface StationEntry extends StationView {
  /** Line protocol of a reading from its station tags to `value=` (points.ts stationHead). */
  stationHead: string;
}

export class StationRegistry {
  private readonly stations = new Map<string, StationEntry>();
  /** points.ts sensorHead by sensor id and kind, for every configured pair (shared by stations). */
  private readonly sensorHeads = new Map<string, Map<string, string>>();

  constructor(configs: readonly StationConfig[]) {
    for (const config of configs) {
      if (this.stations.has(config.id)) throw new Error(`station ${config.id} is configured twice`);
      const view = stationView(config);
      for (const s of view.sensors.values()) {
        let kinds = this.sensorHeads.get(s.id);
        if (!kinds) this.sensorHeads.set(s.id, (kinds = new Map<string, string>()));
        if (!kinds.has(s.kind)) kinds.set(s.kind, sensorHead(s.id, s.kind));
      }
      this.stations.set(config.id, { ...view, stationHead: stationHead(config) });
    }
  }

  /**
   * The line of a reading up to its value (points.ts readingHead), built from strings made once;
   * undefined unless the station has this sensor with this kind.
   */
  readingHead(entry: StationEntry, sensor: string, kind: string): string | undefined {
    if (entry.sensors.get(sensor)?.kind !== kind) return undefined;
    const head = this.sensorHeads.get(sensor)?.get(kind);
    return head === undefined ? undefined : head + entry.stationHead;
  }

  get(id: string): StationEntry | undefined {
    return this.stations.get(id);
  }
  has(id: string): boolean {
    return this.stations.has(id);
  }
  get size(): number {
    return this.stations.size;
  }
  all(): StationEntry[] {
    return [...this.stations.values()].sort((a, b) => a.config.id.localeCompare(b.config.id));
  }
}
