/**
 * The notices routes of the API client (issue 15): the union's notices on the station screens,
 * listed for the reader's townships and the county, posted, changed and withdrawn by those holding
 * notice:write. createClient (client.ts) spreads these into the one client, sharing its `call`.
 */
import type { NewNoticeRequest, NoticeChangeRequest, NoticeResponse, NoticesResponse } from './types.js';
import { queryString as qs, type CallOptions } from './client.js';

type Call = <T>(method: string, path: string, opts?: CallOptions) => Promise<T>;
type Id = (v: number | string) => string;

export function noticeRoutes(call: Call, id: Id) {
  return {
    /** current: showing and upcoming; all: also ended and withdrawn. */
    notices: (state: 'current' | 'all' = 'current') => call<NoticesResponse>('GET', `/notices${qs({ state })}`),
    addNotice: (body: NewNoticeRequest) => call<NoticeResponse>('POST', '/notices', { body }),
    changeNotice: (noticeId: number, body: NoticeChangeRequest) =>
      call<NoticeResponse>('PATCH', `/notices/${id(noticeId)}`, { body }),
    withdrawNotice: (noticeId: number) => call<NoticeResponse>('POST', `/notices/${id(noticeId)}/withdraw`),
  };
}
