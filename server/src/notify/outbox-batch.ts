/** What a claimed batch of the outbox (outbox.ts) becomes: groups of rows, each sent as one message. */
import { retryDecision } from '@yizhan/common/retry';
import type { Channel, OutboundMessage, SendResult } from './channel.js';

/** Without merging: one message per item. With it: one per group key (items without one alone). */
export function groupRows<R extends { group_key: string | null }>(rows: R[], merging: boolean): R[][] {
  if (!merging) return rows.map((r) => [r]);
  const byKey = new Map<string, R[]>();
  const out: R[][] = [];
  for (const r of rows) {
    if (r.group_key === null) out.push([r]);
    else {
      const g = byKey.get(r.group_key);
      if (g) g.push(r);
      else byKey.set(r.group_key, [r]);
    }
  }
  return [...byKey.values(), ...out];
}

/** A channel that throws (it should answer a SendResult) is read by the shared retry decision. */
export async function sendSafely(channel: Channel, m: OutboundMessage, now: number): Promise<SendResult> {
  try {
    return await channel.send(m);
  } catch (e) {
    const d = retryDecision(e, now);
    return {
      ok: false,
      retryable: d.retriable,
      code: d.reason,
      detail: e instanceof Error ? e.message : String(e),
      ...(d.retryAfterMs === undefined ? {} : { retryAfterMs: d.retryAfterMs }),
    };
  }
}
