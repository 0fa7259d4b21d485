/**
 * The shapes of the work-order and response-report API, for the routes and the web client. Times
 * are Unix ms.
 *
 * | method, path                                   | access                       | answer                      |
 * | ---------------------------------------------- | ---------------------------- | --------------------------- |
 * | `GET /api/v1/work-orders`                      | station:read, scoped         | `{workOrders, next}`        |
 * | `POST /api/v1/work-orders`                     | alert:write in its township  | 201 `{workOrder}`           |
 * | `GET /api/v1/work-orders/:id`                  | station:read in its township | `{workOrder, events, photos}` |
 * | `POST /api/v1/work-orders/:id/assign`          | alert:write in its township  | `{workOrder}`               |
 * | `POST /api/v1/work-orders/:id/start`           | alert:write in its township  | `{workOrder}`               |
 * | `POST /api/v1/work-orders/:id/fixed`           | alert:write in its township  | `{workOrder}`               |
 * | `POST /api/v1/work-orders/:id/close`           | alert:write in its township  | `{workOrder}`               |
 * | `POST /api/v1/work-orders/:id/comments`        | alert:write in its township  | 201 `{event}`               |
 * | `POST /api/v1/work-orders/:id/photos`          | alert:write in its township  | 201 `{photo}` (image body)  |
 * | `GET /api/v1/work-orders/:id/photos/:photoId`  | station:read in its township | the image                   |
 * | `GET /api/v1/reports/response`                 | station:read, scoped         | `{rows}`                    |
 * | `GET /api/v1/reports/monthly.csv`              | station:read, scoped         | CSV (UTF-8 BOM)             |
 * | `GET /api/v1/people`                           | station:read, scoped         | `{people}` (who may be assigned) |
 */
import { Type, type Static } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { PersonRef, MAX_COMMENT_LENGTH } from '../alerts/schemas.js';
import { Severity } from '../../alerts/types.js';

export const WorkOrderState = Type.Union(
  ['open', 'in_progress', 'fixed', 'verified', 'closed'].map((k) => Type.Literal(k)),
  { description: 'open → in_progress → fixed (claimed by the crew) → verified (by the sensor) → closed' },
);
export type WorkOrderState = 'open' | 'in_progress' | 'fixed' | 'verified' | 'closed';

export const Verification = Type.Object(
  {
    state: Type.Union(['waiting', 'passed', 'failed'].map((k) => Type.Literal(k))),
    /** Station time the readings started to show the fault gone; null while they do not. */
    goodSince: Type.Union([Type.Integer(), Type.Null()]),
    /** When it must have held to pass, station time ms; null while not yet good. */
    passesAt: Type.Union([Type.Integer(), Type.Null()]),
    evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'What the readings showed' }),
  },
  { additionalProperties: false },
);

export const WorkOrder = Type.Object(
  {
    id: Type.Integer(),
    alertId: Type.Union([Type.String(), Type.Null()], { description: 'The alert it was made from, if any' }),
    rule: Type.Union([Type.String(), Type.Null()], { description: "The alert's rule, if any" }),
    stationId: Type.String(),
    stationName: Type.String(),
    township: Type.String({ description: 'Township name' }),
    townshipCode: Type.String(),
    title: Type.String(),
    description: Type.String(),
    severity: Severity,
    state: WorkOrderState,
    assignee: Type.Union([PersonRef, Type.Null()]),
    createdAt: Type.Integer(),
    createdBy: Type.Union([PersonRef, Type.Null()], { description: 'null: made by the system' }),
    dueAt: Type.Integer({ description: 'SLA: fixed by this time (from the severity)' }),
    slaBreached: Type.Boolean({ description: 'Not fixed by dueAt (or fixed after it)' }),
    fixedAt: Type.Union([Type.Integer(), Type.Null()]),
    verifiedAt: Type.Union([Type.Integer(), Type.Null()]),
    closedAt: Type.Union([Type.Integer(), Type.Null()]),
    reopened: Type.Integer({ description: 'Times it went back to the crew (verification failed or the fault came back)' }),
    verification: Type.Union([Verification, Type.Null()], { description: 'Only while fixed, and after' }),
  },
  { additionalProperties: false },
);
export type WorkOrder = Static<typeof WorkOrder>;

export const WorkOrderEvent = Type.Object(
  {
    id: Type.Integer(),
    at: Type.Integer(),
    kind: Type.Union(
      [
        'created',
        'assigned',
        'started',
        'claimed_fixed',
        'verified',
        'verification_failed',
        'reopened',
        'closed',
        'commented',
        'photo',
      ].map((k) => Type.Literal(k)),
    ),
    user: Type.Union([PersonRef, Type.Null()], { description: 'null: the system (sensor verification)' }),
    text: Type.Union([Type.String(), Type.Null()]),
    photoId: Type.Union([Type.Integer(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const Photo = Type.Object(
  {
    id: Type.Integer(),
    at: Type.Integer(),
    by: Type.Union([PersonRef, Type.Null()]),
    contentType: Type.String(),
    bytes: Type.Integer(),
  },
  { additionalProperties: false },
);

export const WorkOrderListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union([WorkOrderState, Type.Literal('active'), Type.Literal('all')], {
        description: 'active (default): open, in_progress, fixed',
      }),
    ),
    station: Type.Optional(Type.String({ pattern: STATION_ID_PATTERN, maxLength: 64 })),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    assignee: Type.Optional(Type.Union([Type.Literal('me'), Type.String({ pattern: '^[0-9]{1,12}$' })])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    before: Type.Optional(Type.String({ maxLength: 64 })),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const WorkOrderList = Type.Object(
  { workOrders: Type.Array(WorkOrder), next: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);

export const NewWorkOrderBody = Type.Union([
  Type.Object(
    {
      alertId: Type.String({ minLength: 1, maxLength: 64 }),
      assigneeId: Type.Optional(Type.Integer({ minimum: 1 })),
      description: Type.Optional(Type.String({ maxLength: MAX_COMMENT_LENGTH })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      stationId: Type.String({ pattern: STATION_ID_PATTERN, maxLength: 64 }),
      title: Type.String({ minLength: 1, maxLength: 200 }),
      description: Type.Optional(Type.String({ maxLength: MAX_COMMENT_LENGTH })),
      severity: Severity,
      assigneeId: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
]);

export const WorkOrderAnswer = Type.Object({ workOrder: WorkOrder }, { additionalProperties: false });
export const WorkOrderDetail = Type.Object(
  { workOrder: WorkOrder, events: Type.Array(WorkOrderEvent), photos: Type.Array(Photo) },
  { additionalProperties: false },
);
export const WorkOrderNoteBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: MAX_COMMENT_LENGTH })) },
  { additionalProperties: false },
);
export const WorkOrderEventAnswer = Type.Object({ event: WorkOrderEvent }, { additionalProperties: false });
export const PhotoAnswer = Type.Object({ photo: Photo }, { additionalProperties: false });

export const ReportQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date', description: 'First day (local), default: 30 days ago' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'Last day (local), inclusive' })),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const ResponseRow = Type.Object(
  {
    townshipCode: Type.String(),
    township: Type.String(),
    rule: Type.String({ description: 'A rule, or `*` for all rules of the township' }),
    alerts: Type.Integer(),
    acknowledged: Type.Integer(),
    mttaMs: Type.Union([Type.Number(), Type.Null()], { description: 'Mean time from fire to acknowledgement' }),
    resolved: Type.Integer(),
    mttrMs: Type.Union([Type.Number(), Type.Null()], { description: 'Mean time from fire to resolve' }),
    workOrders: Type.Integer(),
    slaBreaches: Type.Integer(),
    reopened: Type.Integer(),
  },
  { additionalProperties: false },
);
export const ResponseReport = Type.Object(
  { from: Type.String(), to: Type.String(), rows: Type.Array(ResponseRow) },
  { additionalProperties: false },
);

export const MonthlyQuery = Type.Object(
  {
    month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' }),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const Person = Type.Object(
  {
    id: Type.Integer(),
    displayName: Type.String(),
    roles: Type.Array(Type.String()),
    hasMobile: Type.Boolean({ description: 'Can be @-mentioned on WeCom/DingTalk' }),
  },
  { additionalProperties: false },
);
export const PeopleQuery = Type.Object(
  {
    township: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Optional(
      Type.Literal('grid_staff', {
        description: "grid_staff: the township's grid members (who take riders' reports) instead of those holding alert:write",
      }),
    ),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);
export const PeopleAnswer = Type.Object({ people: Type.Array(Person) }, { additionalProperties: false });
