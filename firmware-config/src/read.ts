/**
 * Reading a config file from disk as text, with a size bound, its failures as issues.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ConfigIssue } from './issues.js';

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
