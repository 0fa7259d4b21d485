/**
 * Station config tools.
 *
 *   npm run config:check [-- dir-or-file …]   check station files; exit 1 on any problem
 *   npm run config:schema [-- out-file]       write firmware-config/station.schema.json (and
 *                                             townships.schema.json, alert-rules.schema.json and
 *                                             the rule settings table of the README without out-file)
 *
 * `check` without arguments checks $YIZHAN_STATIONS_DIR, or firmware-config/stations. It checks the
 * townships file too ($YIZHAN_TOWNSHIPS_FILE, else townships.yaml beside the first folder, when
 * there is one) and that every station's township is defined in it, and the alert rules
 * ($YIZHAN_ALERT_RULES_FILE, else alert-rules.yaml beside the first folder, when there is one).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { formatIssue, loadStationPaths, DEFAULT_STATIONS_DIR } from './load.js';
import {
  ALERT_RULES_SCHEMA_FILE,
  alertRulesJsonSchemaText,
  STATION_SCHEMA_FILE,
  TOWNSHIPS_SCHEMA_FILE,
  stationJsonSchemaText,
  townshipsJsonSchemaText,
} from './json-schema.js';
import { loadTownshipsFor } from './townships.js';
import { loadAlertRulesFor } from './alert-rules-load.js';
import { CONFIG_README, withAlertRulesTable } from './alert-rules-docs.js';

/** The stations folder the townships file sits beside: the path itself, or a file's folder. */
function stationsFolder(path: string): string {
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    // A missing path is reported by the station loader; look beside it all the same.
    return path;
  }
}

function check(args: string[]): number {
  const paths = args.length > 0 ? args : [process.env.YIZHAN_STATIONS_DIR || DEFAULT_STATIONS_DIR];
  const t = loadTownshipsFor(
    stationsFolder(paths[0] ?? DEFAULT_STATIONS_DIR),
    process.env.YIZHAN_TOWNSHIPS_FILE || undefined,
  );
  const loaded = loadStationPaths(paths, t.townships ? { townships: t.townships } : {});
  const { stations } = loaded;
  const r = loadAlertRulesFor(
    stationsFolder(paths[0] ?? DEFAULT_STATIONS_DIR),
    process.env.YIZHAN_ALERT_RULES_FILE || undefined,
    {
      ...(t.townships ? { townshipCodes: t.townships.map((d) => d.code) } : {}),
      stationIds: stations.map((s) => s.id),
    },
  );
  const issues = [...t.issues, ...loaded.issues, ...r.issues];
  const cwd = process.cwd();
  for (const i of issues) console.log(formatIssue(i, { relativeTo: cwd }));
  const files = new Set(issues.map((i) => i.file)).size;
  if (issues.length === 0) {
    const n = t.townships?.length;
    const tw = n
      ? [`（${n} 个镇街）`, ` (${n} township(s) in ${relative(cwd, t.file) || t.file})`]
      : ['', ''];
    console.log(
      `✔ ${stations.length} 个驿站配置检查通过${tw[0]} / ${stations.length} station file(s) OK${tw[1]}`,
    );
    return 0;
  }
  console.log(
    `✘ ${files} 个文件共 ${issues.length} 个问题，${stations.length} 个驿站配置正确 / ` +
      `${issues.length} problem(s) in ${files} file(s); ${stations.length} station file(s) OK`,
  );
  return 1;
}

function write(out: string, text: string): boolean {
  try {
    writeFileSync(out, text);
  } catch (e) {
    console.error(`无法写入 / cannot write ${out}: ${(e as Error).message}`);
    return false;
  }
  console.log(`已写入 / wrote ${relative(process.cwd(), out) || out}`);
  return true;
}

/** The station schema to `out`; without it both committed schemas (stations and townships). */
function schema(args: string[]): number {
  const [out] = args;
  if (out !== undefined) return write(out, stationJsonSchemaText()) ? 0 : 1;
  const ok = write(STATION_SCHEMA_FILE, stationJsonSchemaText());
  const ok2 = write(TOWNSHIPS_SCHEMA_FILE, townshipsJsonSchemaText()) && ok;
  const ok3 = write(ALERT_RULES_SCHEMA_FILE, alertRulesJsonSchemaText()) && ok2;
  return write(CONFIG_README, withAlertRulesTable(readFileSync(CONFIG_README, 'utf8'))) && ok3 ? 0 : 1;
}

const USAGE = `usage: tsx firmware-config/src/cli.ts check [dir-or-file …]
       tsx firmware-config/src/cli.ts schema [out-file]`;

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === 'check') return check(rest);
  if (cmd === 'schema') return schema(rest);
  console.error(USAGE);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
