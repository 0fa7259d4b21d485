/**
 * Loading station config files: YAML with positions → schema check → semantic checks.
 * Every problem comes back as a ConfigIssue (`file:line path: message`); nothing throws except
 * loadStationsOrThrow, on purpose. A file with any issue yields no station; the other files
 * still load, so one broken file never hides the good ones.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareIssues, StationConfigError, type ConfigIssue } from './issues.js';
import { locate, type Position } from './positions.js';
import type { StationConfig } from './schema.js';
import { schemaFindings, stationCheck } from './schema-errors.js';
import { semanticFindings } from './semantic.js';
import { errText, fileIssue, readYamlConfig } from './read.js';
import { townshipFindings, type TownshipDefinition } from './townships.js';

export { formatIssue, StationConfigError, type ConfigIssue, type FormatOptions } from './issues.js';

/** Absolute path of firmware-config/stations, the 47 sample stations. */
export const DEFAULT_STATIONS_DIR: string = fileURLToPath(new URL('../stations', import.meta.url));

/** Largest station file read, in bytes (1 MiB); a real one is about 3 KB. */
export const MAX_STATION_FILE_BYTES = 1024 * 1024;

const STATION_EXTENSIONS = new Set(['.yaml', '.yml']);

/** What station files are checked against besides their own schema. */
export interface LoadOptions {
  /**
   * The defined townships (townships.yaml): every station's `township` must name one. Absent: any
   * township name is accepted (the server then knows a township by its Chinese name).
   */
  townships?: readonly TownshipDefinition[];
}

interface Loaded {
  station?: StationConfig;
  issues: ConfigIssue[];
  /** Where `id:` is, for reporting duplicates across files. */
  idAt?: Position;
}

function loadOne(file: string, opts: LoadOptions): Loaded {
  const parsed = readYamlConfig(file, MAX_STATION_FILE_BYTES, 'station file');
  if ('issues' in parsed) return { issues: parsed.issues };
  const { doc, lines, data } = parsed;
  const expectedId = basename(file, extname(file));
  const issues = parsed.issuesOf([
    ...schemaFindings(data),
    ...semanticFindings(data, expectedId),
    ...(opts.townships ? townshipFindings(data, opts.townships) : []),
  ]);
  const idAt = locate(doc, lines, { path: ['id'], at: 'value', message: '' });
  if (issues.length === 0 && stationCheck.Check(data)) return { station: data, issues, idAt };
  return { issues, idAt };
}

/** Load and check one station file. `station` is set only when there is no issue. */
export function loadStationFile(
  file: string,
  opts: LoadOptions = {},
): { station?: StationConfig; issues: ConfigIssue[] } {
  const { station, issues } = loadOne(file, opts);
  return station ? { station, issues } : { issues };
}

/** The station files in a directory (*.yaml, *.yml), sorted by name; or an issue. */
function listDir(dir: string): { files: string[]; issues: ConfigIssue[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    return { files: [], issues: [fileIssue(dir, `cannot read the directory: ${errText(e)}`, '(dir)')] };
  }
  const files = names
    .filter((n) => STATION_EXTENSIONS.has(extname(n)))
    .sort()
    .map((n) => join(dir, n));
  if (files.length === 0)
    return { files, issues: [fileIssue(dir, 'no station files (*.yaml) in this directory', '(dir)')] };
  return { files, issues: [] };
}

/**
 * Load station files from directories and single files (the CLI's arguments). Besides each file's
 * own issues, a station id that appears in two files is an issue in the second one (that station
 * is dropped). Stations come back sorted by id.
 */
export function loadStationPaths(
  paths: readonly string[],
  opts: LoadOptions = {},
): {
  stations: StationConfig[];
  issues: ConfigIssue[];
} {
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      issues.push(fileIssue(p, `cannot read: ${errText(e)}`));
      continue;
    }
    if (isDir) {
      const listed = listDir(p);
      files.push(...listed.files);
      issues.push(...listed.issues);
    } else files.push(p);
  }

  const stations: StationConfig[] = [];
  const firstFile = new Map<string, string>();
  const seenFiles = new Set<string>();
  for (const file of files) {
    if (seenFiles.has(resolve(file))) continue;
    seenFiles.add(resolve(file));
    const loaded = loadOne(file, opts);
    issues.push(...loaded.issues);
    const st = loaded.station;
    if (!st) continue;
    const other = firstFile.get(st.id);
    if (other !== undefined) {
      const at = loaded.idAt ?? { line: 1, column: 1 };
      issues.push({
        file,
        ...at,
        path: 'id',
        message: `station id "${st.id}" is already used by ${other}; station ids must be unique`,
      });
      continue;
    }
    firstFile.set(st.id, file);
    stations.push(st);
  }
  stations.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { stations, issues: issues.sort(compareIssues) };
}

/** Load every station file (*.yaml, *.yml) in `dir`. */
export function loadStationsDir(
  dir: string = DEFAULT_STATIONS_DIR,
  opts: LoadOptions = {},
): {
  stations: StationConfig[];
  issues: ConfigIssue[];
} {
  return loadStationPaths([dir], opts);
}

/**
 * Load every station in `dir`, or throw a StationConfigError listing every issue. For processes
 * that must not start on a broken config (server, start script, edge agents).
 */
export function loadStationsOrThrow(
  dir: string = DEFAULT_STATIONS_DIR,
  opts: LoadOptions = {},
): StationConfig[] {
  const { stations, issues } = loadStationsDir(dir, opts);
  if (issues.length > 0) throw new StationConfigError(issues, dir);
  return stations;
}
