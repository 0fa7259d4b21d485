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

/**
 * An acknowledgement withdrawn while the alert still fires: escalation resumes where the alert's
 * age has reached, without sending that step at once (it was sent, or nobody waited for it while the
 * alert was owned). The step reached is repeated after `repeatEvery`, later steps come at their
 * times. A row still there (the job had not yet seen the acknowledgement) is left as it is.
 */
export async function resumeEscalation(
  trx: Transaction<Database>,
  a: Pick<Alert, 'id' | 'severity' | 'startsAt'>,
  township: string,
  config: NotifyConfig,
  now: number,
): Promise<void> {
  const p = config.policy(a.severity, township);
  const started = Date.parse(a.startsAt);
  const level = Math.max(0, ...LEVELS.filter((l) => started + stepAfter(p, l) <= now));
  const last = level > 0 ? now : null;
  const next = Math.min(started + stepAfter(p, level + 1), last === null ? Infinity : last + p.repeatEveryMs);
  if (!Number.isFinite(next)) return;
  await trx
    .insertInto('alert_escalations')
    .values({
      alert_id: a.id,
      township,
      level,
      sent: level > 0 ? 1 : 0,
      next_at: Math.max(next, now + 1),
      last_at: last,
    })
    .onConflict((c) => c.column('alert_id').doNothing())
    .execute();
}
