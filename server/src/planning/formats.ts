/**
 * CSV and GeoJSON of stations, coverage cells and candidate sites (the exports and
 * `GET /api/v1/planning/coverage?format=`). CSV as the audit export writes it: UTF-8 with a BOM,
 * CRLF, RFC 4180 quoting, formula guard. GeoJSON coordinates are WGS-84 [lon, lat]; coverage cells
 * are their hexagons.
 */
import { CSV_BOM, csvCell } from '../org/audit-csv.js';
import { hexagonRing } from './grid.js';
import type { CoverageCell } from './coverage-schemas.js';

type Cell = string | number | boolean | null;

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const line = (r: readonly Cell[]) =>
    r.map((v) => csvCell(typeof v === 'boolean' ? (v ? 1 : 0) : v)).join(',');
  return CSV_BOM + [line(header), ...rows.map(line)].join('\r\n') + '\r\n';
}

interface Feature {
  type: 'Feature';
  geometry:
    { type: 'Point'; coordinates: [number, number] } | { type: 'Polygon'; coordinates: [number, number][][] };
  properties: Record<string, Cell>;
}
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
}

export function pointsGeoJson<T extends { lat: number; lon: number }>(
  items: readonly T[],
  props: (t: T) => Record<string, Cell>,
): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: items.map((t) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [t.lon, t.lat] },
      properties: props(t),
    })),
  };
}

export const COVERAGE_COLUMNS = ['h3', 'lat', 'lon', 'minutes', 'station_id', 'demand', 'covered'] as const;

export function coverageCsv(cells: readonly CoverageCell[]): string {
  return toCsv(
    COVERAGE_COLUMNS,
    cells.map((c) => [c.h3, c.lat, c.lon, c.minutes, c.stationId, c.demand, c.covered]),
  );
}

export function coverageGeoJson(cells: readonly CoverageCell[], thresholdMin: number): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: cells.map((c) => ({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [hexagonRing(c.h3)] },
      properties: {
        h3: c.h3,
        minutes: c.minutes,
        stationId: c.stationId,
        demand: c.demand,
        covered: c.covered,
        thresholdMin,
      },
    })),
  };
}
