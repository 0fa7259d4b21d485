/**
 * Fill a fresh InfluxDB through the real path, for the dashboard tests:
 *
 * ```
 * StationSimulator ×5 ─(mock serial pair)─▶ edge agent ×5 ─MQTT─▶ aedes ─▶ server (buildApp) ─▶ influxd
 * ```
 *
 * Simulated time runs {@link DEFAULT_FILL.speed}× faster than the clock and ends where the run
 * started, so several simulated hours land in the recent past (the server refuses future
 * timestamps) and the dashboards' relative ranges (`now-6h`) see them. The agents stamp messages
 * with simulated time. During the run one dispenser heater fails, one socket trips, one door is
 * opened and one agent is stopped, so that the "now" panels have something to show; and one
 * controller with a tripped socket reboots without ever clearing the fault (it must not stay "now").
 * The rollups (server/src/influx/rollups.ts) are then filled for the span with their SELECT … INTO.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { mockPathFor, PairedMockBinding } from '../../edge/src/serial/mock-pair.js';
import { runSimulatedStations, type SimulatedStations } from '@yizhan/edge/simulator';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { buildApp } from '@yizhan/server';
import type { TimeRange } from './grafanaMacros.js';
import { runInfluxQL } from './influxql.js';
import {
  DEFAULT_ROLLUP_RETENTION_MS,
  DEFAULT_ROLLUP_RP,
  backfillStatement,
  rollupQueries,
} from '../../server/src/influx/rollups.js';
import { startPlainBroker } from '../helpers/mqtt-broker.js';
import { sleep, waitFor } from '../helpers/wait.js';

export interface FillOptions {
  /** Simulated seconds per real second. */
  speed: number;
  /** Real seconds the simulation runs; simulated span = speed × runS. */
  runS: number;
  /** Agent health period, real ms (the default 30 s would give none in a short run). */
  healthIntervalMs: number;
  /** Longest wait for the last messages to reach InfluxDB, ms. */
  settleTimeoutMs: number;
}

/** 6 simulated hours in 6 real seconds. */
export const DEFAULT_FILL: FillOptions = {
  speed: 3600,
  runS: 6,
  healthIntervalMs: 250,
  settleTimeoutMs: 20_000,
};

export const DB = 'yizhan';

export interface FilledInflux {
  url: string;
  db: string;
  /** The simulated span as an absolute dashboard range. */
  range: TimeRange;
  stations: StationConfig[];
  /** One township with at least two stations, and two of its stations: for narrowed variables. */
  narrow: { township: string; stations: string[] };
  /** What happened during the run. */
  heaterFailed: string;
  socketTripped: { station: string; sensor: string };
  doorOpened: string;
  /** The station whose agent was stopped (published offline). */
  offline: string;
  /** A socket_tripped raised, then its controller rebooted (HELLO) without a clear event. */
  rebooted: { station: string; sensor: string };
  stop(): Promise<void>;
}

/** Five stations from two townships: three from one, two from another. */
export function pickStations(all: readonly StationConfig[]): StationConfig[] {
  const byTownship = new Map<string, StationConfig[]>();
  for (const s of all) byTownship.set(s.township, [...(byTownship.get(s.township) ?? []), s]);
  const big = [...byTownship.values()]
    .filter((l) => l.length >= 3)
    .sort((a, b) => (a[0]?.id ?? '').localeCompare(b[0]?.id ?? ''));
  const [first, second] = big;
  if (!first || !second)
    throw new Error('the sample stations need two townships with three or more stations each');
  return [...first.slice(0, 3), ...second.slice(0, 2)];
}

/** Sensor id of socket 1: the socket_state channel with the lowest number (the simulator's numbering). */
function firstSocket(s: StationConfig | undefined): string {
  const sockets = (s?.sensors ?? [])
    .filter((x) => x.kind === 'socket_state')
    .sort((x, y) => x.channel - y.channel);
  if (!sockets[0]) throw new Error(`station ${s?.id} has no socket_state channel`);
  return sockets[0].id;
}

export async function fillThroughPipeline(o: FillOptions = DEFAULT_FILL): Promise<FilledInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'yizhan-dash-'));
  const cleanups: (() => Promise<void>)[] = [];
  /** Stop everything in reverse order of start; every step runs, and failures are reported together. */
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => errors.push(e));
    rmSync(dir, { recursive: true, force: true });
    if (errors.length)
      throw new AggregateError(errors, `fill: ${errors.length} service(s) did not stop cleanly`);
  };
  try {
    // Open round the clock: the planners' panels count open-hour samples only, and the simulated
    // span is the six hours before the test runs, which at 06:00 China time is night for a station
    // open 07:00-21:00. Closed hours are covered by test/server/planning (derive, analytics.known).
    const stations = pickStations(loadStationsOrThrow()).map((s) => ({ ...s, hours: '00:00-24:00' }));
    const influxd: InfluxdHandle = await startInfluxd({ dir: join(dir, 'influxd') });
    cleanups.push(() => influxd.stop());
    const broker = await startPlainBroker();
    cleanups.push(() => broker.close());
    const app: FastifyInstance = await buildApp({
      stations,
      mqtt: { url: broker.url, clientId: 'dashboards-test-server' },
      influx: { url: influxd.url, api: 'v1', db: DB, rp: 'raw', writer: { flushIntervalMs: 100 } },
      logLevel: 'error',
      defaultMetrics: false,
    });
    cleanups.push(() => app.close());
    await app.ready();
    await waitFor(
      'the server to be ready',
      async () => (await app.inject('/readyz')).statusCode === 200,
      15_000,
      200,
    );

    const realStart = Date.now();
    const simStart = realStart - o.speed * o.runS * 1000;
    const simNow = (): number => Math.min(Date.now(), simStart + (Date.now() - realStart) * o.speed);
    PairedMockBinding.reset();
    const sims: SimulatedStations = await runSimulatedStations(stations, {
      speed: o.speed,
      startTime: simStart,
      seed: 7,
      tickMs: 20,
    });
    cleanups.push(() => sims.stop());
    const log = pino({ level: 'silent' });
    const agents = new Map<string, Agent>();
    for (const s of stations) {
      const agent = await startAgent({
        station: s,
        mqttUrl: broker.url,
        password: 'the-test-broker-accepts-any',
        serialPath: mockPathFor(s.id),
        binding: PairedMockBinding,
        logger: log,
        healthIntervalMs: o.healthIntervalMs,
        now: simNow,
      });
      agents.set(s.id, agent);
      cleanups.push(() => agent.stop());
    }

    // a and b are the narrowed selection of the tests (first township, first two stations), so
    // that the "now" panels have rows with the variables narrowed too.
    const [a, b, c] = stations.map((s) => s.id) as [string, string, string];
    await sleep(1000);
    sims.get(a).injectFault('heater_failure');
    sims.get(b).injectFault('socket_tripped', 1);
    sims.get(c).injectFault('socket_tripped', 1);
    await sleep(1500);
    sims.get(c).reboot();
    await sleep(o.runS * 1000 - 4000);
    sims.get(a).setDoor(true);
    await sleep(500);
    await agents.get(b)?.stop();
    await sleep(Math.max(0, realStart + o.runS * 1000 - Date.now()));
    await sims.stop();

    // The last things that happened must be the last values in InfluxDB before the tests look.
    const lastIs = (what: string, q: string, want: number): Promise<void> =>
      waitFor(
        what,
        async () => (await runInfluxQL(influxd.url, DB, q)).series[0]?.values[0]?.[1] === want,
        o.settleTimeoutMs,
        200,
      ).then(() => undefined);
    await lastIs(
      `${b} offline (its agent stopped)`,
      `SELECT last("online") FROM "station_status" WHERE "station" = '${b}'`,
      0,
    );
    await lastIs(`${a}'s door open`, `SELECT last("value") FROM "door" WHERE "station" = '${a}'`, 1);
    await lastIs(
      `${c}'s socket_tripped ended by its controller's reboot`,
      `SELECT last("active") FROM "fault" WHERE "station" = '${c}' AND "fault" = 'socket_tripped'`,
      0,
    );
    await lastIs(
      `${a}'s heater_failure raised`,
      `SELECT last("active") FROM "fault" WHERE "station" = '${a}' AND "fault" = 'heater_failure'`,
      1,
    );

    // The continuous queries run on the hour; the planners' panels read the rollups, so fill them
    // for the simulated span with the queries' own SELECT … INTO, as an import would, once the
    // writer has delivered the last derived points (their count holds still for a second).
    let count: unknown = -1;
    await waitFor(
      'the last derived points in InfluxDB',
      async () => {
        const r = await runInfluxQL(influxd.url, DB, 'SELECT count("occupancy") FROM "station_use"');
        const now = r.series[0]?.values[0]?.[1];
        const still = now === count;
        count = now;
        return still;
      },
      o.settleTimeoutMs,
      1000,
    );
    const end = Date.now();
    const ro = { db: DB, rawRp: 'raw', rp: DEFAULT_ROLLUP_RP, retentionMs: DEFAULT_ROLLUP_RETENTION_MS };
    for (const q of rollupQueries(ro)) {
      const r = await runInfluxQL(influxd.url, DB, backfillStatement(q, simStart - 86_400_000, end + 3_600_000));
      if (r.error !== undefined) throw new Error(`rollup ${q.name}: ${r.error}`);
    }

    return {
      url: influxd.url,
      db: DB,
      range: { from: simStart - 60_000, to: end },
      stations,
      narrow: { township: stations[0]?.township ?? '', stations: [a, b] },
      heaterFailed: a,
      socketTripped: { station: b, sensor: firstSocket(stations[1]) },
      doorOpened: a,
      offline: b,
      rebooted: { station: c, sensor: firstSocket(stations[2]) },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
