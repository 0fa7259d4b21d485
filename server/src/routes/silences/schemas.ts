/** The shapes of the silences API (`/api/v1/silences…`), for the routes and the web client. Times are Unix ms. */
import { Type } from '@sinclair/typebox';
import { STATION_ID_PATTERN } from '@yizhan/protocol';
import { RULE_NAME_PATTERN, Severity } from '../../alerts/types.js';
import { PersonRef } from '../alerts/schemas.js';

export const MAX_REASON_LENGTH = 500;
const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const SilenceWindow = Type.Object(
  {
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: 'ISO weekdays: 1 Monday … 7 Sunday',
    }),
    from: Type.String({ pattern: HHMM, description: 'Local time "HH:MM" (YIZHAN_TIMEZONE)' }),
    to: Type.String({ pattern: HHMM, description: 'Before from: the window crosses midnight' }),
  },
  { additionalProperties: false },
);

export const SilenceMatchers = Type.Object(
  {
    stationId: Type.Optional(Type.String({ pattern: STATION_ID_PATTERN, maxLength: 64 })),
    township: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Township code' })),
    rule: Type.Optional(Type.String({ pattern: RULE_NAME_PATTERN, maxLength: 64 })),
    severity: Type.Optional(Severity),
  },
  { additionalProperties: false },
);

export const Silence = Type.Object(
  {
    id: Type.Integer(),
    matchers: SilenceMatchers,
    startsAt: Type.Integer(),
    endsAt: Type.Integer({ description: 'Expiry' }),
    window: Type.Union([SilenceWindow, Type.Null()]),
    reason: Type.String(),
    createdBy: Type.Union([PersonRef, Type.Null()]),
    createdAt: Type.Integer(),
    endedAt: Type.Union([Type.Integer(), Type.Null()], { description: 'Ended early by a person' }),
    endedBy: Type.Union([PersonRef, Type.Null()]),
  },
  { additionalProperties: false },
);

export const SilenceListQuery = Type.Object(
  {
    active: Type.Union([Type.Literal('true'), Type.Literal('false')], {
      default: 'true',
      description: 'false: also the ended and expired ones (history)',
    }),
    lang: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

export const SilenceList = Type.Object({ silences: Type.Array(Silence) }, { additionalProperties: false });

export const NewSilenceBody = Type.Object(
  {
    matchers: SilenceMatchers,
    startsAt: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: now' })),
    endsAt: Type.Integer({ minimum: 0 }),
    window: Type.Optional(SilenceWindow),
    reason: Type.String({ minLength: 1, maxLength: MAX_REASON_LENGTH }),
  },
  { additionalProperties: false },
);

export const SilenceAnswer = Type.Object({ silence: Silence }, { additionalProperties: false });
