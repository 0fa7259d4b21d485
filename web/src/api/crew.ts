/**
 * The maintenance crews' routes of the API client (issue 13): assigning and closing alerts,
 * silences, the people who may be assigned, work orders with their photos, and the response
 * reports. createClient (client.ts) spreads these into the one client, sharing its `call`.
 */
import type {
  AlertResponse,
  NewSilenceRequest,
  NewWorkOrderRequest,
  PeopleResponse,
  PhotoResponse,
  ReportQuery,
  ResponseReport,
  SilenceResponse,
  SilencesResponse,
  WorkOrderDetailResponse,
  WorkOrderEventResponse,
  WorkOrderQuery,
  WorkOrderResponse,
  WorkOrdersResponse,
} from './types.js';
// A cycle with client.ts, harmless: queryString is only called once a request is made.
import { queryString as qs, type CallOptions } from './client.js';

type Call = <T>(method: string, path: string, opts?: CallOptions) => Promise<T>;
type Id = (v: number | string) => string;

export function crewRoutes(call: Call, id: Id) {
  const wo = (woId: number, action: string, note?: string) =>
    call<WorkOrderResponse>('POST', `/work-orders/${id(woId)}/${action}`, {
      body: note?.trim() ? { note: note.trim() } : {},
    });
  return {
    /** userId null: unassign. */
    assign: (alertId: string, userId: number | null) =>
      call<AlertResponse>('POST', `/alerts/${id(alertId)}/assign`, { body: { userId } }),
    closeAlert: (alertId: string, note?: string) =>
      call<AlertResponse>('POST', `/alerts/${id(alertId)}/close`, {
        body: note?.trim() ? { note: note.trim() } : {},
      }),
    /** Who may be assigned alerts in the township; role grid_staff: its grid members (riders' reports). */
    people: (township: string, role?: 'grid_staff') => call<PeopleResponse>('GET', `/people${qs({ township, role })}`),

    silences: (active = true) => call<SilencesResponse>('GET', `/silences${qs({ active: String(active) })}`),
    addSilence: (body: NewSilenceRequest) => call<SilenceResponse>('POST', '/silences', { body }),
    endSilence: (silenceId: number) => call<SilenceResponse>('DELETE', `/silences/${id(silenceId)}`),

    workOrders: (q: WorkOrderQuery) => call<WorkOrdersResponse>('GET', `/work-orders${qs({ ...q })}`),
    workOrder: (woId: number) => call<WorkOrderDetailResponse>('GET', `/work-orders/${id(woId)}`),
    addWorkOrder: (body: NewWorkOrderRequest) => call<WorkOrderResponse>('POST', '/work-orders', { body }),
    assignWorkOrder: (woId: number, userId: number | null) =>
      call<WorkOrderResponse>('POST', `/work-orders/${id(woId)}/assign`, { body: { userId } }),
    startWorkOrder: (woId: number, note?: string) => wo(woId, 'start', note),
    fixedWorkOrder: (woId: number, note?: string) => wo(woId, 'fixed', note),
    closeWorkOrder: (woId: number, note?: string) => wo(woId, 'close', note),
    commentWorkOrder: (woId: number, text: string) =>
      call<WorkOrderEventResponse>('POST', `/work-orders/${id(woId)}/comments`, { body: { text } }),
    /** The photo is the raw request body, with its own content type (image/jpeg from a phone camera). */
    addPhoto: (woId: number, photo: Blob) =>
      call<PhotoResponse>('POST', `/work-orders/${id(woId)}/photos`, { raw: photo }),
    /** An <img src> (the browser sends the session cookie). */
    photoUrl: (woId: number, photoId: number) => `/api/v1/work-orders/${id(woId)}/photos/${id(photoId)}`,

    responseReport: (q: ReportQuery) => call<ResponseReport>('GET', `/reports/response${qs({ ...q })}`),
    /** A plain link: the browser downloads the CSV with the cookie. */
    monthlyCsvUrl: (month: string, township?: string) =>
      `/api/v1/reports/monthly.csv${qs({ month, township })}`,
  };
}
