/**
 * One login attempt, in this order so that refusals cost no scrypt work:
 *
 *   1. rate limits per client address and per login (token buckets in memory) → rate_limited
 *   2. the account's durable lockout (users.locked_until, shared by every server process) → locked
 *   3. scrypt against the stored hash, or a decoy for an unknown login (same answer, same time)
 *   4. failures count in users.failed_logins; the LOCKOUT_AFTER-th locks the account for
 *      LOCKOUT_MS; a success resets both and opens a session
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { RateLimiter } from './rate-limit.js';
import { createSession, type NewSession } from './sessions.js';
import { verifyPassword } from './passwords.js';

export const LOCKOUT_AFTER = 5;
export const LOCKOUT_MS = 15 * 60_000;
/** Attempts per minute from one address, and for one login. */
export const PER_ADDRESS_PER_MIN = 10;
export const PER_LOGIN_PER_MIN = 5;
/** Addresses and logins remembered by the rate limits at most (least recently used forgotten first). */
export const RATE_LIMIT_KEYS = 10_000;

export type LoginOutcome =
  | { outcome: 'ok'; userId: number; session: NewSession }
  | { outcome: 'bad_credentials' }
  | { outcome: 'disabled' }
  | { outcome: 'rate_limited'; retryAfterMs: number }
  | { outcome: 'locked'; retryAfterMs: number; justLocked: boolean };

export class LoginLimits {
  readonly byAddress = new RateLimiter({
    capacity: PER_ADDRESS_PER_MIN,
    perMs: 60_000,
    maxKeys: RATE_LIMIT_KEYS,
  });
  readonly byLogin = new RateLimiter({
    capacity: PER_LOGIN_PER_MIN,
    perMs: 60_000,
    maxKeys: RATE_LIMIT_KEYS,
  });
}

export async function attemptLogin(
  db: Kysely<Database>,
  limits: LoginLimits,
  req: { login: string; password: string; address: string },
  now = Date.now(),
): Promise<LoginOutcome> {
  const a = limits.byAddress.take(req.address, now);
  if (!a.ok) return { outcome: 'rate_limited', retryAfterMs: a.retryAfterMs };
  const l = limits.byLogin.take(req.login, now);
  if (!l.ok) return { outcome: 'rate_limited', retryAfterMs: l.retryAfterMs };

  const user = await db
    .selectFrom('users')
    .select(['id', 'password_hash', 'disabled_at', 'failed_logins', 'locked_until'])
    .where('login', '=', req.login)
    .executeTakeFirst();
  if (user?.locked_until != null && user.locked_until > now)
    return { outcome: 'locked', retryAfterMs: user.locked_until - now, justLocked: false };

  const good = await verifyPassword(req.password, user?.password_hash);
  if (!user) return { outcome: 'bad_credentials' };
  if (!good) {
    // Counted in the row, atomically, so every server process and a restart see the same count.
    const row = await db
      .updateTable('users')
      .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
      .where('id', '=', user.id)
      .returning('failed_logins')
      .executeTakeFirst();
    const lock = (row?.failed_logins ?? 0) >= LOCKOUT_AFTER;
    if (lock)
      await db
        .updateTable('users')
        .set({ failed_logins: 0, locked_until: now + LOCKOUT_MS })
        .where('id', '=', user.id)
        .execute();
    return lock
      ? { outcome: 'locked', retryAfterMs: LOCKOUT_MS, justLocked: true }
      : { outcome: 'bad_credentials' };
  }
  if (user.disabled_at !== null) return { outcome: 'disabled' };
  if (user.failed_logins !== 0 || user.locked_until !== null)
    await db
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null })
      .where('id', '=', user.id)
      .execute();
  const session = await createSession(db, user.id, req.address, now);
  return { outcome: 'ok', userId: user.id, session };
}
