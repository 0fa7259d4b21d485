/**
 * Rider reports (随手拍 / 建议板): request and answer schemas of the public routes (no login: the
 * phone page and the station screen's QR code) and of the staff routes (triage, assignment,
 * figures), exported for the web client through api-types.ts. The public shapes never hold
 * contact data or staff names; the staff list never holds contact data either (only the detail,
 * to staff holding report:triage in the report's township). Times are Unix ms.
 */
import { Type, type Static, type TLiteral, type TSchema } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { PersonRef } from '../alerts/schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ms = (description: string) => Type.Integer({ minimum: 0, description });
const Lang = Type.Optional(Type.String({ maxLength: 16, description: 'zh-CN (default) or en' }));
type Names = { 'zh-CN': string; en: string };

export const REPORT_CATEGORIES = [
  'station_fault',
  'missing_supplies',
  'road_damage',
  'blocked_lane',
  'food_safety',
  'other_street',
] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];
/** station: about a station (needs stationId; becomes a work order); street: assigned or forwarded. */
export type ReportKind = 'station' | 'street';

export const CATEGORY_INFO: Record<ReportCategory, Names & { kind: ReportKind }> = {
  station_fault: { kind: 'station', 'zh-CN': '驿站设施故障', en: 'Station fault' },
  missing_supplies: { kind: 'station', 'zh-CN': '物资缺少（急救包、雨伞等）', en: 'Missing supplies' },
  road_damage: { kind: 'street', 'zh-CN': '道路破损', en: 'Broken road' },
  blocked_lane: { kind: 'street', 'zh-CN': '通道堵塞、占道', en: 'Blocked lane' },
  food_safety: { kind: 'street', 'zh-CN': '食品安全', en: 'Food safety' },
  other_street: { kind: 'street', 'zh-CN': '其他街面问题', en: 'Other street problem' },
};

/** What the rider sees: received → accepted → in_progress → resolved, or one of the refusals. */
export const REPORT_STATUSES = [
  'received',
  'accepted',
  'in_progress',
  'resolved',
  'duplicate',
  'not_valid',
  'outside_remit',
] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const STATUS_NAMES: Record<ReportStatus, Names> = {
  received: { 'zh-CN': '已收到', en: 'Received' },
  accepted: { 'zh-CN': '已受理', en: 'Accepted' },
  in_progress: { 'zh-CN': '处理中', en: 'In progress' },
  resolved: { 'zh-CN': '已解决', en: 'Resolved' },
  duplicate: { 'zh-CN': '重复反映', en: 'Duplicate' },
  not_valid: { 'zh-CN': '不予受理', en: 'Not accepted' },
  outside_remit: {
    'zh-CN': '不属于本平台受理范围（已转交/请联系相关部门）',
    en: 'Outside our remit (forwarded / please contact the department concerned)',
  },
};
/** A closed report: its contact data is deleted after the retention period (reports/retention.ts). */
export const CLOSED_STATUSES: readonly ReportStatus[] = [
  'resolved',
  'duplicate',
  'not_valid',
  'outside_remit',
];

export const TRIAGE_DECISIONS = ['valid', 'duplicate', 'not_valid', 'outside_remit'] as const;
export type TriageDecision = (typeof TRIAGE_DECISIONS)[number];

/** 8 Crockford base32 characters, shown as XXXX-XXXX. */
export const RECEIPT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Also lower case, without the dash, and the look-alikes I L O (read as 1 1 0). */
export const RECEIPT_PATTERN = '^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$';
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9_-]{16,64}$';
export const MAX_REPORT_TEXT = 500;
export const MAX_REPORT_PHOTOS = 3;
export const REPORT_PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };
/** A union of the list's literals, its Static the list's own union (not string). */
const literals = <T extends readonly string[]>(xs: T) =>
  Type.Union(xs.map((x) => Type.Literal(x)) as unknown as [...Literals<T>]);
export const ReportCategorySchema = literals(REPORT_CATEGORIES);
export const ReportStatusSchema = literals(REPORT_STATUSES);
const KindSchema = Type.Union([Type.Literal('station'), Type.Literal('street')]);

// ---------------------------------------------------------------- public (no login)

export const PublicLangQuery = Type.Object({ lang: Lang }, { additionalProperties: false });

export const ReportCategoriesAnswer = Type.Object(
  {
    categories: Type.Array(
      Type.Object(
        {
          id: ReportCategorySchema,
          name: Type.String({ description: "In the request's language" }),
          kind: KindSchema,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ReportLocation = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false, description: 'WGS-84, as the browser gives it' },
);

export const NewReportBody = Type.Object(
  {
    category: ReportCategorySchema,
    text: Type.String({
      minLength: 1,
      maxLength: MAX_REPORT_TEXT,
      description: '1–500 characters after trim',
    }),
    stationId: Type.Optional(Type.String({ pattern: STATION_ID_PATTERN, maxLength: 32 })),
    location: Type.Optional(ReportLocation),
    contact: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ maxLength: 40 })),
          phone: Type.Optional(Type.String({ maxLength: 20, pattern: '^[0-9 +-]*$' })),
        },
        { additionalProperties: false, description: 'Seen only by the township staff handling it' },
      ),
    ),
    credit: Type.Optional(
      Type.Object(
        { name: Type.String({ minLength: 1, maxLength: 40 }) },
        { additionalProperties: false, description: "The rider agrees to be named in the union's figures" },
      ),
    ),
    photoCount: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_REPORT_PHOTOS })),
  },
  { additionalProperties: false },
);
export type NewReportBody = Static<typeof NewReportBody>;

export const NewReportAnswer = Type.Object(
  {
    receipt: Type.String({ description: 'XXXX-XXXX, Crockford base32' }),
    uploadToken: Type.String({ description: 'Bearer token for the photo uploads' }),
    uploadUntil: Ms('The upload token is refused after this'),
    statusUrl: Type.String(),
  },
  { additionalProperties: false },
);

/** A 429 of the report routes: the error, and when to try again (also in Retry-After). */
export const RateLimitedBody = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
    retryAfterS: Type.Integer({ minimum: 1, description: 'Seconds until a new try can succeed' }),
  },
  { additionalProperties: false },
);

export const ReceiptParams = Type.Object(
  { receipt: Type.String({ pattern: RECEIPT_PATTERN, maxLength: 9 }) },
  { additionalProperties: false },
);
export const PhotoUploadQuery = Type.Object(
  {
    keepLocation: Type.Optional(
      Type.Union([Type.Literal('0'), Type.Literal('1')], {
        description: "1: the rider allowed the photo's own location (EXIF GPS) to be kept",
      }),
    ),
    lang: Lang,
  },
  { additionalProperties: false },
);
export const PhotoUploadAnswer = Type.Object(
  { photo: Type.Integer({ minimum: 1, maximum: MAX_REPORT_PHOTOS, description: "The photo's number" }) },
  { additionalProperties: false },
);

export const HandledBy = Type.Object(
  {
    kind: Type.Union([Type.Literal('work_order'), Type.Literal('grid_member'), Type.Literal('department')]),
    name: Type.Optional(Type.String({ description: 'A department only: staff are never named' })),
  },
  { additionalProperties: false },
);

export const PublicHistoryItem = Type.Object(
  {
    at: Ms('When'),
    status: ReportStatusSchema,
    statusName: Type.String(),
    note: Type.Optional(Type.String({ description: 'The public note (reason, resolution)' })),
  },
  { additionalProperties: false },
);

export const PublicReport = Type.Object(
  {
    receipt: Type.String(),
    category: ReportCategorySchema,
    categoryName: Type.String(),
    text: Type.String(),
    stationId: Type.Optional(Type.String()),
    stationName: Type.Optional(Type.String()),
    createdAt: Ms('When it was received'),
    status: ReportStatusSchema,
    statusName: Type.String(),
    reason: Type.Optional(Type.String({ description: 'Why duplicate, not valid or outside our remit' })),
    handledBy: Type.Optional(HandledBy),
    history: Type.Array(PublicHistoryItem, { description: 'Oldest first' }),
    photos: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type PublicReport = Static<typeof PublicReport>;

// ---------------------------------------------------------------- staff (report:triage)

export const ReportIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const ReportPhotoParams = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  n: Type.Integer({ minimum: 1, maximum: MAX_REPORT_PHOTOS }),
});

export const ReportListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([ReportStatusSchema, Type.Literal('open'), Type.Literal('all')], {
        description: 'open (default): received, accepted, in_progress; all: every status',
      }),
    ),
    category: Type.Optional(ReportCategorySchema),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    station: Type.Optional(Type.String({ pattern: STATION_ID_PATTERN, maxLength: 32 })),
    from: Type.Optional(Type.String({ format: 'date', description: 'First local day (received)' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'Last local day, inclusive' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(Type.String({ maxLength: 16, description: "The previous page's next" })),
    lang: Lang,
  },
  { additionalProperties: false },
);
export type ReportListQuery = Static<typeof ReportListQuery>;

export const StaffReport = Type.Object(
  {
    id: Type.Integer(),
    receipt: Type.String(),
    category: ReportCategorySchema,
    categoryName: Type.String(),
    kind: KindSchema,
    text: Type.String(),
    stationId: Nullable(Type.String()),
    stationName: Nullable(Type.String()),
    townshipCode: Type.String(),
    township: Type.String(),
    location: Nullable(ReportLocation),
    createdAt: Ms('Received'),
    status: ReportStatusSchema,
    statusName: Type.String(),
    decision: Nullable(literals(TRIAGE_DECISIONS)),
    reason: Nullable(Type.String()),
    duplicateOf: Nullable(Type.String({ description: "The earlier report's receipt" })),
    triagedAt: Nullable(Ms('First triage decision')),
    triagedBy: Nullable(PersonRef),
    workOrderId: Nullable(Type.Integer()),
    assignee: Nullable(PersonRef),
    department: Nullable(Type.String({ description: 'Forwarded to this department' })),
    resolvedAt: Nullable(Ms('Resolved or closed')),
    photos: Type.Integer({ minimum: 0 }),
    hasContact: Type.Boolean({ description: 'The rider left contact data (shown in the detail only)' }),
    credited: Type.Boolean({ description: 'The rider agreed to be named in the figures' }),
  },
  { additionalProperties: false },
);
export type StaffReport = Static<typeof StaffReport>;

export const ReportList = Type.Object(
  { reports: Type.Array(StaffReport), next: Nullable(Type.String()) },
  { additionalProperties: false },
);

export const StaffHistoryItem = Type.Object(
  {
    at: Ms('When'),
    kind: Type.String({
      description: 'received, triaged, work_order, assigned, forwarded, resolved, status',
    }),
    status: ReportStatusSchema,
    statusName: Type.String(),
    note: Nullable(Type.String({ description: 'Shown to the rider too' })),
    by: Nullable(PersonRef),
  },
  { additionalProperties: false },
);

export const ReportPhotoInfo = Type.Object(
  {
    n: Type.Integer({ minimum: 1 }),
    at: Ms('Uploaded'),
    contentType: Type.String(),
    bytes: Type.Integer(),
    keptLocation: Type.Boolean({ description: "The rider allowed the photo's own location" }),
    url: Type.String(),
  },
  { additionalProperties: false },
);

export const ReportContact = Type.Object(
  { name: Nullable(Type.String()), phone: Nullable(Type.String()) },
  { additionalProperties: false },
);

export const ReportDetail = Type.Object(
  {
    report: StaffReport,
    contact: Nullable(ReportContact),
    contactState: Type.Union(
      [Type.Literal('shown'), Type.Literal('none'), Type.Literal('deleted'), Type.Literal('hidden')],
      {
        description:
          'shown: the reader holds report:triage in its township (the view is audited); none: the rider left ' +
          'none; deleted: past the retention after closing; hidden: not for this reader',
      },
    ),
    creditName: Nullable(Type.String()),
    history: Type.Array(StaffHistoryItem),
    photos: Type.Array(ReportPhotoInfo),
  },
  { additionalProperties: false },
);

export const TriageBody = Type.Object(
  {
    decision: literals(TRIAGE_DECISIONS),
    reason: Type.Optional(
      Type.String({ maxLength: 500, description: 'Required except for valid; shown to the rider' }),
    ),
    duplicateOf: Type.Optional(Type.String({ pattern: RECEIPT_PATTERN, description: 'The earlier receipt' })),
  },
  { additionalProperties: false },
);
export type TriageBody = Static<typeof TriageBody>;

/** Exactly one of userId (a grid member of the township) and department (forwarded, named). */
export const AssignReportBody = Type.Object(
  {
    userId: Type.Optional(Type.Integer({ minimum: 1, description: 'A grid_staff user of the township' })),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'e.g. 县城管局' })),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type AssignReportBody = Static<typeof AssignReportBody>;

export const ResolveReportBody = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 500, description: 'Shown to the rider' }) },
  { additionalProperties: false },
);

export const ReportAnswer = Type.Object({ report: StaffReport }, { additionalProperties: false });

export const FiguresQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ format: 'date', description: 'First local day, default: 12 months back' }),
    ),
    to: Type.Optional(Type.String({ format: 'date', description: 'Last local day, inclusive' })),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    lang: Lang,
  },
  { additionalProperties: false },
);

export const FiguresRow = Type.Object(
  {
    month: Type.String({ description: 'YYYY-MM, local' }),
    townshipCode: Type.String(),
    township: Type.String(),
    category: ReportCategorySchema,
    categoryName: Type.String(),
    received: Type.Integer(),
    valid: Type.Integer(),
    medianAnswerS: Nullable(Type.Number({ description: 'Received → first triage decision' })),
  },
  { additionalProperties: false },
);
export const FiguresRider = Type.Object(
  { name: Type.String({ description: 'As the rider gave it in credit.name' }), valid: Type.Integer() },
  { additionalProperties: false },
);
export const FiguresAnswer = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    rows: Type.Array(FiguresRow),
    riders: Type.Array(FiguresRider, { description: 'Credited riders by valid reports, most first' }),
  },
  { additionalProperties: false },
);
export type FiguresAnswer = Static<typeof FiguresAnswer>;
