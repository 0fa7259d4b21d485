/**
 * A station problem's report follows its work order: in progress while the order is open, in
 * progress or claimed fixed; resolved once the order is verified by the sensors or closed. Called
 * on every work-order `change` event of this process, and again when a report is read (an order
 * changed through another server process on the same PostgreSQL store), so nothing polls.
 */
import type { Lang } from '../i18n.js';
import type { ReportStatus } from '../routes/rider-reports/schemas.js';
import type { ReportRepo, ReportRow } from './repo.js';

const DONE_ORDER_STATES = new Set(['verified', 'closed']);

export const ORDER_DONE_NOTE: Record<Lang, string> = {
  'zh-CN': '驿站维修工单已完成',
  en: 'The station repair work order is done',
};

/** The report's status for its order's state, or undefined when the order says nothing new. */
export function statusForOrder(orderState: string): ReportStatus {
  return DONE_ORDER_STATES.has(orderState) ? 'resolved' : 'in_progress';
}

/**
 * Bring the reports linked to the order in line with its state; returns the reports that changed
 * (their category, for the resolved count).
 */
export async function followOrder(
  repo: ReportRepo,
  order: { id: number; state: string },
  at: number,
): Promise<ReportRow[]> {
  const target = statusForOrder(order.state);
  const rows = await repo.db
    .selectFrom('rider_reports')
    .selectAll()
    .where('work_order_id', '=', order.id)
    .where('status', 'in', target === 'resolved' ? ['accepted', 'in_progress'] : ['accepted', 'resolved'])
    .execute();
  const changed: ReportRow[] = [];
  for (const r of rows) {
    const ok = await repo.db.transaction().execute((trx) =>
      repo.step(
        trx,
        r.id,
        [r.status as ReportStatus],
        { status: target, closed_at: target === 'resolved' ? at : null, updated_at: at },
        {
          at,
          kind: 'work_order',
          note: target === 'resolved' ? ORDER_DONE_NOTE['zh-CN'] : null,
          user: null,
        },
      ),
    );
    if (ok) changed.push(r);
  }
  return changed;
}
