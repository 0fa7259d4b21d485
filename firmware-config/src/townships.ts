/**
 * The township definitions: `townships.yaml` beside the stations folder (firmware-config/townships.yaml
 * for the samples). Station files name their township in Chinese (`township: 城关镇`); this file gives
 * each township the stable ASCII code that role grants, API filters and metrics labels use, and its
 * English name. When the file exists, every station's township must be defined in it.
 *
 *   townships:
 *     - { code: chengguan, name: 城关镇, nameEn: Chengguan }
 *
 * Problems are reported as station files' are: `file:line path: message`, with a did-you-mean.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { formatPath, type ConfigIssue, type Finding } from './issues.js';
import { fileIssue, readYamlConfig } from './read.js';
import { schemaFindings } from './schema-errors.js';

export const TOWNSHIPS_FILE_NAME = 'townships.yaml';
/** firmware-config/townships.yaml: the sample county's townships. */
export const DEFAULT_TOWNSHIPS_FILE: string = fileURLToPath(
  new URL(`../${TOWNSHIPS_FILE_NAME}`, import.meta.url),
);
/** Largest townships file read, in bytes (1 MiB); the sample's is under 1 KB. */
export const MAX_TOWNSHIPS_FILE_BYTES = 1024 * 1024;
/** Role grants use 'county' for the whole county, so no township may have that code. */
export const RESERVED_TOWNSHIP_CODES: readonly string[] = ['county'];

export const TOWNSHIP_CODE_PATTERN = '^[a-z][a-z0-9-]{0,31}$';

export const TownshipDefinition = Type.Object(
  {
    code: Type.String({
      pattern: TOWNSHIP_CODE_PATTERN,
      patternErrorMessage:
        'a township code is 1..32 lower-case ASCII letters, digits or "-", starting with a letter (e.g. "chengguan")',
      description: 'Stable code used by role grants, API filters and metrics labels, e.g. "chengguan"',
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'Chinese name, exactly as station files write it in `township:`, e.g. "城关镇"',
    }),
    nameEn: Type.String({ minLength: 1, maxLength: 64, description: 'English name, e.g. "Chengguan"' }),
  },
  { additionalProperties: false, description: 'One township (镇/乡/街道)' },
);
export type TownshipDefinition = Static<typeof TownshipDefinition>;

export const TownshipsFile = Type.Object(
  {
    townships: Type.Array(TownshipDefinition, {
      minItems: 1,
      maxItems: 1000,
      description: 'Every township of the county',
    }),
  },
  { additionalProperties: false, description: 'The townships of the county union (县总工会)' },
);
export type TownshipsFile = Static<typeof TownshipsFile>;

const townshipsCheck = TypeCompiler.Compile(TownshipsFile);

/** The townships file that belongs to a stations folder: `townships.yaml` in its parent folder. */
export function townshipsFileFor(stationsDir: string): string {
  return join(stationsDir, '..', TOWNSHIPS_FILE_NAME);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Codes and names used twice, and reserved codes. */
function semanticFindings(data: unknown): Finding[] {
  if (!isRecord(data) || !Array.isArray(data.townships)) return [];
  const out: Finding[] = [];
  const seen = { code: new Map<string, number>(), name: new Map<string, number>() };
  data.townships.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    for (const key of ['code', 'name'] as const) {
      const v = t[key];
      if (typeof v !== 'string') continue;
      const first = seen[key].get(v);
      if (first === undefined) seen[key].set(v, i);
      else
        out.push({
          path: ['townships', i, key],
          at: 'value',
          message: `${key} "${v}" is already used by ${formatPath(['townships', first])}; each township's ${key} must be unique`,
        });
    }
    if (typeof t.code === 'string' && RESERVED_TOWNSHIP_CODES.includes(t.code))
      out.push({
        path: ['townships', i, 'code'],
        at: 'value',
        message: `"${t.code}" is reserved (role grants use it for the whole county); choose another code`,
      });
  });
  return out;
}

/** Load and check a townships file. `townships` is set only when there is no issue. */
export function loadTownshipsFile(file: string): { townships?: TownshipDefinition[]; issues: ConfigIssue[] } {
  const parsed = readYamlConfig(file, MAX_TOWNSHIPS_FILE_BYTES, 'townships file');
  if ('issues' in parsed) return { issues: parsed.issues };
  const { data } = parsed;
  const issues = parsed.issuesOf([...schemaFindings(data, townshipsCheck), ...semanticFindings(data)]);
  if (issues.length === 0 && townshipsCheck.Check(data)) return { townships: data.townships, issues };
  return { issues };
}

/**
 * The townships for a stations folder: the file named by `explicit` (YIZHAN_TOWNSHIPS_FILE), which
 * must exist, else `townships.yaml` beside the folder, which may be absent (then `townships` is
 * undefined and any township name is accepted).
 */
export function loadTownshipsFor(
  stationsDir: string,
  explicit?: string,
): { file: string; townships?: TownshipDefinition[]; issues: ConfigIssue[] } {
  const file = explicit ?? townshipsFileFor(stationsDir);
  if (explicit === undefined && !existsSync(file)) return { file, issues: [] };
  if (explicit !== undefined && !existsSync(file))
    return { file, issues: [fileIssue(file, 'no such file (named by YIZHAN_TOWNSHIPS_FILE)')] };
  return { file, ...loadTownshipsFile(file) };
}

/** A station file's `township` that no definition names, with what to write instead. */
export function townshipFindings(data: unknown, defs: readonly TownshipDefinition[]): Finding[] {
  if (!isRecord(data) || typeof data.township !== 'string') return [];
  const name = data.township;
  if (defs.some((d) => d.name === name)) return [];
  const byOther = defs.find((d) => d.code === name || d.nameEn.toLowerCase() === name.toLowerCase());
  const names = defs.map((d) => d.name);
  const guess = byOther?.name ?? didYouMean(name, names);
  const where = `is not defined in ${TOWNSHIPS_FILE_NAME}`;
  const message = byOther
    ? `township "${name}" ${where}; write its Chinese name "${byOther.name}"`
    : guess !== undefined
      ? `township "${name}" ${where}; did you mean "${guess}"?`
      : `township "${name}" ${where}; defined: ${names.join(', ')} (add it to ${TOWNSHIPS_FILE_NAME} if it is new)`;
  return [{ path: ['township'], at: 'value', message }];
}
