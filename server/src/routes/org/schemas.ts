/**
 * Request and response schemas of the organisation routes (townships, fleet, audit), exported for
 * the web client. Times are Unix ms.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../auth/roles.js';
import { Counts } from '../../org/fleet.js';
import { LOGIN_PATTERN } from '../../auth/accounts.js';

/** An audit action: `noun.verb`, lower case (user.add, alert.ack). */
const ACTION_PATTERN = '^[a-z][a-z_]*(\\.[a-z_]+)+$';
const Code = Type.String({ maxLength: 64, description: 'Township code, e.g. "chengguan"' });
const Ms = (description: string) => Type.Integer({ minimum: 0, description });

export const TownshipView = Type.Object(
  {
    code: Code,
    nameZh: Type.String(),
    nameEn: Type.String(),
    stations: Type.Integer({ minimum: 0, description: 'Number of stations in the township' }),
    crew: Type.Array(
      Type.Object(
        {
          id: Type.Integer(),
          displayName: Type.String(),
          role: Type.Union(
            ROLES.filter((r) => r === 'crew_lead' || r === 'crew_member').map((r) => Type.Literal(r)),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'Enabled users with a crew_lead or crew_member grant on this township' },
    ),
  },
  { additionalProperties: false },
);
export const TownshipsAnswer = Type.Object(
  { townships: Type.Array(TownshipView, { description: 'The townships the reader may see, by code' }) },
  { additionalProperties: false },
);
export type TownshipsAnswer = Static<typeof TownshipsAnswer>;

export { Counts };
export const FleetAnswer = Type.Object(
  {
    generatedAt: Ms('When the figures were computed'),
    total: Counts,
    townships: Type.Array(
      Type.Object(
        { code: Code, nameZh: Type.String(), nameEn: Type.String(), ...Counts.properties },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FleetAnswer = Static<typeof FleetAnswer>;

const Lang = Type.Optional(Type.String({ maxLength: 16, description: 'zh-CN (default) or en' }));
export const TownshipsQuery = Type.Object({ lang: Lang }, { additionalProperties: false });

export const FleetQuery = Type.Object(
  { township: Type.Optional(Code), lang: Lang },
  { additionalProperties: false },
);

export const AuditEntry = Type.Object(
  {
    id: Type.Integer(),
    at: Ms('When the write was made'),
    user: Type.Union([
      Type.Object({ id: Type.Integer(), login: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
    address: Type.Union([Type.String(), Type.Null()], { description: 'Client address of the request' }),
    action: Type.String({ description: 'noun.verb: user.add, config.put, alert.ack …' }),
    target: Type.String({ description: 'user:12, station:st-001, alert:<id>' }),
    township: Type.Union([Type.String(), Type.Null()], { description: 'null: county-wide' }),
    before: Type.Unknown(),
    after: Type.Unknown(),
  },
  { additionalProperties: false },
);
export const AuditAnswer = Type.Object(
  {
    entries: Type.Array(AuditEntry, { description: 'Newest first' }),
    next: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Pass as `before` for the next page; null: no more',
    }),
  },
  { additionalProperties: false },
);
export type AuditAnswer = Static<typeof AuditAnswer>;

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;
export const AUDIT_CSV_DEFAULT = 10_000;
export const AUDIT_CSV_MAX = 100_000;

const auditFilters = {
  from: Type.Optional(Ms('Entries at or after (Unix ms)')),
  to: Type.Optional(Ms('Entries before (Unix ms)')),
  user: Type.Optional(
    Type.String({ pattern: LOGIN_PATTERN, maxLength: 64, description: 'Login of the user' }),
  ),
  action: Type.Optional(
    Type.String({ pattern: ACTION_PATTERN, maxLength: 64, description: 'e.g. user.add' }),
  ),
  township: Type.Optional(Code),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'The `next` of the previous page' })),
  lang: Lang,
};
export const AuditQuery = Type.Object(
  {
    ...auditFilters,
    limit: Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT }),
  },
  { additionalProperties: false },
);
export const AuditCsvQuery = Type.Object(
  {
    ...auditFilters,
    limit: Type.Integer({ minimum: 1, maximum: AUDIT_CSV_MAX, default: AUDIT_CSV_DEFAULT }),
  },
  { additionalProperties: false },
);
