/**
 * The audit log as CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Chinese
 * right), RFC 4180 quoting (cells with a comma, quote or line break are quoted, quotes doubled),
 * CRLF line ends, and a guard against CSV injection: a cell starting with = + - @ (or a tab or
 * carriage return) is prefixed with ' so a spreadsheet shows it as text instead of running it.
 */
import type { AuditView } from './audit-query.js';

export const CSV_BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'time_utc',
  'user_id',
  'login',
  'address',
  'action',
  'target',
  'township',
  'before',
  'after',
] as const;

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

export function auditCsvRow(e: AuditView): string {
  return [
    e.id,
    e.at,
    new Date(e.at).toISOString(),
    e.user?.id ?? null,
    e.user?.login ?? null,
    e.address,
    e.action,
    e.target,
    e.township,
    json(e.before),
    json(e.after),
  ]
    .map(csvCell)
    .join(',');
}

/** The whole file: BOM, header, one row per entry, CRLF after each line. */
export function auditCsv(entries: readonly AuditView[]): string {
  return CSV_BOM + [AUDIT_CSV_COLUMNS.join(','), ...entries.map(auditCsvRow)].map((l) => `${l}\r\n`).join('');
}
