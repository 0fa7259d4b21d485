/** The shapes of the notices API (`/api/v1/notices…`, `/api/v1/public/stations/:id/notices`). Times are Unix ms. */
import { Type, type Static } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { PersonRef } from '../alerts/schemas.js';

export const MAX_TITLE_LENGTH = 80;
export const MAX_BODY_LENGTH = 1000;
/** Longest a notice may be shown: a longer one is a fixture of the station, not a notice. */
export const MAX_NOTICE_SPAN_MS = 90 * 86_400_000;
/** How far ahead a notice may be scheduled. */
export const MAX_NOTICE_LEAD_MS = 365 * 86_400_000;

export const NOTICE_KINDS = ['weather', 'hours', 'event', 'other'] as const;
export const NOTICE_SEVERITIES = ['critical', 'warning', 'info'] as const;
export const NoticeKind = Type.Union(NOTICE_KINDS.map((k) => Type.Literal(k)));
export const NoticeSeverity = Type.Union(NOTICE_SEVERITIES.map((k) => Type.Literal(k)));

/** Where a notice shows: every station of the county, of one township, or one station. */
export const NoticeScope = Type.Union([
  Type.Object({ county: Type.Literal(true) }, { additionalProperties: false }),
  Type.Object(
    { township: Type.String({ minLength: 1, maxLength: 64, description: 'Township code' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { stationId: Type.String({ pattern: STATION_ID_PATTERN, maxLength: 64 }) },
    { additionalProperties: false },
  ),
]);
export type NoticeScope = Static<typeof NoticeScope>;

const Text = (max: number) =>
  Type.Object(
    {
      'zh-CN': Type.String({ minLength: 1, maxLength: max }),
      en: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()])),
    },
    { additionalProperties: false },
  );
export const NoticeTitle = Text(MAX_TITLE_LENGTH);
export const NoticeBody = Text(MAX_BODY_LENGTH);

/** What a screen shows: no authors, no history. */
export const PublicNotice = Type.Object(
  {
    id: Type.Integer(),
    scope: NoticeScope,
    kind: NoticeKind,
    severity: NoticeSeverity,
    title: NoticeTitle,
    body: NoticeBody,
    startsAt: Type.Integer(),
    endsAt: Type.Integer(),
  },
  { additionalProperties: false },
);
export type PublicNotice = Static<typeof PublicNotice>;

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
