/**
 * The riders' view of the stations (GET /api/v1/public/stations/nearby): what is free now, open
 * or closed, how fresh the numbers are, and where to navigate. Built from a snapshot of the live
 * state taken at most `maxAgeMs` ago, so thousands of phones asking at once derive each station
 * once per window; each request then only measures distances, sorts and cuts.
 *
 * Freshness uses the thresholds the fleet figures use (org/fleet.ts, one definition): a station
 * is `offline` unless it says online and was heard within the dark threshold (YIZHAN_DARK_AFTER,
 * three agent health periods); `stale` when it is online but its agent reports the serial link to
 * the sensor controller down (the station screen greys its values for the same reason). Counts
 * are given only when `live`: a number on a rider's phone is never an old one that looks current.
 */
import { toBd09, toGcj02, type LatLon } from '@yizhan/common/china-datums';
import { DEFAULT_UTC_OFFSET_MIN } from '@yizhan/station-config/hours';
import type { StationEntry } from '../registry.js';
import type { FleetFacts } from '../state/store.js';
import type { StationSummary } from '../state/schema.js';
import type { TownshipInfo } from '../org/hierarchy.js';
import { stationState } from '../org/fleet.js';
import { SCREEN_TIME_ZONE } from '../screen/screen.js';
import { bearingDeg, compassPoint, haversineM } from './geo.js';
import type { Freshness, NearbyStation, Need } from '../routes/riders/schemas.js';

/** What the snapshot reads: the registry, the live state and the townships. */
export interface RiderSources {
  stations(): readonly StationEntry[];
  summaries(): readonly StationSummary[];
  facts(stationId: string): FleetFacts | undefined;
  township(stationId: string): TownshipInfo | undefined;
  darkAfterMs: number;
}

/** A station as the snapshot holds it: everything but what depends on the rider. */
export type SnapshotStation = Omit<NearbyStation, 'distanceM' | 'bearingDeg' | 'direction' | 'has'>;

export interface Snapshot {
  at: number;
  /** By township code, then name: the order without a location. */
  stations: readonly SnapshotStation[];
}

export interface NearbyRequest {
  origin: LatLon | null;
  need: Need | null;
  township: string | null;
  limit: number;
}

/** Rounded to 6 decimals (about 0.1 m): the links stay short and show no float noise. */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** An AMap riding route to the station (GCJ-02) and a Baidu Maps marker on it (BD-09). */
export function navigationLinks(name: string, wgs: LatLon): NearbyStation['navigation'] {
  const g = toGcj02(wgs);
  const b = toBd09(wgs);
  const amap = new URL('https://uri.amap.com/navigation');
  amap.searchParams.set('to', `${r6(g.lon)},${r6(g.lat)},${name}`);
  amap.searchParams.set('mode', 'ride');
  amap.searchParams.set('coordinate', 'gaode');
  amap.searchParams.set('callnative', '1');
  amap.searchParams.set('src', 'yizhan');
  const baidu = new URL('https://api.map.baidu.com/marker');
  baidu.searchParams.set('location', `${r6(b.lat)},${r6(b.lon)}`);
  baidu.searchParams.set('title', name);
  baidu.searchParams.set('content', name);
  baidu.searchParams.set('coord_type', 'bd09ll');
  baidu.searchParams.set('output', 'html');
  baidu.searchParams.set('src', 'yizhan');
  return { amap: amap.toString(), baidu: baidu.toString() };
}

export function freshnessOf(facts: FleetFacts | undefined, now: number, darkAfterMs: number): Freshness {
  if (!facts || stationState(facts, now, darkAfterMs) !== 'online') return 'offline';
  return facts.serialUp === false ? 'stale' : 'live';
}

/** "YYYY-MM-DD" of `now` in the station files' time (China Standard Time). */
function localDate(now: number): string {
  return new Date(now + DEFAULT_UTC_OFFSET_MIN * 60_000).toISOString().slice(0, 10);
}

function view(s: StationSummary, e: StationEntry, src: RiderSources, now: number): SnapshotStation {
  const t = src.township(s.id);
  const freshness = freshnessOf(src.facts(s.id), now, src.darkAfterMs);
  const live = freshness === 'live';
  const name = e.config.name;
  return {
    id: s.id,
    name,
    nameEn: s.nameEn,
    address: e.config.address,
    township: { code: t?.code ?? s.township, name: t?.nameZh ?? s.township, nameEn: t?.nameEn ?? s.township },
    location: { lat: s.location.lat, lon: s.location.lon },
    freshness,
    dataAgeS: s.lastReading === null ? null : Math.max(0, Math.floor((now - s.lastReading) / 1000)),
    open: s.hours.open,
    hours: { text: s.hours.text, timeZone: SCREEN_TIME_ZONE, nextChange: s.hours.nextChange },
    seats: { total: s.seats.total, free: live && s.seats.free !== null ? Math.floor(s.seats.free) : null },
    sockets: { total: s.sockets.total, free: live ? s.sockets.free : null },
    water: {
      ready: live && s.water.state !== 'unknown' ? s.water.ready : null,
      tempC: live ? s.water.tempC : null,
    },
    door: { open: live ? s.door.open : null },
    navigation: navigationLinks(name, s.location),
  };
}

/** The live state as riders see it, rebuilt at most once per `maxAgeMs`. */
export class RiderSnapshots {
  private current: Snapshot | null = null;

  constructor(
    private readonly src: RiderSources,
    private readonly maxAgeMs: number,
    private readonly onBuild: () => void = () => {},
  ) {}

  at(now = Date.now()): Snapshot {
    const c = this.current;
    if (c && now - c.at < this.maxAgeMs && now >= c.at) return c;
    this.current = this.build(now);
    this.onBuild();
    return this.current;
  }

  private build(now: number): Snapshot {
    const today = localDate(now);
    const entries = new Map(this.src.stations().map((e) => [e.config.id, e]));
    const stations: SnapshotStation[] = [];
    for (const s of this.src.summaries()) {
      const e = entries.get(s.id);
      // Closed for good (its file's `closed:` date has come): not a place to send a rider.
      if (!e || (e.config.closed !== undefined && e.config.closed <= today)) continue;
      stations.push(view(s, e, this.src, now));
    }
    stations.sort(
      (a, b) => a.township.code.localeCompare(b.township.code) || a.name.localeCompare(b.name, 'zh-CN'),
    );
    return { at: now, stations };
  }
}

/** Open, live, and has what the rider needs free now. */
export function hasNeed(s: SnapshotStation, need: Need | null): boolean {
  if (!s.open || s.freshness !== 'live') return false;
  switch (need) {
    case 'seat':
      return (s.seats.free ?? 0) > 0;
    case 'socket':
      return (s.sockets.free ?? 0) > 0;
    case 'water':
      return s.water.ready === true;
    case null:
      return true;
  }
}

/** The stations for one request: those that have what was asked first, then nearest (or in snapshot order). */
export function nearby(snapshot: Snapshot, q: NearbyRequest): NearbyStation[] {
  const rows = snapshot.stations
    .filter((s) => q.township === null || s.township.code === q.township)
    .map((s, order) => {
      const d = q.origin ? haversineM(q.origin, s.location) : null;
      const bearing = q.origin && d !== null && d > 0 ? bearingDeg(q.origin, s.location) : null;
      const row: NearbyStation = {
        ...s,
        distanceM: d === null ? null : Math.round(d),
        bearingDeg: bearing === null ? null : Math.round(bearing) % 360,
        direction: bearing === null ? null : compassPoint(bearing),
        has: hasNeed(s, q.need),
      };
      return { row, order, d: d ?? 0 };
    });
  rows.sort((a, b) => Number(b.row.has) - Number(a.row.has) || a.d - b.d || a.order - b.order);
  return rows.slice(0, q.limit).map((r) => r.row);
}
