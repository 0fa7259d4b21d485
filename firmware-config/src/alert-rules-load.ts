/**
 * Loading `alert-rules.yaml` (beside the stations folder): YAML with positions → the schema check
 * of alert-rules.ts → what the schema cannot see: township codes and station ids that name nothing
 * (with a did-you-mean), and a station_dark `for` shorter than the outage window (an outage
 * incident must know how many stations went dark when the first dark alert fires, so the first
 * dark station must wait at least `within` before it fires). Problems come back as the station
 * files' do: `file:line path: message`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { parseDuration } from '@yizhan/protocol/duration';
import { AlertRulesFile, OutageSettings, RuleSettingsSchemas } from './alert-rules.js';
import type { ConfigIssue, Finding } from './issues.js';
import { fileIssue, readYamlConfig } from './read.js';
import { schemaFindings } from './schema-errors.js';

export const ALERT_RULES_FILE_NAME = 'alert-rules.yaml';
/** firmware-config/alert-rules.yaml: the sample county's overrides. */
export const DEFAULT_ALERT_RULES_FILE: string = fileURLToPath(
  new URL(`../${ALERT_RULES_FILE_NAME}`, import.meta.url),
);
/** Largest alert-rules file read, in bytes (4 MiB: room for an override of every station of a province). */
export const MAX_ALERT_RULES_FILE_BYTES = 4 * 1024 * 1024;

export const alertRulesCheck = TypeCompiler.Compile(AlertRulesFile);

/** What the names in the file are checked against; a list left out is not checked. */
export interface AlertRulesLoadOptions {
  /** Township codes (townships.yaml). */
  townshipCodes?: readonly string[];
  /** Station ids (the station files). */
  stationIds?: readonly string[];
}

/** The alert-rules file that belongs to a stations folder: alert-rules.yaml in its parent folder. */
export function alertRulesFileFor(stationsDir: string): string {
  return join(stationsDir, '..', ALERT_RULES_FILE_NAME);
}

function unknownNames(
  section: 'townships' | 'stations',
  keys: readonly string[],
  known: readonly string[] | undefined,
): Finding[] {
  if (!known) return [];
  const what = section === 'townships' ? 'township code (townships.yaml)' : 'station id (station files)';
  const out: Finding[] = [];
  for (const k of keys) {
    if (known.includes(k)) continue;
    const guess = didYouMean(k, known);
    const message =
      guess !== undefined
        ? `unknown ${what} "${k}"; did you mean "${guess}"?`
        : `unknown ${what} "${k}"; known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ' …' : ''}`;
    out.push({ path: [section, k], at: 'key', message });
  }
  return out;
}

const defaultOf = (s: unknown): string => (s as { default: string }).default;
const ms = (d: string): number => {
  const p = parseDuration(d);
  return p.ok ? p.ms : NaN;
};

/** Each level that sets station_dark.for (or the defaults level) against outage.within. */
function darkForFindings(f: AlertRulesFile): Finding[] {
  const within = f.outage?.within ?? defaultOf(OutageSettings.properties.within);
  const withinMs = ms(within);
  const baseFor = f.defaults?.station_dark?.for ?? defaultOf(RuleSettingsSchemas.station_dark.properties.for);
  const levels: { path: (string | number)[]; value: string }[] = [];
  if (f.defaults?.station_dark?.for !== undefined)
    levels.push({ path: ['defaults', 'station_dark', 'for'], value: baseFor });
  else if (f.outage?.within !== undefined) levels.push({ path: ['outage', 'within'], value: baseFor });
  for (const section of ['townships', 'stations'] as const)
    for (const [k, o] of Object.entries(f[section] ?? {}))
      if (o.station_dark?.for !== undefined)
        levels.push({ path: [section, k, 'station_dark', 'for'], value: o.station_dark.for });
  return levels
    .filter((l) => ms(l.value) < withinMs)
    .map((l) => ({
      path: l.path,
      at: 'value' as const,
      message: `station_dark.for "${l.value}" is shorter than outage.within "${within}": a dark station must wait the outage window before it fires, so the incident knows how many stations went dark`,
    }));
}

/** Load and check an alert-rules file. `rules` is set only when there is no issue. */
export function loadAlertRulesFile(
  file: string,
  opts: AlertRulesLoadOptions = {},
): { rules?: AlertRulesFile; issues: ConfigIssue[] } {
  const parsed = readYamlConfig(file, MAX_ALERT_RULES_FILE_BYTES, 'alert-rules file');
  if ('issues' in parsed) return { issues: parsed.issues };
  const { data } = parsed;
  const schema = schemaFindings(data, alertRulesCheck);
  if (schema.length > 0 || !alertRulesCheck.Check(data)) return { issues: parsed.issuesOf(schema) };
  const issues = parsed.issuesOf([
    ...unknownNames('townships', Object.keys(data.townships ?? {}), opts.townshipCodes),
    ...unknownNames('stations', Object.keys(data.stations ?? {}), opts.stationIds),
    ...darkForFindings(data),
  ]);
  return issues.length === 0 ? { rules: data, issues } : { issues };
}

/**
 * The alert rules for a stations folder: the file named by `explicit` (YIZHAN_ALERT_RULES_FILE),
 * which must exist, else alert-rules.yaml beside the folder, which may be absent (then `rules` is
 * `{}`: the schema defaults).
 */
export function loadAlertRulesFor(
  stationsDir: string,
  explicit: string | undefined,
  opts: AlertRulesLoadOptions = {},
): { file: string | undefined; rules?: AlertRulesFile; issues: ConfigIssue[] } {
  const file = explicit ?? alertRulesFileFor(stationsDir);
  if (explicit === undefined && !existsSync(file)) return { file: undefined, rules: {}, issues: [] };
  if (explicit !== undefined && !existsSync(file))
    return { file, issues: [fileIssue(file, 'no such file (named by YIZHAN_ALERT_RULES_FILE)')] };
  return { file, ...loadAlertRulesFile(file, opts) };
}
