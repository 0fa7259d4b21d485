/**
 * The riders' reports pages' pure part (no Vue; test/web/rider-report.test.ts): the step a report
 * waits for from the staff, what a triage form may send, and a map link for the rider's location.
 */
import type {
  ReportFiguresResponse,
  StaffReport,
  TriageDecision,
  TriageRequest,
} from './api/types.js';
import { toGcj02 } from './map/gcj02.js';

export const TRIAGE_DECISIONS: TriageDecision[] = ['valid', 'duplicate', 'not_valid', 'outside_remit'];
const CLOSED = new Set(['resolved', 'duplicate', 'not_valid', 'outside_remit']);

/**
 * What the staff do next: decide (triage; a station problem found valid becomes the crew's work
 * order there and then, and its status follows the order); for a valid street problem, assign it
 * to a grid member or forward it to a department, then resolve it with a note. `none`: nothing is
 * left to do here.
 */
export type ReportStep = 'triage' | 'assign' | 'resolve' | 'none';

export function nextStep(r: StaffReport): ReportStep {
  if (r.decision === null && r.status === 'received') return 'triage';
  if (r.decision !== 'valid' || CLOSED.has(r.status) || r.kind === 'station') return 'none';
  return r.assignee === null && r.department === null ? 'assign' : 'resolve';
}

export interface TriageDraft {
  decision: TriageDecision;
  reason: string;
  duplicateOf: string;
}

/** The request of a triage form, or the field the staff must fill first (the rider reads the reason). */
export function triageBody(d: TriageDraft): TriageRequest | { missing: 'reason' | 'duplicateOf' } {
  const reason = d.reason.trim();
  if (d.decision === 'valid') return reason ? { decision: 'valid', reason } : { decision: 'valid' };
  if (!reason) return { missing: 'reason' };
  if (d.decision !== 'duplicate') return { decision: d.decision, reason };
  const of = d.duplicateOf.trim().toUpperCase();
  return of ? { decision: 'duplicate', reason, duplicateOf: of } : { missing: 'duplicateOf' };
}

/** AMap's marker page at the rider's WGS-84 location (AMap draws GCJ-02, so the point is converted first). */
export function amapMarkerUrl(lat: number, lon: number, name: string): string {
  const g = toGcj02({ lat, lon });
  const u = new URL('https://uri.amap.com/marker');
  u.searchParams.set('position', `${g.lon.toFixed(6)},${g.lat.toFixed(6)}`);
  u.searchParams.set('name', name);
  u.searchParams.set('coordinate', 'gaode');
  u.searchParams.set('src', 'yizhan');
  return u.toString();
}

type FiguresRow = ReportFiguresResponse['rows'][number];

/** The monthly bars: every month of the rows in order, and per category its valid reports each month. */
export function monthSeries(rows: readonly FiguresRow[]): {
  months: string[];
  series: { category: string; name: string; valid: number[] }[];
} {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const byCategory = new Map<string, { category: string; name: string; valid: number[] }>();
  for (const r of rows) {
    let s = byCategory.get(r.category);
    if (!s) {
      s = { category: r.category, name: r.categoryName, valid: months.map(() => 0) };
      byCategory.set(r.category, s);
    }
    s.valid[months.indexOf(r.month)] = s.valid[months.indexOf(r.month)]! + r.valid;
  }
  return { months, series: [...byCategory.values()] };
}
