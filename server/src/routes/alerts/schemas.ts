/**
 * The shapes of the alerts API (`/api/v1/alerts…`), for the routes and the web client. Alert times
 * keep the RFC 3339 strings of the Alert contract; acknowledgement and event times are Unix ms.
 */
import { Type, type Static } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { Alert, AlertEventKind, RULE_NAME_PATTERN } from '../../alerts/types.js';
import { MAX_LIST_LIMIT } from '../../alerts/repo.js';

export const MAX_COMMENT_LENGTH = 2000;
export const DEFAULT_LIST_LIMIT = 50;

export const PersonRef = Type.Object(
  { id: Type.Integer(), displayName: Type.String() },
  { additionalProperties: false },
);

/**
 * Where an alert stands, as a crew reads it: firing → acknowledged → resolved → closed, or held
 * back from notification: suppressed (inhibited by a dark station, a serial link down or an outage
 * incident), flapping (changed state too often; a person reviews it), silenced (a silence matched).
 */
export const AlertLifecycle = Type.Union(
  ['firing', 'acknowledged', 'resolved', 'closed', 'suppressed', 'flapping', 'silenced'].map((k) => Type.Literal(k)),
);

export const StoredAlert = Type.Composite(
  [
    Alert,
    Type.Object({
      townshipCode: Type.String({ description: 'The township code (township is its name)' }),
      acknowledged: Type.Union([
        Type.Object(
          { at: Type.Integer(), by: Type.Union([PersonRef, Type.Null()]) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
      comments: Type.Integer({ description: 'How many comments the alert has' }),
      lifecycle: AlertLifecycle,
      assignee: Type.Union([PersonRef, Type.Null()]),
      closed: Type.Union([
        Type.Object(
          { at: Type.Integer(), by: Type.Union([PersonRef, Type.Null()]) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
      workOrderId: Type.Union([Type.Integer(), Type.Null()], { description: 'The work order made from it, if any' }),
    }),
  ],
  { additionalProperties: false },
);
export type StoredAlert = Static<typeof StoredAlert>;

export const AlertEvent = Type.Object(
  {
    at: Type.Integer(),
    kind: AlertEventKind,
    user: Type.Union([PersonRef, Type.Null()], { description: 'null: the rule engine' }),
    text: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type AlertEvent = Static<typeof AlertEvent>;

export const AlertListQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('firing'), Type.Literal('resolved'), Type.Literal('all')], {
      default: 'firing',
    }),
    station: Type.Optional(Type.String({ pattern: STATION_ID_PATTERN, maxLength: 64 })),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    rule: Type.Optional(Type.String({ pattern: RULE_NAME_PATTERN, maxLength: 64 })),
    acked: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    assignee: Type.Optional(
      Type.Union([Type.Literal('me'), Type.String({ pattern: '^[0-9]{1,12}$' })], {
        description: '`me` or a user id',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT }),
    before: Type.Optional(Type.String({ maxLength: 64, description: 'The `next` of the previous page' })),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const AlertList = Type.Object(
  {
    alerts: Type.Array(StoredAlert),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'before= of the next page; null: last page',
    }),
  },
  { additionalProperties: false },
);

export const AlertWithEvents = Type.Object(
  { alert: StoredAlert, events: Type.Array(AlertEvent) },
  { additionalProperties: false },
);

export const AlertAnswer = Type.Object({ alert: StoredAlert }, { additionalProperties: false });

export const CommentBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }) },
  { additionalProperties: false },
);
/** ack and unack take no fields (an empty object or no body). */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const CommentAnswer = Type.Object({ event: AlertEvent }, { additionalProperties: false });

export const AssignBody = Type.Object(
  { userId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'null: unassign' }) },
  { additionalProperties: false },
);
export const CloseBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: MAX_COMMENT_LENGTH })) },
  { additionalProperties: false },
);
