/**
 * Reading a config file from disk (station files, townships.yaml): text with a size bound, YAML
 * with positions, and findings placed at their lines; every failure as an issue.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Document, LineCounter } from 'yaml';
import { compareIssues, formatPath, type ConfigIssue, type Finding } from './issues.js';
import { locate, parseYaml } from './positions.js';

export function fileIssue(file: string, message: string, path = '(file)'): ConfigIssue {
  return { file, line: 1, column: 1, path, message };
}

export function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message ?? String(e);
}

/** The file's text, or the issue that stops reading it (missing, unreadable, larger than `maxBytes`). */
export function readConfigText(
  file: string,
  maxBytes: number,
  what: string,
): { text: string } | { issues: ConfigIssue[] } {
  try {
    const size = statSync(file).size;
    if (size > maxBytes)
      return {
        issues: [fileIssue(file, `the file is ${size} bytes; a ${what} may have at most ${maxBytes}`)],
      };
    return { text: readFileSync(file, 'utf8') };
  } catch (e) {
    return { issues: [fileIssue(file, `cannot read the file: ${errText(e)}`)] };
  }
}

/** A config file read and parsed, with the way to turn findings in it into issues. */
export interface ParsedConfig {
  doc: Document;
  lines: LineCounter;
  data: unknown;
  /** Findings placed at their lines, in reading order. */
  issuesOf(findings: readonly Finding[]): ConfigIssue[];
}

/** Read and parse a YAML config file; or the issues (unreadable, too large, bad YAML) that stop it. */
export function readYamlConfig(
  file: string,
  maxBytes: number,
  what: string,
): ParsedConfig | { issues: ConfigIssue[] } {
  const read = readConfigText(file, maxBytes, what);
  if ('issues' in read) return { issues: read.issues };
  const parsed = parseYaml(read.text);
  if (!parsed.ok)
    return {
      issues: parsed.problems.map((p) => ({
        file,
        line: p.line,
        column: p.column,
        path: '(yaml)',
        message: p.message,
      })),
    };
  const { doc, lines, data } = parsed;
  return {
    doc,
    lines,
    data,
    issuesOf: (findings) =>
      findings
        .map((f) => ({ file, ...locate(doc, lines, f), path: formatPath(f.path), message: f.message }))
        .sort(compareIssues),
  };
}
