/**
 * Request and response shapes of /api/v1/auth/*, /api/v1/users and /api/v1/tokens (TypeBox), for
 * the routes and for the web client's types. Times are Unix ms.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PERMISSIONS, ROLES } from '../../auth/roles.js';
import { LOGIN_PATTERN, DISPLAY_NAME_MAX, MAX_GRANTS } from '../../auth/accounts.js';
import { PASSWORD_MAX } from '../../auth/passwords.js';
import { TOKEN_NAME_MAX } from '../../auth/tokens.js';

const strict = { additionalProperties: false } as const;

/** Checked by auth/accounts.ts checkMobile (a clear message), not here: any short string or null. */
const Mobile = Type.Union([Type.String({ maxLength: 20 }), Type.Null()], {
  description: 'Mainland mobile number (^1[3-9][0-9]{9}$) robots @-mention; null: none',
});

export const Grant = Type.Object(
  {
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    scope: Type.String({ minLength: 1, maxLength: 64, description: "'county' or a township code" }),
  },
  strict,
);
export const Permission = Type.Union(PERMISSIONS.map((p) => Type.Literal(p)));

export const Township = Type.Object(
  { code: Type.String(), nameZh: Type.String(), nameEn: Type.String() },
  strict,
);

export const Me = Type.Object(
  {
    id: Type.Integer(),
    login: Type.String(),
    displayName: Type.String(),
    grants: Type.Array(Grant),
    permissions: Type.Array(Permission),
    townships: Type.Array(Township, { description: 'Townships the user can see (station:read)' }),
    mobile: Type.Optional(Mobile),
    csrf: Type.Union([Type.String(), Type.Null()], {
      description: 'Send as x-csrf-token on every write of a cookie session; null for API tokens',
    }),
  },
  strict,
);
export type Me = Static<typeof Me>;

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  strict,
);
export const MeChangeBody = Type.Object({ mobile: Mobile }, strict);

export const LoginAnswer = Type.Object({ user: Me }, strict);

export const PasswordBody = Type.Object(
  {
    current: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
    next: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  strict,
);

export const User = Type.Object(
  {
    id: Type.Integer(),
    login: Type.String(),
    displayName: Type.String(),
    grants: Type.Array(Grant),
    disabled: Type.Boolean(),
    createdAt: Type.Integer(),
    lastLoginAt: Type.Union([Type.Integer(), Type.Null()]),
    mobile: Mobile,
  },
  strict,
);
export type User = Static<typeof User>;
export const UserList = Type.Object({ users: Type.Array(User) }, strict);

const Grants = Type.Array(Grant, { maxItems: MAX_GRANTS });
const DisplayName = Type.String({ minLength: 1, maxLength: DISPLAY_NAME_MAX });

export const NewUserBody = Type.Object(
  {
    login: Type.String({ pattern: LOGIN_PATTERN, maxLength: 64 }),
    displayName: DisplayName,
    grants: Grants,
    password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX })),
    mobile: Type.Optional(Mobile),
  },
  strict,
);
export const NewUserAnswer = Type.Object(
  { user: User, password: Type.String({ description: 'Shown once: the given or generated password' }) },
  strict,
);
export const UserChangeBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    grants: Type.Optional(Grants),
    disabled: Type.Optional(Type.Boolean()),
    mobile: Type.Optional(Mobile),
  },
  strict,
);
export const UserAnswer = Type.Object({ user: User }, strict);
export const PasswordAnswer = Type.Object({ password: Type.String({ description: 'Shown once' }) }, strict);

export const Token = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    scopes: Type.Array(Permission),
    createdAt: Type.Integer(),
    lastUsedAt: Type.Union([Type.Integer(), Type.Null()]),
    revoked: Type.Boolean(),
  },
  strict,
);
export const TokenList = Type.Object({ tokens: Type.Array(Token) }, strict);
export const NewTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: TOKEN_NAME_MAX }),
    scopes: Type.Array(Type.String({ maxLength: 32 }), { minItems: 1, maxItems: PERMISSIONS.length }),
  },
  strict,
);
export const NewTokenAnswer = Type.Object(
  { id: Type.Integer(), token: Type.String({ description: 'Shown once; only its hash is kept' }) },
  strict,
);

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) });
export const ErrorAnswer = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export const NoContent = Type.Null({ description: '204: no body' });
