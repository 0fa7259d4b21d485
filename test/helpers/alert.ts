/**
 * Alerts as the rule engine makes them, for store tests and bench:store: one per station and rule,
 * starting `startMs` (ids derive from fingerprint and start, as the engine's do).
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../../server/src/alerts/types.js';

export interface AlertFixtureOptions {
  rule?: string;
  township?: string;
  startMs?: number;
  severity?: Alert['severity'];
}

function id(fingerprint: string, startsAt: string): string {
  const h = createHash('sha256').update(`${fingerprint}|${startsAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A firing alert of `stationId`. */
export function firingAlert(stationId: string, o: AlertFixtureOptions = {}): Alert {
  const rule = o.rule ?? 'dispenser_broken';
  const fingerprint = `${rule}/${stationId}`;
  const startsAt = new Date(o.startMs ?? 1_700_000_000_000).toISOString();
  return {
    id: id(fingerprint, startsAt),
    fingerprint,
    rule,
    stationId,
    stationName: stationId,
    township: o.township ?? '城关镇',
    severity: o.severity ?? 'warning',
    status: 'firing',
    startsAt,
    endsAt: null,
    message: { 'zh-CN': `${stationId} 热水器故障`, en: `${stationId} dispenser broken` },
    resolvedMessage: null,
    evidence: { tempC: 40 },
  };
}

/** The same alert resolved `afterMs` later. */
export function resolvedAlert(a: Alert, afterMs = 60_000): Alert {
  return {
    ...a,
    status: 'resolved',
    endsAt: new Date(Date.parse(a.startsAt) + afterMs).toISOString(),
    resolvedMessage: { 'zh-CN': '已恢复', en: 'recovered' },
    evidence: { ...a.evidence, resolved: { tempC: 95 } },
  };
}
