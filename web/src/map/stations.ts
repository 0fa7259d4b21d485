/**
 * The stations a planning map draws: those of the townships the reader sees (the public station
 * list names a station's township by its Chinese name), or of the one township picked.
 */
import type { StationSummary, TownshipName } from '../api/types';
import type { MapPoint } from '../components/planning/map-point';

export function stationPoints(stations: readonly StationSummary[], mine: readonly TownshipName[], code: string): MapPoint[] {
  const names = new Set(mine.filter((t) => !code || t.code === code).map((t) => t.nameZh));
  return stations
    .filter((s) => names.has(s.township))
    .map((s) => ({ id: s.id, name: s.name, lat: s.location.lat, lon: s.location.lon }));
}
