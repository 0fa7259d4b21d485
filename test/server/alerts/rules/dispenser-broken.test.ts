/**
 * The dispenser_broken rule in the engine, on reading timestamps only: which sequences of facts
 * fire, which do not, and what resolves.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AlertEngine } from '../../../../server/src/alerts/engine.js';
import { dispenserBrokenRule } from '../../../../server/src/alerts/rules/dispenser-broken.js';
import { StationRegistry } from '../../../../server/src/registry.js';
import { createMetrics } from '../../../../server/src/metrics.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import type { Alert } from '../../../../server/src/alerts/types.js';
import { metric } from '../../helpers.js';
import { stationFixture } from '../../../helpers/station.js';

const T = 1_700_000_000_000;
const MIN = 60_000;
type Step = [minute: number, heater: 0 | 1, tempC: number];

function readings(steps: Step[]): Observation[][] {
  return steps.map(([m, heater, temp]) => [
    { type: 'reading', sensor: 'heater', kind: 'heater', value: heater, ts: T + m * MIN, historical: false },
    {
      type: 'reading',
      sensor: 'water-temp',
      kind: 'water_temp',
      value: temp,
      ts: T + m * MIN,
      historical: false,
    },
  ]);
}
const fault = (m: number, active: boolean): Observation[] => [
  { type: 'fault', sensor: 'heater', fault: 'heater_failure', active, ts: T + m * MIN, historical: false },
];

function run(messages: Observation[][], station = stationFixture('st-001', { setpointC: 95 })) {
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = new AlertEngine(
    new StationRegistry([station]),
    [dispenserBrokenRule()],
    metrics,
    pino({ level: 'silent' }),
  );
  const events: Alert[] = [];
  engine.on('alert', (a) => events.push(a));
  for (const m of messages) engine.observe(station.id, m);
  return { engine, events, metrics };
}

describe('dispenser_broken', () => {
  const cases: { name: string; messages: Observation[][]; want: ('firing' | 'resolved')[] }[] = [
    {
      name: 'heater on, temperature flat for 10 min → fires',
      messages: readings([
        [0, 1, 40],
        [5, 1, 40.5],
        [10, 1, 41],
      ]),
      want: ['firing'],
    },
    {
      name: 'flat for only 9 min → nothing',
      messages: readings([
        [0, 1, 40],
        [9, 1, 40.5],
      ]),
      want: [],
    },
    {
      name: 'rising ≥ 2 °C every window → nothing',
      messages: readings([
        [0, 1, 40],
        [8, 1, 42],
        [16, 1, 44],
        [24, 1, 46.5],
      ]),
      want: [],
    },
    {
      name: 'heater off → nothing, however cold',
      messages: readings([
        [0, 0, 20],
        [30, 0, 20],
      ]),
      want: [],
    },
    {
      name: 'holding at setpoint → nothing',
      messages: readings([
        [0, 1, 95],
        [20, 1, 95],
        [40, 1, 95.2],
      ]),
      want: [],
    },
    {
      name: 'fires, then the water rises → resolves',
      messages: readings([
        [0, 1, 40],
        [10, 1, 40.4],
        [12, 1, 43],
      ]),
      want: ['firing', 'resolved'],
    },
    {
      name: 'fires, then the heater switches off → resolves',
      messages: readings([
        [0, 1, 40],
        [11, 1, 40],
        [12, 0, 40],
      ]),
      want: ['firing', 'resolved'],
    },
    {
      name: 'heater_failure fault → fires; cleared → resolves',
      messages: [fault(0, true), fault(3, false)],
      want: ['firing', 'resolved'],
    },
    {
      name: 'fault and flat readings: resolves only when both are gone',
      messages: [
        ...readings([
          [0, 1, 40],
          [10, 1, 40],
        ]),
        fault(10, true),
        fault(11, false),
        ...readings([[12, 1, 45]]),
      ],
      want: ['firing', 'resolved'],
    },
    {
      name: 'heater off does not resolve an active fault',
      messages: [fault(0, true), ...readings([[1, 0, 40]])],
      want: ['firing'],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    const { events } = run(messages);
    expect(events.map((e) => e.status)).toEqual(want);
  });

  it('uses the station heatingTimeout and minRiseC', () => {
    const st = stationFixture('st-002', { heatingTimeout: '3min', minRiseC: 5 });
    const { events } = run(
      readings([
        [0, 1, 40],
        [2, 1, 44],
        [3, 1, 44.9],
      ]),
      st,
    );
    expect(events.map((e) => e.status)).toEqual(['firing']);
  });

  it('alert content: times from the readings, texts in both languages, evidence; history and metrics', async () => {
    const { engine, events, metrics } = run(
      readings([
        [0, 1, 40],
        [10, 1, 41],
        [13, 1, 44],
      ]),
    );
    const [fired, resolved] = events;
    expect(fired).toMatchObject({
      rule: 'dispenser_broken',
      stationId: 'st-001',
      status: 'firing',
      severity: 'critical',
      startsAt: new Date(T + 10 * MIN).toISOString(),
      evidence: { cause: 'readings', fromC: 40, toC: 41, minRiseC: 2, minutes: 10 },
    });
    expect(fired?.message['zh-CN']).toContain('饮水机故障');
    expect(fired?.message.en).toContain('heater on for 10 min');
    expect(resolved).toMatchObject({
      id: fired?.id,
      status: 'resolved',
      endsAt: new Date(T + 13 * MIN).toISOString(),
    });
    expect(resolved?.resolvedMessage?.['zh-CN']).toContain('恢复正常');
    expect(engine.list('firing')).toEqual([]);
    expect(engine.list('resolved').map((a) => a.id)).toEqual([fired?.id]);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_alerts_total', { rule: 'dispenser_broken', status: 'firing' })).toBe(1);
    expect(metric(text, 'yizhan_alerts_firing', { rule: 'dispenser_broken' })).toBe(0);
  });

  it('history is bounded and drops are counted', async () => {
    const st = stationFixture('st-001');
    const metrics = createMetrics({ defaultMetrics: false });
    const engine = new AlertEngine(
      new StationRegistry([st]),
      [dispenserBrokenRule()],
      metrics,
      pino({ level: 'silent' }),
      // Ten changes in ten minutes would be flapping damping's subject; this test is the history's.
      { historySize: 2, flapping: () => ({ changes: 1000, windowMs: 3_600_000 }) },
    );
    for (let i = 0; i < 5; i++) {
      engine.observe('st-001', fault(2 * i, true));
      engine.observe('st-001', fault(2 * i + 1, false));
    }
    expect(engine.list('resolved')).toHaveLength(2);
    expect(metric(await metrics.registry.metrics(), 'yizhan_alert_history_dropped_total')).toBe(3);
  });
});
