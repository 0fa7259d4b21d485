/**
 * The stations of the townships the reader sees (the public station list names a station's
 * township by its Chinese name), or of the one township picked: what a planning map draws and what
 * the notices form offers.
 */
import type { StationSummary, TownshipName } from '../api/types';
import type { MapPoint } from '../components/planning/map-point';

/** The stations of `mine` (all of them, or only township `code` when one is given), each with its township's code. */
export function stationsIn(
  stations: readonly StationSummary[],
  mine: readonly TownshipName[],
  code = '',
): (StationSummary & { townshipCode: string })[] {
  const codeOf = new Map(mine.filter((t) => !code || t.code === code).map((t) => [t.nameZh, t.code]));
  return stations.flatMap((s) => {
    const townshipCode = codeOf.get(s.township);
    return townshipCode === undefined ? [] : [{ ...s, townshipCode }];
  });
}

export function stationPoints(stations: readonly StationSummary[], mine: readonly TownshipName[], code: string): MapPoint[] {
  return stationsIn(stations, mine, code).map((s) => ({ id: s.id, name: s.name, lat: s.location.lat, lon: s.location.lon }));
}
