/**
 * The escalation rows (migration 0010) as the notifier starts and stops them, inside the alert
 * batch's transaction: a notified fire gets a row due at its first step; a resolve deletes it.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert } from '../alerts/types.js';
import type { EscalationPolicy, NotifyConfig } from './config.js';

/** Levels: 1 reminder, 2 township managers, 3 county. */
export const LEVELS = [1, 2, 3] as const;
export type Level = (typeof LEVELS)[number];

/** When (ms after the alert started) step `level` is due; Infinity: never. */
export function stepAfter(p: EscalationPolicy, level: number): number {
  if (level === 1) return p.remindAfterMs;
  if (level === 2) return p.escalateAfterMs;
  if (level === 3) return p.escalateCountyAfterMs;
  return Infinity;
}

/** The first step of a policy that ever comes, ms after the start; Infinity: none. */
export function firstStep(p: EscalationPolicy): number {
  return Math.min(...LEVELS.map((l) => stepAfter(p, l)));
}

export async function startEscalation(
  trx: Transaction<Database>,
  a: Alert,
  township: string,
  config: NotifyConfig,
): Promise<void> {
  const first = firstStep(config.policy(a.severity, township));
  if (!Number.isFinite(first)) return;
  await trx
    .insertInto('alert_escalations')
    .values({ alert_id: a.id, township, next_at: Date.parse(a.startsAt) + first, last_at: null })
    .onConflict((c) => c.column('alert_id').doNothing())
    .execute();
}

export async function stopEscalation(trx: Transaction<Database>, alertId: string): Promise<void> {
  await trx.deleteFrom('alert_escalations').where('alert_id', '=', alertId).execute();
}
