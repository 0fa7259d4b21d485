/**
 * The township a rider's report belongs to, i.e. whose grid staff triage it: its station's, or,
 * for a street problem given by location, the township of the nearest station (great-circle
 * distance, riders/geo.ts): the stations are where the townships' staff are.
 */
import type { LatLon } from '@yizhan/common/china-datums';
import { haversineM } from '../riders/geo.js';

export interface PlacedStation {
  id: string;
  location: LatLon;
  township: string | undefined;
}

export function nearestTownship(stations: Iterable<PlacedStation>, at: LatLon): string | undefined {
  let best: { d: number; township: string } | undefined;
  for (const s of stations) {
    if (s.township === undefined) continue;
    const d = haversineM(at, s.location);
    if (!best || d < best.d) best = { d, township: s.township };
  }
  return best?.township;
}
