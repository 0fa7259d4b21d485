/**
 * The riders' reports routes of the API client (issue 15, 随手拍): the triage list, one report with
 * its contact (when the server shows it to this reader), history and photos, the triage decision
 * (valid on a station problem makes the crew's work order), assigning or forwarding a street
 * problem, resolving, and the union's figures. createClient (client.ts) spreads these into the one client.
 */
import type {
  AssignReportRequest,
  ReportCategoriesResponse,
  ReportDetailResponse,
  ReportFiguresQuery,
  ReportFiguresResponse,
  ReportListQuery,
  ReportListResponse,
  ReportResponse,
  TriageRequest,
} from './types.js';
import { API_BASE, queryString as qs, type CallOptions } from './client.js';

type Call = <T>(method: string, path: string, opts?: CallOptions) => Promise<T>;
type Id = (v: number | string) => string;

const R = '/rider-reports';

export function riderReportRoutes(call: Call, id: Id) {
  return {
    /** The categories with their names in the chosen language (the public list the phone page uses too). */
    reportCategories: () => call<ReportCategoriesResponse>('GET', '/public/report-categories'),
    riderReports: (q: ReportListQuery) => call<ReportListResponse>('GET', `${R}${qs({ ...q })}`),
    riderReport: (reportId: number) => call<ReportDetailResponse>('GET', `${R}/${id(reportId)}`),
    /** Valid on a station problem also makes the crew's work order (the answer's workOrderId). */
    triageReport: (reportId: number, body: TriageRequest) =>
      call<ReportResponse>('POST', `${R}/${id(reportId)}/triage`, { body }),
    /** A valid street problem: to a grid member of the township, or forwarded to a named department. */
    assignReport: (reportId: number, body: AssignReportRequest) =>
      call<ReportResponse>('POST', `${R}/${id(reportId)}/assign`, { body }),
    resolveReport: (reportId: number, note: string) =>
      call<ReportResponse>('POST', `${R}/${id(reportId)}/resolve`, { body: { note } }),
    reportFigures: (q: ReportFiguresQuery) => call<ReportFiguresResponse>('GET', `${R}/figures${qs({ ...q })}`),
    /** A plain link: the browser downloads the CSV with the cookie. */
    reportFiguresCsvUrl: (q: ReportFiguresQuery) => `${API_BASE}${R}/figures.csv${qs({ ...q })}`,
  };
}
