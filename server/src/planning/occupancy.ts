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

export class OccupancyMeans {
  private readonly samples = new Map<string, number[]>();
  private readonly readingAt = new Map<string, number>();

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
  };

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
