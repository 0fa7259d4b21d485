/** API shapes of the notification outbox's admin view (routes.ts). */
import { Type, type Static } from '@sinclair/typebox';

export const OutboxStates = ['pending', 'sending', 'sent', 'failed', 'dead'] as const;

export const NotificationAttempt = Type.Object(
  {
    at: Type.Integer(),
    ok: Type.Boolean(),
    code: Type.Union([Type.String(), Type.Null()], {
      description: "The vendor's code, http_<status>, timeout …",
    }),
    detail: Type.String(),
    durationMs: Type.Integer(),
  },
  { additionalProperties: false },
);

export const Notification = Type.Object(
  {
    id: Type.Integer(),
    dedupeKey: Type.String({ description: '`${alertId}:${fired|resolved|esc<level>.<n>}:${channel}`' }),
    channel: Type.String(),
    state: Type.Union(OutboxStates.map((s) => Type.Literal(s))),
    title: Type.String(),
    attempts: Type.Integer(),
    createdAt: Type.Integer(),
    nextAttemptAt: Type.Integer(),
    sentAt: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    tries: Type.Array(NotificationAttempt, {
      description: 'Every attempt, oldest first (at most the last 20)',
    }),
  },
  { additionalProperties: false },
);
export type Notification = Static<typeof Notification>;

export const NotificationListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union(OutboxStates.map((s) => Type.Literal(s)))),
    channel: Type.Optional(
      Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'A channel name of notify.yaml' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before: Type.Optional(
      Type.Integer({ minimum: 1, description: 'id of the last item of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

export const NotificationList = Type.Object(
  { notifications: Type.Array(Notification), next: Type.Union([Type.Integer(), Type.Null()]) },
  { additionalProperties: false },
);

export const NotificationAnswer = Type.Object(
  { notification: Notification },
  { additionalProperties: false },
);
