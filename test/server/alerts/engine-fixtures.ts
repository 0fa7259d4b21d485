/**
 * An alert engine over test stations, with a switch rule per name (a reading of sensor `<rule>`
 * with value 1 fires it, 0 resolves it) and alert-rules.yaml settings given as data.
 */
import pino from 'pino';
import { AlertEngine, type AlertEngineOptions } from '../../../server/src/alerts/engine.js';
import type { Alert, AlertRule } from '../../../server/src/alerts/types.js';
import { StationRegistry } from '../../../server/src/registry.js';
import { createMetrics } from '../../../server/src/metrics.js';
import type { Observation } from '../../../server/src/state/observation.js';
import {
  resolveFlapping,
  resolveOutage,
  resolveThresholds,
  type AlertRulesFile,
} from '@yizhan/station-config/alert-rules';
import type { StationConfig } from '@yizhan/station-config/schema';

export const T0 = 1_700_000_000_000;
export const MIN = 60_000;

/** Fires on a reading of sensor `name` with value 1, resolves on 0. */
export function switchRule(name: string): AlertRule {
  return {
    name,
    observe(ctx, o) {
      if (o.type !== 'reading' || o.sensor !== name) return;
      if (o.value === 1 && !ctx.isFiring())
        ctx.fire({
          severity: 'info',
          at: o.ts,
          message: { 'zh-CN': `${name} 触发`, en: `${name} fired` },
          evidence: {},
        });
      else if (o.value === 0 && ctx.isFiring()) ctx.resolve(o.ts, { 'zh-CN': '恢复', en: 'ok' });
    },
  };
}

export function switchReading(rule: string, value: 0 | 1, ts: number): Observation[] {
  return [{ type: 'reading', sensor: rule, kind: 'door', value, ts, historical: false }];
}

export interface TestEngine {
  engine: AlertEngine;
  /** Every announced change (the `alert` event), in order. */
  events: Alert[];
  metrics: ReturnType<typeof createMetrics>;
}

export function testEngine(
  stations: StationConfig[],
  rules: AlertRule[],
  file: AlertRulesFile = {},
  townshipOf: (id: string) => string | undefined = () => undefined,
  extra: Partial<AlertEngineOptions> = {},
): TestEngine {
  const metrics = createMetrics({ defaultMetrics: false });
  const registry = new StationRegistry(stations);
  const code = (id: string) => townshipOf(id) ?? registry.get(id)?.config.township;
  const engine = new AlertEngine(registry, rules, metrics, pino({ level: 'silent' }), {
    thresholdsOf: (id) => resolveThresholds(file, id, code(id)),
    flapping: () => resolveFlapping(file),
    outage: () => resolveOutage(file),
    townshipOf: code,
    ...extra,
  });
  const events: Alert[] = [];
  engine.on('alert', (a) => events.push(a));
  return { engine, events, metrics };
}
