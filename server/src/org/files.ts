/**
 * The station files and township definitions the server runs with, read the same way by the
 * server (main.ts) and the accounts CLI, so both know the same township codes.
 */
import { resolve } from 'node:path';
import { DEFAULT_STATIONS_DIR, formatIssue, loadStationsOrThrow } from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { loadTownshipsFor, type TownshipDefinition } from '@yizhan/station-config/townships';
import type { ServerConfig } from '../config.js';

export type OrgFiles =
  | { ok: true; stationsDir: string; stations: StationConfig[]; townships?: TownshipDefinition[] }
  /** What is wrong, every problem on its own line, for people. */
  | { ok: false; message: string };

/** YIZHAN_STATIONS_DIR and YIZHAN_TOWNSHIPS_FILE (default: townships.yaml beside the stations folder, if present). */
export function loadOrgFiles(c: Pick<ServerConfig, 'stationsDir' | 'townshipsFile'>): OrgFiles {
  const stationsDir = c.stationsDir ? resolve(c.stationsDir) : DEFAULT_STATIONS_DIR;
  const t = loadTownshipsFor(stationsDir, c.townshipsFile ? resolve(c.townshipsFile) : undefined);
  if (t.issues.length > 0)
    return {
      ok: false,
      message: `the townships file ${t.file} is invalid:\n${t.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    };
  try {
    const stations = loadStationsOrThrow(stationsDir, t.townships ? { townships: t.townships } : {});
    return { ok: true, stationsDir, stations, ...(t.townships ? { townships: t.townships } : {}) };
  } catch (e) {
    return { ok: false, message: `station configs in ${stationsDir} are invalid:\n${(e as Error).message}` };
  }
}
