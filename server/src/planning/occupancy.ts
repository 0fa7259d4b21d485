/**
 * The built-in demand layer: where riders already rest, from the stations' occupancy.
 *
 * Rule: each station's recent mean occupancy (people inside, the mean of its last
 * {@link OCCUPANCY_WINDOW} occupancy readings seen by the live state since the server started) is
 * spread evenly over its own H3 cell and the six around it (gridDisk k = 1), i.e. over the ~0.7 km²
 * its riders come from at resolution 9. A station with no reading yet adds nothing. The layer
 * measures demand the network already serves; it weighs the coverage figures, while the candidate
 * ranking is driven by the uncovered demand of imported layers (and rider reports later).
 */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { StationLive } from '../state/schema.js';
import type { DemandPoint, Site } from './grid.js';

export const OCCUPANCY_WINDOW = 60;

/**
 * The means as they were at one moment: what coverage is computed (and cached) from, so live
 * readings do not make every request recompute. `version` names the moment.
 */
export interface OccupancySnapshot {
  version: number;
  mean: (stationId: string) => number | undefined;
}

/** How long a snapshot is used while new readings come in, ms (DEFAULT in planning options). */
export const DEFAULT_OCCUPANCY_SNAPSHOT_MS = 60_000;

export class OccupancyMeans {
  private readonly samples = new Map<string, number[]>();
  private readonly readingAt = new Map<string, number>();
  /** Samples taken so far: a snapshot of an older count is out of date. */
  private taken = 0;
  private snap: { taken: number; at: number; means: Map<string, number> } = {
    taken: 0,
    at: -Infinity,
    means: new Map(),
  };

  /** Feed with the live state's `change` events; one sample per new sensor reading (not per status message). */
  readonly onChange = (live: StationLive): void => {
    const v = live.seats.occupied;
    if (v === null || !Number.isFinite(v) || live.lastReading === null) return;
    if (this.readingAt.get(live.id) === live.lastReading) return;
    this.readingAt.set(live.id, live.lastReading);
    const list = this.samples.get(live.id) ?? [];
    list.push(v);
    if (list.length > OCCUPANCY_WINDOW) list.shift();
    this.samples.set(live.id, list);
    this.taken++;
  };

  /**
   * The means of the last snapshot, taken anew when readings came in since and the last one is at
   * least `maxAgeMs` old (0: whenever readings came in).
   */
  snapshot(now: number, maxAgeMs: number): OccupancySnapshot {
    if (this.snap.taken !== this.taken && now - this.snap.at >= maxAgeMs) {
      const means = new Map<string, number>();
      for (const id of this.samples.keys()) means.set(id, this.mean(id)!);
      this.snap = { taken: this.taken, at: now, means };
    }
    const { taken, means } = this.snap;
    return { version: taken, mean: (id) => means.get(id) };
  }

  mean(stationId: string): number | undefined {
    const list = this.samples.get(stationId);
    return list?.length ? list.reduce((a, b) => a + b, 0) / list.length : undefined;
  }
}

/** Demand points (one per cell centre) of the stations' mean occupancy, by the rule above. */
export function occupancyDemand(
  stations: readonly Site[],
  mean: (id: string) => number | undefined,
  resolution: number,
): DemandPoint[] {
  const out: DemandPoint[] = [];
  for (const s of stations) {
    const m = mean(s.id);
    if (m === undefined || m <= 0) continue;
    const disk = gridDisk(latLngToCell(s.lat, s.lon, resolution), 1);
    for (const h of disk) {
      const [lat, lon] = cellToLatLng(h);
      out.push({ lat, lon, weight: m / disk.length });
    }
  }
  return out;
}
