/**
 * The riders' view of the stations (GET /api/v1/public/stations/nearby): what is free now, open
 * or closed, how fresh the numbers are, and where to navigate. Built from a snapshot of the live
 * state taken at most `maxAgeMs` ago, so thousands of phones asking at once derive each station
 * once per window; each request then measures one distance per station and keeps the best few.
 *
 * Freshness is state/freshness.ts (the fleet's dark threshold and the agent's serial link). Counts
 * are given only when `live`: a number on a rider's phone is never an old one that looks current.
 */
import { toBd09, toGcj02, type LatLon } from '@yizhan/common/china-datums';
import { DEFAULT_UTC_OFFSET_MIN } from '@yizhan/station-config/hours';
import type { StationEntry } from '../registry.js';
import type { FleetFacts } from '../state/store.js';
import type { StationSummary } from '../state/schema.js';
import type { TownshipInfo } from '../org/hierarchy.js';
import { freshnessOf } from '../state/freshness.js';
import { SOCKET_IDLE } from '../state/derive.js';
import { SCREEN_TIME_ZONE } from '@yizhan/screen/page';
import { bearingDeg, compassPoint, haversineM } from './geo.js';
import type { NearbyStation, Need } from '../routes/riders/schemas.js';

/** What the snapshot reads: the registry, the live state and the townships. */
export interface RiderSources {
  stations(): readonly StationEntry[];
  summaries(): readonly StationSummary[];
  facts(stationId: string): FleetFacts | undefined;
  /** The latest value of one sensor. */
  reading(stationId: string, sensorId: string): number | undefined;
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
  /** A station left out (the one whose screen asks for its neighbours). */
  exclude: string | null;
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

/** "YYYY-MM-DD" of `now` in the station files' time (China Standard Time). */
function localDate(now: number): string {
  return new Date(now + DEFAULT_UTC_OFFSET_MIN * 60_000).toISOString().slice(0, 10);
}

/** What does not change while the process runs: names, place, township, navigation links. */
type FixedPart = Pick<
  SnapshotStation,
  'id' | 'name' | 'nameEn' | 'address' | 'township' | 'location' | 'navigation'
>;

function fixedPart(e: StationEntry, t: TownshipInfo | undefined): FixedPart {
  const c = e.config;
  return {
    id: c.id,
    name: c.name,
    nameEn: c.nameEn ?? null,
    address: c.address,
    township: { code: t?.code ?? c.township, name: t?.nameZh ?? c.township, nameEn: t?.nameEn ?? c.township },
    location: { lat: c.location.lat, lon: c.location.lon },
    navigation: navigationLinks(c.name, c.location),
  };
}

/** Sensor ids of the sockets whose station file says what they charge. */
interface SocketGroups {
  ebike: readonly string[];
  phone: readonly string[];
}

function socketGroups(e: StationEntry): SocketGroups {
  const of = (what: 'ebike' | 'phone') =>
    e.config.sensors.filter((c) => c.kind === 'socket_state' && c.charges === what).map((c) => c.id);
  return { ebike: of('ebike'), phone: of('phone') };
}

/** Idle sockets of one group: null (no such sockets), or a count (null until live readings). */
function groupCount(ids: readonly string[], live: boolean, value: (sensorId: string) => number | undefined) {
  if (ids.length === 0) return null;
  if (!live) return { total: ids.length, free: null };
  let known = 0;
  let idle = 0;
  for (const id of ids) {
    const v = value(id);
    if (v === undefined) continue;
    known++;
    if (v === SOCKET_IDLE) idle++;
  }
  return { total: ids.length, free: known ? idle : null };
}

interface LiveInput {
  s: StationSummary;
  groups: SocketGroups;
  now: number;
  src: RiderSources;
}

function livePart({ s, groups, now, src }: LiveInput) {
  const freshness = freshnessOf(src.facts(s.id), now, src.darkAfterMs);
  const live = freshness === 'live';
  const value = (sensorId: string) => src.reading(s.id, sensorId);
  return {
    freshness,
    dataAgeS: s.lastReading === null ? null : Math.max(0, Math.floor((now - s.lastReading) / 1000)),
    open: s.hours.open,
    hours: { text: s.hours.text, timeZone: SCREEN_TIME_ZONE, nextChange: s.hours.nextChange },
    seats: { total: s.seats.total, free: live && s.seats.free !== null ? Math.floor(s.seats.free) : null },
    sockets: {
      total: s.sockets.total,
      free: live ? s.sockets.free : null,
      ebike: groupCount(groups.ebike, live, value),
      phone: groupCount(groups.phone, live, value),
    },
    water: {
      ready: live && s.water.state !== 'unknown' ? s.water.ready : null,
      tempC: live ? s.water.tempC : null,
    },
    door: { open: live ? s.door.open : null },
  };
}

/** The live state as riders see it, rebuilt at most once per `maxAgeMs`. */
export class RiderSnapshots {
  private current: Snapshot | null = null;
  /** By station id: its fixed part and its place in the township-and-name order. */
  private fixed: Map<
    string,
    { entry: StationEntry; part: FixedPart; groups: SocketGroups; order: number }
  > | null = null;

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

  private fixedParts() {
    if (this.fixed) return this.fixed;
    const collator = new Intl.Collator('zh-CN');
    const parts = this.src.stations().map((entry) => ({
      entry,
      part: fixedPart(entry, this.src.township(entry.config.id)),
      groups: socketGroups(entry),
    }));
    parts.sort(
      (a, b) =>
        (a.part.township.code < b.part.township.code
          ? -1
          : a.part.township.code > b.part.township.code
            ? 1
            : 0) || collator.compare(a.part.name, b.part.name),
    );
    this.fixed = new Map(parts.map((p, order) => [p.entry.config.id, { ...p, order }]));
    return this.fixed;
  }

  private build(now: number): Snapshot {
    const today = localDate(now);
    const fixed = this.fixedParts();
    const slots: (SnapshotStation | undefined)[] = new Array<SnapshotStation | undefined>(fixed.size);
    for (const s of this.src.summaries()) {
      const f = fixed.get(s.id);
      // Closed for good (its file's `closed:` date has come): not a place to send a rider.
      if (!f || (f.entry.config.closed !== undefined && f.entry.config.closed <= today)) continue;
      slots[f.order] = { ...f.part, ...livePart({ s, groups: f.groups, now, src: this.src }) };
    }
    return { at: now, stations: slots.filter((x): x is SnapshotStation => x !== undefined) };
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

interface Candidate {
  s: SnapshotStation;
  has: boolean;
  /** Metres; 0 without a location. */
  d: number;
  order: number;
}

/** Whether `a` goes before `b`: has what was asked, then nearer, then township-and-name order. */
function before(a: Candidate, b: Candidate): boolean {
  if (a.has !== b.has) return a.has;
  if (a.d !== b.d) return a.d < b.d;
  return a.order < b.order;
}

/**
 * The stations for one request: those that have what was asked first, then nearest (or in
 * township-and-name order). One pass keeping the best `limit` (≤ 50), so a request costs one
 * distance per station and no sort of the whole fleet.
 */
export function nearby(snapshot: Snapshot, q: NearbyRequest): NearbyStation[] {
  const best: Candidate[] = [];
  const all = snapshot.stations;
  for (let order = 0; order < all.length; order++) {
    const s = all[order]!;
    if ((q.township !== null && s.township.code !== q.township) || s.id === q.exclude) continue;
    const c: Candidate = {
      s,
      has: hasNeed(s, q.need),
      d: q.origin ? haversineM(q.origin, s.location) : 0,
      order,
    };
    if (best.length === q.limit && !before(c, best[best.length - 1]!)) continue;
    let i = best.length;
    while (i > 0 && before(c, best[i - 1]!)) i--;
    best.splice(i, 0, c);
    if (best.length > q.limit) best.pop();
  }
  return best.map(({ s, has, d }) => {
    const bearing = q.origin && d > 0 ? bearingDeg(q.origin, s.location) : null;
    return {
      ...s,
      distanceM: q.origin ? Math.round(d) : null,
      bearingDeg: bearing === null ? null : Math.round(bearing) % 360,
      direction: bearing === null ? null : compassPoint(bearing),
      has,
    };
  });
}
