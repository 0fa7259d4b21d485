/**
 * The nearby stations a station's screen shows (side.ts draws them): its request to the riders'
 * nearest-stations API, how often it asks and when an answer counts as old. Shared by the
 * server's screen, the board's screen and the board's copy (edge/src/screen/nearby-copy.ts).
 */
import type { Lang } from './text.js';

/** Stations shown at most: three rows stay readable from 3 m beside the tiles. */
export const NEARBY_LIMIT = 3;
/** How often the page (and the board) asks for the nearby answer. */
export const NEARBY_POLL_MS = 30_000;
/** An answer older than this is shown greyed with its age: four missed asks. */
export const DEFAULT_NEARBY_STALE_MS = 120_000;

export interface NearbyBlockOptions {
  /** Where the page asks (nearbyPath on the server, the same path on the board). */
  url: string;
  staleMs: number;
  pollMs: number;
}

/** The riders' nearest-stations API (server/src/routes/riders), which the board answers too. */
export const NEARBY_PATH = '/api/v1/public/stations/nearby';

/** The nearest-stations request of a station's screen. */
export function nearbyPath(stationId: string, lang: Lang): string {
  const q = new URLSearchParams({ near: stationId, need: 'socket', limit: String(NEARBY_LIMIT), lang });
  return `${NEARBY_PATH}?${q.toString()}`;
}

/** Poll interval for a staleness limit: at least four asks before an answer turns grey. */
export function nearbyPollMs(staleMs: number): number {
  return Math.max(1000, Math.min(NEARBY_POLL_MS, Math.floor(staleMs / 4)));
}
