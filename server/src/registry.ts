/**
 * The known stations (from firmware-config) indexed for the ingest path: station by id, sensor by id.
 * Messages for anything not in here are refused.
 */
import type { SensorChannel, StationConfig } from '../../firmware-config/src/schema.js';
import type { SensorKindName } from '../../protocol/src/serial/constants.js';

export interface StationEntry {
  config: StationConfig;
  sensors: ReadonlyMap<string, SensorChannel>;
  /** Sensor ids by kind, in channel order. */
  byKind: ReadonlyMap<SensorKindName, readonly SensorChannel[]>;
}

export class StationRegistry {
  private readonly stations = new Map<string, StationEntry>();

  constructor(configs: readonly StationConfig[]) {
    for (const config of configs) {
      if (this.stations.has(config.id)) throw new Error(`station ${config.id} is configured twice`);
      const sensors = new Map<string, SensorChannel>();
      const byKind = new Map<SensorKindName, SensorChannel[]>();
      for (const s of [...config.sensors].sort((a, b) => a.channel - b.channel)) {
        if (sensors.has(s.id)) throw new Error(`station ${config.id}: sensor id ${s.id} is used twice`);
        sensors.set(s.id, s);
        const list = byKind.get(s.kind) ?? [];
        list.push(s);
        byKind.set(s.kind, list);
      }
      this.stations.set(config.id, { config, sensors, byKind });
    }
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
