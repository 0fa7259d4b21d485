/**
 * Problems found in station config files, and how they are printed: `file:line path: message`.
 */
import { relative, isAbsolute } from 'node:path';

/** One problem in one config file. Every issue is an error: a file with any issue is not loaded. */
export interface ConfigIssue {
  /** The file as it was opened (absolute when the directory was given absolute). */
  file: string;
  /** 1-based line of the offending YAML node; for a missing key, the line of its parent. */
  line: number;
  /** 1-based column on that line. */
  column: number;
  /** Where in the data: `location.lat`, `sensors[3].channel`; `(root)` for the whole document, `(yaml)` for syntax. */
  path: string;
  /** What is wrong and, when it can tell, what to write instead. */
  message: string;
}

/** Path segments inside a station document: keys and list indexes. */
export type DataPath = readonly (string | number)[];

/** A problem found in the data before it is given a line: `at` says which node the line comes from. */
export interface Finding {
  path: DataPath;
  /** `value`: the node at path; `key`: the key of the last segment; `parent`: the mapping that should hold the last segment. */
  at: 'value' | 'key' | 'parent';
  message: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['sensors', 3, 'channel']` → `sensors[3].channel`; the empty path is `(root)`. */
export function formatPath(path: DataPath): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export interface FormatOptions {
  /** Print `file` relative to this directory when it lies inside it (the CLI passes the working directory). */
  relativeTo?: string;
}

/** `file:line path: message`, the form editors and terminals turn into a link. */
export function formatIssue(i: ConfigIssue, opts: FormatOptions = {}): string {
  let file = i.file;
  if (opts.relativeTo !== undefined) {
    const rel = relative(opts.relativeTo, i.file);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) file = rel;
  }
  return `${file}:${i.line} ${i.path}: ${i.message}`;
}

/** Order issues by file, then position, so output is stable and reads top to bottom. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column;
}

/**
 * Thrown by loadStationsOrThrow when any station file has a problem. Retrying does not help:
 * the files must be fixed. `issues` holds every problem; the message lists them one per line.
 */
export class StationConfigError extends Error {
  override readonly name = 'StationConfigError';
  readonly retryable = false;
  constructor(
    readonly issues: readonly ConfigIssue[],
    where: string,
  ) {
    super(
      `${issues.length} problem(s) in the station config (${where}); fix the files and start again:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
  }
}
