/**
 * Personal API tokens of one user: list, add (scopes limited to what the user holds), revoke.
 * Shared by the tokens API and the CLI; each write is audited in its transaction, and the token
 * itself exists only in the answer (sessions.ts keeps its SHA-256).
 */
import { isPermission, permissionsOf, type Permission, type Principal } from './roles.js';
import { createToken, grantsOf } from './sessions.js';
import { recordAudit } from '../org/audit.js';
import type { Ctx } from './accounts.js';

export const TOKEN_NAME_MAX = 100;

export interface TokenView {
  id: number;
  name: string;
  scopes: Permission[];
  createdAt: number;
  lastUsedAt: number | null;
  revoked: boolean;
}

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly code: 'token_not_found' | 'scope_not_held',
    readonly params: Record<string, string> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

export async function listTokens(ctx: Pick<Ctx, 'db'>, userId: number): Promise<TokenView[]> {
  const rows = await ctx.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes.split(' ').filter(isPermission),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revoked: r.revoked_at !== null,
  }));
}

/** A new token of `owner` (shown once). Every scope must be a permission the owner holds somewhere. */
export async function addToken(
  ctx: Ctx,
  owner: { id: number; login: string },
  name: string,
  scopes: readonly string[],
  now = Date.now(),
): Promise<{ id: number; token: string }> {
  // Through the API the asker is the owner, and a token can make no token stronger than itself.
  const asker = ctx.actor.principal;
  const holder: Principal =
    asker?.userId === owner.id
      ? asker
      : {
          kind: 'user',
          userId: owner.id,
          login: owner.login,
          displayName: owner.login,
          grants: await grantsOf(ctx.db, owner.id),
        };
  const held = permissionsOf(holder);
  const wanted = [...new Set(scopes)];
  const missing = wanted.find((s) => !isPermission(s) || !held.includes(s));
  if (missing !== undefined)
    throw new TokenError('scope_not_held', { scope: missing, held: held.join(', ') });
  return ctx.db.transaction().execute(async (trx) => {
    const t = await createToken(trx, owner.id, name, wanted.filter(isPermission), now);
    await recordAudit(
      trx,
      ctx.actor,
      { action: 'token.add', target: `token:${t.id}`, after: { user: owner.login, name, scopes: wanted } },
      now,
    );
    return t;
  });
}

/** Revokes a token: of `ownerId` only when given (the API), any (the CLI) when not. */
export async function revokeToken(ctx: Ctx, id: number, ownerId?: number, now = Date.now()): Promise<void> {
  let q = ctx.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'revoked_at', 'user_id'])
    .where('id', '=', id);
  if (ownerId !== undefined) q = q.where('user_id', '=', ownerId);
  const row = await q.executeTakeFirst();
  if (!row) throw new TokenError('token_not_found', { id: String(id) });
  if (row.revoked_at !== null) return;
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
    await recordAudit(
      trx,
      ctx.actor,
      { action: 'token.revoke', target: `token:${id}`, before: { name: row.name, user: row.user_id } },
      now,
    );
  });
}
