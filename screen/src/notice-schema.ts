/**
 * A notice of the union as a screen shows it (`PublicNotice`): where it shows, its kind and
 * severity, its texts in Chinese (and English) and its start and end. Times are Unix ms.
 */
import { Type, type Static } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';

export const MAX_TITLE_LENGTH = 80;
export const MAX_BODY_LENGTH = 1000;
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
