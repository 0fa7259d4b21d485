/**
 * Verified by the sensor: a work order made from an alert and claimed fixed passes only when the
 * station's own readings show the fault gone for `holdMs` of station time.
 *
 * - Claimed while the alert (same fingerprint) still fires: waiting, with a deadline of `timeoutMs`
 *   of station time after the claim; past it, still firing → back to the crew (`verification_failed`).
 * - The alert resolves (or had resolved before the claim): good since its end; once the station's
 *   time reaches end + hold with no new fire → `verified`. A new fire during the hold → failed.
 * - A new fire of the fingerprint within `reopenWindowMs` of verified/closed → reopened.
 *
 * Station time is the newest of the station's latest reading (live state) and the alert changes
 * seen for it; the wall clock never decides. Every check reads and writes the store (the order's
 * `verification_json`), so a restart resumes where it stood. Changes run one at a time.
 */
import type { Alert } from '../alerts/types.js';
import type { WorkOrder, WorkOrderState } from '../routes/work-orders/schemas.js';
import { parseVerification, type StoredVerification, type WorkOrderRepo, type WorkOrderRow } from './repo.js';

export const DEFAULT_VERIFY_HOLD_MS = 10 * 60_000;
export const DEFAULT_VERIFY_TIMEOUT_MS = 30 * 60_000;
export const REOPEN_WINDOW_MS = 24 * 3_600_000;

export interface VerifierDeps {
  repo: WorkOrderRepo;
  /** The station's latest reading time (station clock), if known. */
  stationTime(stationId: string): number | undefined;
  /** The alert of this fingerprint firing now, if any. */
  firing(fingerprint: string): Alert | undefined;
  holdMs: number;
  timeoutMs: number;
  reopenWindowMs?: number;
  /** After each committed change (SSE, the assignee told). */
  onChange(wo: WorkOrder, kind: 'verified' | 'verification_failed' | 'reopened'): void;
  onError(err: unknown): void;
}

const ms = (iso: string): number => Date.parse(iso);

export class Verifier {
  private chain: Promise<void> = Promise.resolve();
  /** Station time of the newest alert change seen per station. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly d: VerifierDeps) {}

  private run(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch((err: unknown) => this.d.onError(err));
    return this.chain;
  }

  /** Resolves once every change queued so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  stationTime(stationId: string): number | undefined {
    const a = this.d.stationTime(stationId);
    const b = this.seen.get(stationId);
    return a === undefined ? b : b === undefined ? a : Math.max(a, b);
  }

  /** An alert's fire or resolve (the engine's `record`). */
  record(alert: Alert): Promise<void> {
    const at = alert.status === 'resolved' && alert.endsAt ? ms(alert.endsAt) : ms(alert.startsAt);
    if (at > (this.seen.get(alert.stationId) ?? 0)) this.seen.set(alert.stationId, at);
    return this.run(() => (alert.status === 'resolved' ? this.resolved(alert) : this.fired(alert)));
  }

  /** Check every waiting order against its station's time. */
  tick(): Promise<void> {
    return this.run(() => this.checkAll());
  }

  /** The verification of an order claimed fixed now (wall `now`); null without an alert. */
  async claim(row: WorkOrderRow, now: number): Promise<StoredVerification | null> {
    if (row.fingerprint === null) return null;
    const st = this.stationTime(row.station_id) ?? now;
    const deadline = st + this.d.timeoutMs;
    const cur = this.d.firing(row.fingerprint);
    if (cur)
      return { state: 'waiting', goodSince: null, passesAt: null, evidence: { firing: cur.id }, deadline };
    const end = await this.lastEnd(row.fingerprint);
    const goodSince = end ?? st;
    return {
      state: 'waiting',
      goodSince,
      passesAt: goodSince + this.d.holdMs,
      evidence: { resolvedAt: goodSince },
      deadline,
    };
  }

  private async lastEnd(fingerprint: string): Promise<number | undefined> {
    const r = await this.d.repo.db
      .selectFrom('alerts')
      .select(['status', 'ends_at'])
      .where('fingerprint', '=', fingerprint)
      .orderBy('starts_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && r.status === 'resolved' && r.ends_at !== null ? Number(r.ends_at) : undefined;
  }

  private async waiting(fingerprint?: string): Promise<{ row: WorkOrderRow; v: StoredVerification }[]> {
    let q = this.d.repo.db.selectFrom('work_orders').selectAll().where('state', '=', 'fixed');
    if (fingerprint !== undefined) q = q.where('fingerprint', '=', fingerprint);
    const out: { row: WorkOrderRow; v: StoredVerification }[] = [];
    for (const row of await q.execute()) {
      const v = parseVerification(row.verification_json);
      if (v?.state === 'waiting') out.push({ row, v });
    }
    return out;
  }

  private async resolved(alert: Alert): Promise<void> {
    const end = ms(alert.endsAt ?? alert.startsAt);
    for (const { row, v } of await this.waiting(alert.fingerprint)) {
      if (v.goodSince !== null) continue;
      await this.save(row, {
        ...v,
        goodSince: end,
        passesAt: end + this.d.holdMs,
        evidence: { resolvedAt: end, alertId: alert.id },
      });
    }
  }

  private async fired(alert: Alert): Promise<void> {
    for (const { row, v } of await this.waiting(alert.fingerprint)) {
      if (v.goodSince === null) continue;
      await this.fail(row, v, 'fired_again', alert);
    }
    const since = ms(alert.startsAt) - (this.d.reopenWindowMs ?? REOPEN_WINDOW_MS);
    const done = await this.d.repo.db
      .selectFrom('work_orders')
      .selectAll()
      .where('fingerprint', '=', alert.fingerprint)
      .where('state', 'in', ['verified', 'closed'])
      .where((eb) => eb.or([eb('verified_at', '>=', since), eb('closed_at', '>=', since)]))
      .execute();
    for (const row of done) await this.reopen(row, alert);
  }

  private async checkAll(): Promise<void> {
    for (const { row, v } of await this.waiting()) {
      const st = this.stationTime(row.station_id);
      if (v.goodSince === null) {
        const cur = this.d.firing(row.fingerprint ?? '');
        if (!cur) {
          // Resolved while nobody listened (a restart): good since the alert's end in the store.
          const end = await this.lastEnd(row.fingerprint ?? '');
          if (end !== undefined)
            await this.save(row, {
              ...v,
              goodSince: end,
              passesAt: end + this.d.holdMs,
              evidence: { resolvedAt: end },
            });
        } else if (st !== undefined && st >= v.deadline) await this.fail(row, v, 'still_firing', cur);
      } else if (st !== undefined && v.passesAt !== null && st >= v.passesAt) await this.pass(row, v, st);
    }
  }

  private async save(row: WorkOrderRow, v: StoredVerification): Promise<void> {
    await this.d.repo.transition(this.d.repo.db, Number(row.id), ['fixed'], {
      verification_json: JSON.stringify(v),
      updated_at: Date.now(),
    });
  }

  private async pass(row: WorkOrderRow, v: StoredVerification, st: number): Promise<void> {
    const now = Date.now();
    const heldForMs = st - v.goodSince!;
    const passed: StoredVerification = {
      ...v,
      state: 'passed',
      evidence: { ...v.evidence, heldForMs, stationTime: st },
    };
    const text = `传感器读数显示故障已消除并保持 ${Math.round(heldForMs / 60_000)} 分钟 / The station's readings show the fault gone for ${Math.round(heldForMs / 60_000)} min`;
    await this.change(row, 'verified', text, {
      state: 'verified',
      verification_json: JSON.stringify(passed),
      verified_at: now,
      updated_at: now,
    });
  }

  private async fail(
    row: WorkOrderRow,
    v: StoredVerification,
    reason: 'still_firing' | 'fired_again',
    alert: Alert,
  ): Promise<void> {
    const now = Date.now();
    const failed: StoredVerification = {
      ...v,
      state: 'failed',
      evidence: { ...v.evidence, reason, alertId: alert.id, alertEvidence: alert.evidence },
    };
    const text =
      reason === 'still_firing'
        ? `认领修复后故障仍在：${alert.message['zh-CN']} / Still faulty after the fix was claimed: ${alert.message.en}`
        : `保持期内故障再次出现：${alert.message['zh-CN']} / The fault came back during the hold: ${alert.message.en}`;
    await this.change(row, 'verification_failed', text, {
      state: 'in_progress',
      verification_json: JSON.stringify(failed),
      fixed_at: null,
      reopenedPlus: true,
      updated_at: now,
    });
  }

  private async reopen(row: WorkOrderRow, alert: Alert): Promise<void> {
    const now = Date.now();
    const text = `故障在 24 小时内再次出现：${alert.message['zh-CN']} / The fault came back within 24 h: ${alert.message.en}`;
    await this.change(row, 'reopened', text, {
      state: 'in_progress',
      verification_json: null,
      fixed_at: null,
      verified_at: null,
      closed_at: null,
      reopenedPlus: true,
      updated_at: now,
    });
  }

  private async change(
    row: WorkOrderRow,
    kind: 'verified' | 'verification_failed' | 'reopened',
    text: string,
    set: Parameters<WorkOrderRepo['transition']>[3],
  ): Promise<void> {
    const id = Number(row.id);
    const from = row.state as WorkOrderState;
    const repo = this.d.repo;
    const done = await repo.db.transaction().execute(async (trx) => {
      if (!(await repo.transition(trx, id, [from], set))) return false;
      await repo.addEvent(trx, id, { at: Number(set.updated_at), kind, user: null, text });
      return true;
    });
    if (!done) return;
    const wo = await repo.get(id);
    if (wo) this.d.onChange(wo, kind);
  }
}
