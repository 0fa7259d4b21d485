import { describe, expect, it } from 'vitest';
import { messageProblem } from '../../../server/src/ingest/checks.js';

const NOW = Date.UTC(2026, 0, 1);
const LIMITS = { maxFutureSkewMs: 10 * 60_000, maxAgeMs: 24 * 3_600_000 };
const msg = (ts: number, stationId = 'st-1') => ({ stationId, ts });

describe('messageProblem', () => {
  it('passes a message of this station stamped now', () => {
    expect(messageProblem('st-1', 'telemetry', msg(NOW), NOW, LIMITS)).toBeUndefined();
  });

  it('refuses a payload naming another station than its topic', () => {
    expect(messageProblem('st-1', 'telemetry', msg(NOW, 'st-2'), NOW, LIMITS)?.reason).toBe(
      'station_mismatch',
    );
  });

  it('refuses times a Date cannot hold, ahead of the clock, or past the retention', () => {
    expect(messageProblem('st-1', 'telemetry', msg(8.64e15 + 1), NOW, LIMITS)?.reason).toBe('ts_invalid');
    expect(messageProblem('st-1', 'telemetry', msg(NOW + 11 * 60_000), NOW, LIMITS)?.reason).toBe(
      'ts_future',
    );
    expect(messageProblem('st-1', 'telemetry', msg(NOW - 25 * 3_600_000), NOW, LIMITS)?.reason).toBe(
      'ts_too_old',
    );
  });

  it('keeps an old status: it is still the station’s live state', () => {
    expect(messageProblem('st-1', 'status', msg(NOW - 25 * 3_600_000), NOW, LIMITS)).toBeUndefined();
  });
});
