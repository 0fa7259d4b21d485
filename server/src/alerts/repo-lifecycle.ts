/**
 * What people and the notifier change on a stored alert, each inside the caller's transaction (the
 * route's, with its audit entry, or the alert batch's for the notifier), each with its
 * `alert_events` row so the history says who did what when.
 *
 * Contract for the notifier (it runs inside the repo's write transaction, RepoHooks.onTransitions),
 * so it need not write SQL on alerts:
 * - {@link markSuppressed}`(trx, alertId, byId)`: an inhibiting alert or outage incident holds it
 *   (lifecycle `suppressed`); adds a `suppressed` event naming `byId`.
 * - {@link markSilenced}`(trx, alertId, silenceId)`: a silence held its notification (lifecycle
 *   `silenced`); the column only — the `silenced` event is the caller's (addEvent), so a change
 *   noted twice is not logged twice.
 * - {@link addEvent}`(trx, alertId, kind, text, at)`: one history row by the system (user null):
 *   `notified`, `reminded`, `escalated`, `silenced`, `flapping`…
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AlertEvent } from './repo-read.js';

type Trx = Transaction<Database>;

export async function addEvent(
  trx: Trx,
  alertId: string,
  kind: AlertEvent['kind'],
  text: string | null,
  at: number,
  userId: number | null = null,
): Promise<void> {
  await trx
    .insertInto('alert_events')
    .values({ alert_id: alertId, at, user_id: userId, kind, text })
    .execute();
}

/** Held back by `byId` (a dark station's alert, a serial link down, an outage incident). */
export async function markSuppressed(
  trx: Trx,
  alertId: string,
  byId: string,
  at = Date.now(),
): Promise<void> {
  await trx
    .updateTable('alerts')
    .set({ suppressed_by: byId, updated_at: at })
    .where('id', '=', alertId)
    .execute();
  await addEvent(trx, alertId, 'suppressed', byId, at);
}

/** A silence held its notification: the column only (see the contract above). */
export async function markSilenced(trx: Trx, alertId: string, silenceId: number): Promise<void> {
  await trx.updateTable('alerts').set({ silenced_by: silenceId }).where('id', '=', alertId).execute();
}

/** Acknowledge; false when it already was (nothing written). */
export async function ack(trx: Trx, id: string, userId: number | null, now: number): Promise<boolean> {
  const res = await trx
    .updateTable('alerts')
    .set({ acked_at: now, acked_by: userId, updated_at: now })
    .where('id', '=', id)
    .where('acked_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await addEvent(trx, id, 'acknowledged', null, now, userId);
  return true;
}

/** Withdraw the acknowledgement; false when there was none (nothing written). */
export async function unack(trx: Trx, id: string, userId: number | null, now: number): Promise<boolean> {
  const res = await trx
    .updateTable('alerts')
    .set({ acked_at: null, acked_by: null, updated_at: now })
    .where('id', '=', id)
    .where('acked_at', 'is not', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await addEvent(trx, id, 'unacknowledged', null, now, userId);
  return true;
}

export async function comment(trx: Trx, id: string, userId: number | null, text: string, now: number) {
  await addEvent(trx, id, 'commented', text, now, userId);
}

/**
 * Assign to `assignee` (null: nobody); the event's text is the assignee's name (or null). False
 * when it already was (nothing written).
 */
export async function assign(
  trx: Trx,
  id: string,
  assignee: { id: number; displayName: string } | null,
  userId: number | null,
  now: number,
): Promise<boolean> {
  const to = assignee?.id ?? null;
  const res = await trx
    .updateTable('alerts')
    .set({ assignee_id: to, updated_at: now })
    .where('id', '=', id)
    .where((eb) =>
      to === null
        ? eb('assignee_id', 'is not', null)
        : eb.or([eb('assignee_id', 'is', null), eb('assignee_id', '!=', to)]),
    )
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await addEvent(trx, id, 'assigned', assignee?.displayName ?? null, now, userId);
  return true;
}

/** Close with an optional note (the event's text); false when it already was closed. */
export async function close(trx: Trx, id: string, userId: number | null, note: string | null, now: number) {
  const res = await trx
    .updateTable('alerts')
    .set({ closed_at: now, closed_by: userId, updated_at: now })
    .where('id', '=', id)
    .where('closed_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await addEvent(trx, id, 'closed', note, now, userId);
  return true;
}
