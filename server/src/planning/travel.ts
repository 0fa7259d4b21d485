/**
 * Travel settings of the coverage grid (YIZHAN_PLANNING_* in settings.ts): the speed of each mode,
 * the road detour factor, the service-circle threshold and the H3 resolution.
 */
import type { TravelMode, TravelSettings } from './coverage-schemas.js';

export interface PlanningOptions {
  /** km/h of each mode. */
  speedKmh?: Partial<Record<TravelMode, number>>;
  /** Road distance ÷ straight-line distance. */
  detour?: number;
  thresholdMin?: number;
  resolution?: number;
  /**
   * Coverage cache (planning/coverage-cache.ts): answers kept (default 16), and how long an
   * occupancy snapshot is used while readings come in, ms (default 60 s; 0: always the latest).
   */
  cache?: { entries?: number; occupancySnapshotMs?: number };
}

/** Walking 5 km/h; an e-bike in town traffic 15 km/h (the legal top speed is 25). */
export const DEFAULT_SPEED_KMH: Record<TravelMode, number> = { walk: 5, ebike: 15 };
export const DEFAULT_DETOUR = 1.3;
export const DEFAULT_THRESHOLD_MIN = 15;
/** Resolution 9: cells of about 0.1 km², edges of about 174 m. */
export const DEFAULT_RESOLUTION = 9;
export const DEFAULT_MODE: TravelMode = 'ebike';

export function travelFor(o: PlanningOptions | undefined, mode: TravelMode = DEFAULT_MODE): TravelSettings {
  return {
    mode,
    speedKmh: o?.speedKmh?.[mode] ?? DEFAULT_SPEED_KMH[mode],
    detour: o?.detour ?? DEFAULT_DETOUR,
    thresholdMin: o?.thresholdMin ?? DEFAULT_THRESHOLD_MIN,
    resolution: o?.resolution ?? DEFAULT_RESOLUTION,
  };
}
