/**
 * Fixtures of the serial_link_down rule tests (serial-link-rule.test.ts: which report sequences
 * fire and resolve; serial-link-content.test.ts: what the alerts say): health reports of station
 * st-001 and an engine holding only this rule, driven by a table of steps. Times in the tables are
 * seconds from T; a report arrives at its own time unless `arrive` says otherwise.
 */
import pino from 'pino';
import type { HealthPayload } from '@yizhan/protocol';
import { AlertEngine } from '../../server/src/alerts/engine.js';
import { serialLinkDownRule, type SerialLinkDownOptions } from '../../server/src/alerts/rules/serial-link-down.js';
import type { Alert } from '../../server/src/alerts/types.js';
import { createMetrics } from '../../server/src/metrics.js';
import { StationRegistry } from '../../server/src/registry.js';
import { stationFixture } from './helpers.js';

export const T = 1_700_000_000_000;
export const S = 1000;
export const PORT = '/dev/ttyUSB0';
export const BOOT_A = 'bootAAAAAAAA';
export const BOOT_B = 'bootBBBBBBBB';

export interface ReportOpts {
  boot?: string;
  /** Arrival at the server, seconds from T (default: the report's own time). */
  arrive?: number;
  /** lastFrameAgeMs in the report, seconds (null: no frame since the agent started). Default 5. */
  frameAgeS?: number | null;
}
export type Step =
  | [link: 'down' | 'up', at: number, opts?: ReportOpts]
  | [status: 'online' | 'offline', at: number, boot?: string]
  | [tick: 'tick', at: number];

export function health(at: number, state: 'up' | 'down', o: ReportOpts, seq: number): HealthPayload {
  const frameAgeS = o.frameAgeS === undefined ? 5 : o.frameAgeS;
  return {
    v: 1,
    stationId: 'st-001',
    bootId: o.boot ?? BOOT_A,
    seq,
    ts: T + at * S,
    agentVersion: '0.1.0',
    uptimeS: 100 + at,
    rssBytes: 40e6,
    serial: {
      state,
      port: PORT,
      lastFrameAgeMs: frameAgeS === null ? null : frameAgeS * S,
      framesGood: 10,
      framesBad: {},
    },
  };
}

/** Run the steps through an engine holding only this rule; events as `status@second`. */
export function run(steps: Step[], opts: Partial<SerialLinkDownOptions> = {}) {
  let clock = T;
  const station = stationFixture('st-001');
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = new AlertEngine(
    new StationRegistry([station]),
    [serialLinkDownRule({ ...opts, now: () => clock })],
    metrics,
    pino({ level: 'silent' }),
  );
  const alerts: Alert[] = [];
  const events: string[] = [];
  let at = 0;
  engine.on('alert', (a) => {
    alerts.push(a);
    events.push(`${a.status}@${at}`);
  });
  steps.forEach((step, seq) => {
    const t = step[1];
    switch (step[0]) {
      case 'tick':
        at = t;
        clock = T + t * S;
        engine.tick(clock);
        return;
      case 'online':
      case 'offline': {
        at = t;
        clock = T + t * S;
        const online = step[0] === 'online';
        engine.observe(station.id, [
          {
            type: 'status',
            online,
            bootId: step[2] ?? BOOT_A,
            ts: clock,
            ...(online ? {} : { reason: 'will' }),
          },
        ]);
        return;
      }
      case 'down':
      case 'up': {
        const o = step[2] ?? {};
        at = o.arrive ?? t;
        clock = T + at * S;
        engine.observe(station.id, [{ type: 'health', ts: T + t * S, health: health(t, step[0], o, seq) }]);
        return;
      }
    }
  });
  return { engine, events, alerts, metrics, station };
}
