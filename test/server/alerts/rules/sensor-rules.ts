/**
 * Fixtures of the sensor rule tests: one rule in the engine, fed station-time sequences, with the
 * thresholds of the schema defaults or overrides as alert-rules.yaml would give them.
 */
import pino from 'pino';
import {
  resolveThresholds,
  type AlertRulesFile,
  type RuleOverrides,
} from '@yizhan/station-config/alert-rules';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { HealthPayload } from '@yizhan/protocol';
import type { FaultName, SensorKindName } from '@yizhan/protocol/serial';
import { AlertEngine } from '../../../../server/src/alerts/engine.js';
import { StationRegistry } from '../../../../server/src/registry.js';
import { createMetrics } from '../../../../server/src/metrics.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import type { Alert, AlertRule } from '../../../../server/src/alerts/types.js';
import { stationFixture } from '../../../helpers/station.js';

/** 2023-11-14T22:13:20Z = 06:13:20 China Standard Time. */
export const T = 1_700_000_000_000;
export const SEC = 1000;
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export const reading = (
  minute: number,
  sensor: string,
  kind: SensorKindName,
  value: number,
  historical = false,
): Observation => ({ type: 'reading', sensor, kind, value, ts: T + minute * MIN, historical });

export const fault = (
  minute: number,
  sensor: string,
  name: FaultName,
  active: boolean,
  historical = false,
): Observation => ({ type: 'fault', sensor, fault: name, active, ts: T + minute * MIN, historical });

export function health(
  minute: number,
  o: { spool?: HealthPayload['spool']; bootId?: string; receivedAt?: number } = {},
): Observation {
  const ts = T + minute * MIN;
  return {
    type: 'health',
    ts,
    receivedAt: o.receivedAt ?? ts,
    health: {
      v: 1,
      stationId: 'st-001',
      ts,
      bootId: o.bootId ?? 'boot-1',
      seq: minute,
      agentVersion: '1.0.0',
      uptimeS: 60,
      rssBytes: 1,
      serial: { state: 'up', port: '/dev/ttyYZ0', lastFrameAgeMs: 100, framesGood: 1, framesBad: {} },
      ...(o.spool ? { spool: o.spool } : {}),
    },
  };
}

/** Run `rule` over `messages` (one engine.observe per inner array) and return what it announced. */
export function runRule(
  rule: AlertRule,
  messages: Observation[][],
  opts: { station?: StationConfig; overrides?: RuleOverrides } = {},
) {
  const station = opts.station ?? stationFixture('st-001');
  const file: AlertRulesFile = opts.overrides ? { defaults: opts.overrides } : {};
  const thresholds = resolveThresholds(file, station.id, undefined);
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = new AlertEngine(new StationRegistry([station]), [rule], metrics, pino({ level: 'silent' }), {
    thresholdsOf: () => thresholds,
  });
  const events: Alert[] = [];
  engine.on('alert', (a) => events.push(a));
  for (const m of messages) engine.observe(station.id, m);
  return { engine, events, metrics };
}

/** `firing socket-1`, `resolved socket-1`: the transitions in order, with the alert's key. */
export function transitions(events: Alert[]): string[] {
  return events.map((e) => {
    const key = e.fingerprint.split('/')[2];
    return key === undefined ? e.status : `${e.status} ${key}`;
  });
}

/** One message per step: `[minute, value]` of one sensor. */
export function series(sensor: string, kind: SensorKindName, steps: [number, number][], historical = false) {
  return steps.map(([m, v]) => [reading(m, sensor, kind, v, historical)]);
}
