/**
 * The planners' points derived at ingest (measures.ts): `station_use` per occupancy reading while
 * the station is open, `socket_session` when a socket goes idle → charging, `turned_away` when a
 * door opens while the station is full and occupancy does not rise within TURNED_AWAY_WINDOW_MS.
 *
 * State per station is what these need: the latest occupancy, door and socket states, and the door
 * openings still inside their window. Live and replayed (historical) messages each have their own
 * chain, so an edge replay of its spool derives the same transitions at the readings' own times as
 * the live path did (each point is keyed by its time: written twice, it overwrites itself). A
 * pending opening is decided by the station's own clock: at the first message at or after the end
 * of its window; never by the server's wall clock.
 */
import type { StationEntry } from '../registry.js';
import type { Observation } from '../state/observation.js';
import { isOpenAt, localMinuteOfDay } from '@yizhan/station-config/hours';
import { socketSessionPoint, stationUsePoint, turnedAwayPoint, type Line } from '../influx/points.js';
import { SOCKET_CHARGING, SOCKET_IDLE } from '../state/derive.js';
import { NEAR_FULL_SHARE, TURNED_AWAY_WINDOW_MS } from './measures.js';
import { utcOffsetMin } from './zone.js';

interface Chain {
  occupancy: number | null;
  door: number | null;
  sockets: Map<string, number>;
  /** Times of door openings while full, oldest first, not yet decided. */
  pending: number[];
}

const newChain = (): Chain => ({ occupancy: null, door: null, sockets: new Map(), pending: [] });

/** People at or above this are "nearly full" (NEAR_FULL_SHARE of seats, rounded up). */
export const nearFullAt = (seats: number): number => Math.ceil(seats * NEAR_FULL_SHARE);

export class PlanningDeriver {
  private readonly live = new Map<string, Chain>();
  private readonly replay = new Map<string, Chain>();

  constructor(private readonly timeZone: string) {}

  /**
   * Add the derived lines of one accepted message (its checked observations, in message order) to
   * `points`. `ts` is the message time, `historical` whether the edge replayed it.
   */
  derive(entry: StationEntry, ts: number, historical: boolean, obs: readonly Observation[], points: Line[]): void {
    const chains = historical ? this.replay : this.live;
    const id = entry.config.id;
    let c = chains.get(id);
    if (!c) chains.set(id, (c = newChain()));
    this.decide(entry, c, ts, points);
    let occupancyRead = false;
    for (const o of obs) {
      if (o.type !== 'reading') continue;
      if (o.kind === 'socket_state') {
        if (c.sockets.get(o.sensor) === SOCKET_IDLE && o.value === SOCKET_CHARGING)
          points.push(socketSessionPoint(entry.config, o.sensor, o.ts));
        c.sockets.set(o.sensor, o.value);
      } else if (o.kind === 'door') {
        const seats = entry.config.seats;
        if (c.door === 0 && o.value === 1 && seats > 0 && c.occupancy !== null && c.occupancy >= seats)
          c.pending.push(o.ts);
        c.door = o.value;
      } else if (o.kind === 'occupancy') {
        if (c.occupancy !== null && o.value > c.occupancy) {
          // Each person who came in answers one opening still inside its window.
          let rise = o.value - c.occupancy;
          const left: number[] = [];
          for (const at of c.pending)
            if (rise > 0 && o.ts - at <= TURNED_AWAY_WINDOW_MS) rise--;
            else left.push(at);
          c.pending = left;
        }
        c.occupancy = o.value;
        occupancyRead = true;
      }
    }
    if (occupancyRead && c.occupancy !== null) this.use(entry, c, ts, points);
  }

  /** Openings whose window ended by `ts` without a rise: riders turned away. */
  private decide(entry: StationEntry, c: Chain, ts: number, points: Line[]): void {
    while (c.pending.length && ts - (c.pending[0] as number) > TURNED_AWAY_WINDOW_MS)
      points.push(turnedAwayPoint(entry.config, c.pending.shift() as number));
  }

  private use(entry: StationEntry, c: Chain, ts: number, points: Line[]): void {
    const st = entry.config;
    if (!isOpenAt(entry.hours, localMinuteOfDay(ts, utcOffsetMin(this.timeZone, ts)))) return;
    const occupancy = c.occupancy as number;
    let busy = 0;
    for (const v of c.sockets.values()) if (v === SOCKET_CHARGING) busy++;
    const u = {
      occupancy,
      seats: st.seats,
      full: st.seats > 0 && occupancy >= st.seats,
      nearFull: st.seats > 0 && occupancy >= nearFullAt(st.seats),
      socketsBusy: busy,
      sockets: st.sockets,
      allBusy: st.sockets > 0 && busy >= st.sockets,
      lat: st.location.lat,
      lon: st.location.lon,
    };
    points.push(stationUsePoint(st, u, ts));
  }
}
