/**
 * A user's mobile number: what WeCom and DingTalk robots @-mention. Mainland numbers only (11
 * digits, `1[3-9]…`): the robots mention by that number. The audit log keeps it partly masked
 * (`138****1234`): enough to tell which number was set, not enough to call it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { recordAudit } from '../org/audit.js';
import type { Actor } from './accounts.js';

export const MOBILE_PATTERN = '^1[3-9][0-9]{9}$';
const MOBILE_RE = new RegExp(MOBILE_PATTERN);

export function isMobile(v: string): boolean {
  return MOBILE_RE.test(v);
}

/** `13812341234` → `138****1234`; null stays null. */
export function maskMobile(v: string | null): string | null {
  if (v === null) return null;
  return v.length === 11 ? `${v.slice(0, 3)}****${v.slice(7)}` : '****';
}

/** Set (or with null clear) one's own mobile, audited with the number masked. */
export async function setOwnMobile(
  db: Kysely<Database>,
  actor: Actor,
  userId: number,
  mobile: string | null,
  now = Date.now(),
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').select('mobile').where('id', '=', userId).executeTakeFirst();
    await trx.updateTable('users').set({ mobile }).where('id', '=', userId).execute();
    await recordAudit(
      trx,
      actor,
      {
        action: 'user.mobile',
        target: `user:${userId}`,
        before: { mobile: maskMobile(before?.mobile ?? null) },
        after: { mobile: maskMobile(mobile) },
      },
      now,
    );
  });
}
