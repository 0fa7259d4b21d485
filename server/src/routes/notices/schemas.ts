/** The shapes of the notices API (`/api/v1/notices…`, `/api/v1/public/stations/:id/notices`). Times are Unix ms. */
import { Type, type Static } from '@sinclair/typebox';
import { PersonRef } from '../alerts/schemas.js';

export {
  MAX_TITLE_LENGTH,
  MAX_BODY_LENGTH,
  NOTICE_KINDS,
  NOTICE_SEVERITIES,
  NoticeKind,
  NoticeSeverity,
  NoticeScope,
  NoticeTitle,
  NoticeBody,
  PublicNotice,
} from '@yizhan/screen/notice';
import {
  NoticeBody,
  NoticeKind,
  NoticeScope,
  NoticeSeverity,
  NoticeTitle,
  PublicNotice,
} from '@yizhan/screen/notice';

/** Longest a notice may be shown: a longer one is a fixture of the station, not a notice. */
export const MAX_NOTICE_SPAN_MS = 90 * 86_400_000;
/** How far ahead a notice may be scheduled. */
export const MAX_NOTICE_LEAD_MS = 365 * 86_400_000;

export const Notice = Type.Object(
  {
    ...PublicNotice.properties,
    createdBy: Type.Union([PersonRef, Type.Null()]),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
    withdrawnAt: Type.Union([Type.Integer(), Type.Null()]),
    withdrawnBy: Type.Union([PersonRef, Type.Null()]),
  },
  { additionalProperties: false },
);
export type Notice = Static<typeof Notice>;

export const NewNoticeBody = Type.Object(
  {
    scope: NoticeScope,
    kind: NoticeKind,
    severity: Type.Optional(NoticeSeverity),
    title: NoticeTitle,
    body: NoticeBody,
    startsAt: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: now' })),
    endsAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** A change: any of these; the scope stays (withdraw and post a new notice to move one). */
export const NoticeChangeBody = Type.Object(
  {
    kind: Type.Optional(NoticeKind),
    severity: Type.Optional(NoticeSeverity),
    title: Type.Optional(NoticeTitle),
    body: Type.Optional(NoticeBody),
    startsAt: Type.Optional(Type.Integer({ minimum: 0 })),
    endsAt: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const NoticeListQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('current'), Type.Literal('all')], {
      default: 'current',
      description: 'current: active and upcoming; all: also ended and withdrawn (history)',
    }),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const NoticeList = Type.Object({ notices: Type.Array(Notice) }, { additionalProperties: false });
export const NoticeAnswer = Type.Object({ notice: Notice }, { additionalProperties: false });
/** The public answer and the SSE `notice` event's data: a station's active notices, in screen order. */
export const StationNotices = Type.Object(
  { stationId: Type.String(), notices: Type.Array(PublicNotice) },
  { additionalProperties: false },
);
export type StationNotices = Static<typeof StationNotices>;
