/**
 * The checks of a decoded message that need no state: its station id against the topic's, its
 * time against the server clock and the retention, and a health message's counters. Each refusal
 * is a reason of `yizhan_ingest_rejected_total` (the table in ingest.ts).
 */
import { MAX_DATE_MS, type PayloadFor, type TopicLeafValue } from '@yizhan/protocol';
import { counterOverflow } from './health.js';

export type MessageProblemReason =
  'station_mismatch' | 'ts_invalid' | 'ts_future' | 'ts_too_old' | 'counter_overflow';

export interface MessageProblem {
  reason: MessageProblemReason;
  detail: string;
}

export interface MessageCheckLimits {
  /** Payload times further ahead of `now` than this are refused, ms. */
  maxFutureSkewMs: number;
  /** Payload times older than this are refused, ms (not for status). */
  maxAgeMs: number;
}

/** Why the message is refused, or undefined when it passes (the common case allocates nothing). */
export function messageProblem(
  stationId: string,
  leaf: TopicLeafValue,
  msg: { stationId: string; ts: number },
  now: number,
  limits: MessageCheckLimits,
): MessageProblem | undefined {
  if (msg.stationId !== stationId)
    return {
      reason: 'station_mismatch',
      detail: `payload stationId "${msg.stationId}" ≠ topic "${stationId}"`,
    };
  if (msg.ts > MAX_DATE_MS)
    return { reason: 'ts_invalid', detail: `ts ${msg.ts} is beyond the largest time (${MAX_DATE_MS} ms)` };
  if (msg.ts > now + limits.maxFutureSkewMs)
    return {
      reason: 'ts_future',
      detail: `ts ${new Date(msg.ts).toISOString()} is ahead of the server clock`,
    };
  // A retained status may be older than the retention and still be the truth (a station dead for
  // weeks): it updates live state but is not written (Ingestor.collectStatus).
  if (msg.ts < now - limits.maxAgeMs && leaf !== 'status')
    return {
      reason: 'ts_too_old',
      detail: `ts ${new Date(msg.ts).toISOString()} is older than the retention`,
    };
  if (leaf === 'health') {
    const overflow = counterOverflow(msg as PayloadFor['health']);
    if (overflow) return { reason: 'counter_overflow', detail: overflow };
  }
  return undefined;
}
