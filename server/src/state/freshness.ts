/**
 * Whether a station's live numbers may be shown as current: one definition for every public view
 * (the riders' nearby answer now; the station screen and kiosk should read the same). It builds on
 * the fleet's station state (org/fleet.ts): `offline` unless the station says online and was heard
 * within the dark threshold (YIZHAN_DARK_AFTER, three agent health periods); `stale` when online
 * but its agent reports the serial link to the sensor controller down (the screen greys its
 * values then); `live` otherwise.
 */
import { stationState } from '../org/fleet.js';
import type { FleetFacts } from './store.js';

export type Freshness = 'live' | 'stale' | 'offline';

export function freshnessOf(facts: FleetFacts | undefined, now: number, darkAfterMs: number): Freshness {
  if (!facts || stationState(facts, now, darkAfterMs) !== 'online') return 'offline';
  return facts.serialUp === false ? 'stale' : 'live';
}
