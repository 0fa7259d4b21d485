/**
 * Request and response schemas of the organisation routes (townships, fleet, audit), exported for
 * the web client. Times are Unix ms.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../auth/roles.js';

const Code = Type.String({ maxLength: 64, description: 'Township code, e.g. "chengguan"' });
const Ms = (description: string) => Type.Integer({ minimum: 0, description });
const CountMap = (description: string) =>
  Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description });

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

const countFields = {
  stations: Type.Integer({ minimum: 0 }),
  online: Type.Integer({ minimum: 0, description: 'Says online and heard within YIZHAN_DARK_AFTER' }),
  offline: Type.Integer({ minimum: 0, description: 'Said goodbye, or never heard since the server started' }),
  dark: Type.Integer({ minimum: 0, description: 'Will fired, or silent longer than YIZHAN_DARK_AFTER' }),
  withAlerts: Type.Integer({ minimum: 0, description: 'Stations with a firing alert' }),
  alertsByRule: CountMap('Stations with a firing alert of each rule'),
  staleSensors: Type.Integer({
    minimum: 0,
    description: 'Online stations whose agent reports its serial link down',
  }),
  config: Type.Object(
    {
      inSync: Type.Integer({ minimum: 0, description: 'Reported the desired version as applied' }),
      pending: Type.Integer({ minimum: 0, description: 'Not yet applied, or rejected' }),
      never: Type.Integer({ minimum: 0, description: 'No config was ever sent' }),
    },
    { additionalProperties: false },
  ),
  agentVersions: CountMap('Stations by the agent version of their latest health report'),
};
export const Counts = Type.Object(countFields, { additionalProperties: false });
export const FleetAnswer = Type.Object(
  {
    generatedAt: Ms('When the figures were computed'),
    total: Counts,
    townships: Type.Array(
      Type.Object(
        { code: Code, nameZh: Type.String(), nameEn: Type.String(), ...countFields },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FleetAnswer = Static<typeof FleetAnswer>;

export const FleetQuery = Type.Object(
  { township: Type.Optional(Code), lang: Type.Optional(Type.String({ maxLength: 16 })) },
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
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Login of the user' })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  township: Type.Optional(Code),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'The `next` of the previous page' })),
  lang: Type.Optional(Type.String({ maxLength: 16 })),
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
