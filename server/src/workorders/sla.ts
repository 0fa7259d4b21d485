/** Work-order SLA and verification defaults: the settings' defaults and the options' shape. */
import type { Severity } from '../alerts/types.js';

const HOUR = 3_600_000;
/** Fixed within this long of creation, by severity (YIZHAN_SLA_CRITICAL, _WARNING, _INFO). */
export const DEFAULT_SLA_MS: Record<Severity, number> = {
  critical: 4 * HOUR,
  warning: 24 * HOUR,
  info: 72 * HOUR,
};

export interface WorkOrderOptions {
  slaMs?: Partial<Record<Severity, number>>;
  /** Station time the fault must stay gone after the claim (YIZHAN_WORK_ORDER_VERIFY_HOLD). */
  verifyHoldMs?: number;
  /** Station time after the claim by which the fault must be gone (YIZHAN_WORK_ORDER_VERIFY_TIMEOUT). */
  verifyTimeoutMs?: number;
  /** How often waiting verifications are checked and the gauges refreshed, ms (tests). */
  checkIntervalMs?: number;
}

export function dueAt(createdAt: number, severity: Severity, o: WorkOrderOptions | undefined): number {
  return createdAt + (o?.slaMs?.[severity] ?? DEFAULT_SLA_MS[severity]);
}
