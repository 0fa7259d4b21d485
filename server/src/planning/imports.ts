/**
 * Imports of demand points and candidate sites: CSV (header required, UTF-8 with or without BOM,
 * RFC 4180 quotes) or GeoJSON (a FeatureCollection of Points). Every row is checked and every
 * problem reported, by line (CSV, the header is line 1) or feature (GeoJSON, from 1), with the
 * field and a message in Chinese and English; one problem rejects the whole file. The byte size is
 * bounded by the route (413 before reading); the row count is checked before any row is parsed.
 */
import { kmToDegrees, type LatLon } from './geo.js';
import type { ImportProblem } from './coverage-schemas.js';

export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 20_000;
/** The county area: the stations' bounding box widened by this much on every side. */
export const COUNTY_MARGIN_KM = 30;

export interface Area {
  south: number;
  north: number;
  west: number;
  east: number;
}

export function countyArea(stations: readonly LatLon[]): Area | undefined {
  if (stations.length === 0) return undefined;
  const lats = stations.map((s) => s.lat);
  const lons = stations.map((s) => s.lon);
  const mid = (Math.min(...lats) + Math.max(...lats)) / 2;
  const { dLat, dLon } = kmToDegrees(COUNTY_MARGIN_KM, mid);
  return {
    south: Math.min(...lats) - dLat,
    north: Math.max(...lats) + dLat,
    west: Math.min(...lons) - dLon,
    east: Math.max(...lons) + dLon,
  };
}

const inside = (a: Area, lat: number, lon: number): boolean =>
  lat >= a.south && lat <= a.north && lon >= a.west && lon <= a.east;

export interface DemandRow {
  lat: number;
  lon: number;
  weight: number;
  name: string;
}
export interface CandidateRow {
  lat: number;
  lon: number;
  name: string;
  address: string;
}

export type Parsed<T> = { ok: true; rows: T[] } | { ok: false; problems: ImportProblem[] };

type Field = 'lat' | 'lon' | 'weight' | 'name' | 'address';
interface Spec<T> {
  required: readonly Field[];
  optional: readonly Field[];
  build: (v: Record<Field, string | number | undefined>) => T;
}

export const DEMAND_SPEC: Spec<DemandRow> = {
  required: ['lat', 'lon', 'weight'],
  optional: ['name'],
  build: (v) => ({
    lat: v.lat as number,
    lon: v.lon as number,
    weight: v.weight as number,
    name: String(v.name ?? ''),
  }),
};
export const CANDIDATE_SPEC: Spec<CandidateRow> = {
  required: ['name', 'lat', 'lon'],
  optional: ['address'],
  build: (v) => ({
    name: String(v.name),
    lat: v.lat as number,
    lon: v.lon as number,
    address: String(v.address ?? ''),
  }),
};

const problem = (line: number, field: string, zh: string, en: string): ImportProblem => ({
  line,
  field,
  message: { 'zh-CN': zh, en },
});

/** CSV or GeoJSON, told apart by the first character that is not a BOM or white space. */
export function parseImport<T>(
  text: string,
  spec: Spec<T>,
  area: Area | undefined,
  maxRows = IMPORT_MAX_ROWS,
): Parsed<T> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '')
    return { ok: false, problems: [problem(1, 'file', '文件为空', 'The file is empty')] };
  return body.trimStart().startsWith('{')
    ? parseGeoJson(body, spec, area, maxRows)
    : parseCsv(body, spec, area, maxRows);
}

/** RFC 4180 records with the line each starts on. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c.trim() !== '')) out.push({ line: start, cells });
      cells = [];
      cell = '';
      start = ++line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c.trim() !== '')) out.push({ line: start, cells });
  return out;
}

function tooMany(maxRows: number): ImportProblem {
  return problem(
    maxRows + 2,
    'file',
    `行数过多：最多 ${maxRows} 行数据`,
    `Too many rows: at most ${maxRows} data rows`,
  );
}

function parseCsv<T>(text: string, spec: Spec<T>, area: Area | undefined, maxRows: number): Parsed<T> {
  // Counted on raw line ends first, so a huge file is refused before its rows are split.
  if ((text.match(/\n/g)?.length ?? 0) > maxRows + 1 && csvRecords(text).length > maxRows + 1)
    return { ok: false, problems: [tooMany(maxRows)] };
  const [head, ...rows] = csvRecords(text);
  const names = head!.cells.map((c) => c.trim().toLowerCase());
  const problems: ImportProblem[] = [];
  for (const f of spec.required)
    if (!names.includes(f))
      problems.push(
        problem(
          1,
          f,
          `表头缺少列 ${f}（需要 ${spec.required.join(',')}）`,
          `The header has no column ${f} (needs ${spec.required.join(',')})`,
        ),
      );
  if (problems.length) return { ok: false, problems };
  if (rows.length === 0)
    return {
      ok: false,
      problems: [problem(2, 'file', '表头之后没有数据行', 'No data rows after the header')],
    };
  const out: T[] = [];
  for (const r of rows) {
    const raw: Partial<Record<Field, string>> = {};
    for (const f of [...spec.required, ...spec.optional]) {
      const i = names.indexOf(f);
      if (i >= 0) raw[f] = r.cells[i]?.trim() ?? '';
    }
    const v = checkRow(raw, r.line, spec, area, problems);
    if (v) out.push(spec.build(v));
  }
  return problems.length ? { ok: false, problems } : { ok: true, rows: out };
}

function parseGeoJson<T>(text: string, spec: Spec<T>, area: Area | undefined, maxRows: number): Parsed<T> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const why = (e as Error).message;
    return { ok: false, problems: [problem(1, 'file', `不是有效的 JSON：${why}`, `Not valid JSON: ${why}`)] };
  }
  const fc = doc as { type?: unknown; features?: unknown };
  if (fc.type !== 'FeatureCollection' || !Array.isArray(fc.features))
    return {
      ok: false,
      problems: [
        problem(
          1,
          'type',
          '须为 GeoJSON FeatureCollection（含 features 数组）',
          'Must be a GeoJSON FeatureCollection with a features array',
        ),
      ],
    };
  if (fc.features.length > maxRows) return { ok: false, problems: [tooMany(maxRows)] };
  if (fc.features.length === 0)
    return { ok: false, problems: [problem(1, 'features', 'features 为空', 'features is empty')] };
  const problems: ImportProblem[] = [];
  const out: T[] = [];
  fc.features.forEach((f: unknown, i) => {
    const n = i + 1;
    const feat = f as {
      geometry?: { type?: unknown; coordinates?: unknown };
      properties?: Record<string, unknown> | null;
    };
    const coords = feat?.geometry?.coordinates;
    if (feat?.geometry?.type !== 'Point' || !Array.isArray(coords) || coords.length < 2) {
      problems.push(
        problem(n, 'geometry', '几何须为 Point [经度, 纬度]', 'geometry must be a Point [lon, lat]'),
      );
      return;
    }
    const props = feat.properties ?? {};
    const raw: Partial<Record<Field, string>> = { lon: asText(coords[0]), lat: asText(coords[1]) };
    for (const k of [...spec.required, ...spec.optional])
      if (k !== 'lat' && k !== 'lon' && props[k] !== undefined && props[k] !== null)
        raw[k] = asText(props[k]);
    const v = checkRow(raw, n, spec, area, problems);
    if (v) out.push(spec.build(v));
  });
  return problems.length ? { ok: false, problems } : { ok: true, rows: out };
}

/** A JSON value as the text a CSV cell would hold (objects as JSON, so they fail as non-numeric). */
const asText = (x: unknown): string =>
  typeof x === 'string' ? x : typeof x === 'number' ? String(x) : (JSON.stringify(x) ?? '');

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function checkRow<T>(
  raw: Partial<Record<Field, string>>,
  line: number,
  spec: Spec<T>,
  area: Area | undefined,
  problems: ImportProblem[],
): Record<Field, string | number | undefined> | undefined {
  const before = problems.length;
  const v: Record<Field, string | number | undefined> = {
    lat: undefined,
    lon: undefined,
    weight: undefined,
    name: undefined,
    address: undefined,
  };
  for (const f of [...spec.required, ...spec.optional]) {
    const s = raw[f];
    const required = spec.required.includes(f);
    if (s === undefined || s === '') {
      if (required) problems.push(problem(line, f, `缺少 ${f}`, `${f} is missing`));
      continue;
    }
    if (f === 'name' || f === 'address') {
      const max = f === 'name' ? 100 : 200;
      if (s.length > max)
        problems.push(
          problem(line, f, `${f} 过长（最多 ${max} 个字符）`, `${f} is too long (at most ${max} characters)`),
        );
      else v[f] = s;
      continue;
    }
    if (!NUMBER.test(s)) {
      problems.push(
        problem(line, f, `${f} 不是数字："${s.slice(0, 40)}"`, `${f} is not a number: "${s.slice(0, 40)}"`),
      );
      continue;
    }
    v[f] = Number(s);
  }
  const { lat, lon, weight } = v as { lat?: number; lon?: number; weight?: number };
  if (weight !== undefined && !(weight >= 0 && Number.isFinite(weight)))
    problems.push(
      problem(line, 'weight', `权重 ${weight} 须为不小于 0 的数`, `weight ${weight} must be a number ≥ 0`),
    );
  if (lat === undefined || lon === undefined) return undefined;
  if (area && !inside(area, lat, lon) && inside(area, lon, lat))
    problems.push(
      problem(
        line,
        'lat',
        `纬度和经度似乎写反了（${lat}, ${lon}）：交换后才在本县范围内`,
        `latitude and longitude look swapped (${lat}, ${lon}): only swapped do they fall in the county`,
      ),
    );
  else if (lat < -90 || lat > 90)
    problems.push(problem(line, 'lat', `纬度 ${lat} 超出 −90…90`, `latitude ${lat} is outside −90…90`));
  else if (lon < -180 || lon > 180)
    problems.push(problem(line, 'lon', `经度 ${lon} 超出 −180…180`, `longitude ${lon} is outside −180…180`));
  else if (area && !inside(area, lat, lon))
    problems.push(
      problem(
        line,
        'lat',
        `位置（${lat}, ${lon}）不在本县范围内`,
        `position (${lat}, ${lon}) is outside the county area`,
      ),
    );
  return problems.length === before ? v : undefined;
}
