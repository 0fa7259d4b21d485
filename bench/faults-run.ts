/**
 * The fault run shared by test/e2e/faults.int.test.ts and `npm run bench:faults`: real processes
 * (bench/faults-stack.ts), counting controllers sending steadily (bench/faults-controller.ts), and
 * per round, one after the other: kill -9 of every agent, the broker, the server, influxd; a
 * restart delay as systemd's RestartSec would give; the restart with the same data folder; then
 * the system settles until it has caught up. Afterwards the controllers stop, InfluxDB is read, and
 * every reading sent is accounted for per kill (bench/faults-count.ts).
 */
import { execFileSync } from 'node:child_process';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { sleep } from '../test/helpers/wait.js';
import { CountingController } from './faults-controller.js';
import { countFaults, UNHEARD_GRACE_MS, type Count, type KillWindow } from './faults-count.js';
import { diagnose } from './faults-diagnose.js';
import { untilCaughtUp } from './faults-settle.js';
import { FaultStack, KILLS, type Kill } from './faults-stack.js';

export const DB = 'yizhan';

export interface FaultRunOptions {
  /** Sample stations st-001.. to run. */
  stations: number;
  /** One READINGS frame per station every intervalMs. */
  intervalMs: number;
  /** Each round kills every process of `kills` once. */
  rounds: number;
  kills?: readonly Kill[];
  /** Steady load before each kill, ms. */
  loadMs: number;
  /** Wait between kill and restart, ms: [min, max], drawn per kill. */
  restartDelayMs: readonly [number, number];
  /** After the restart: at least this long, then until caught up (at most maxSettleMs). */
  settleMs: number;
  maxSettleMs: number;
  /** Extra server settings (environment variables). */
  serverEnv?: Record<string, string>;
  keepData?: boolean;
  log?: (line: string) => void;
}

export interface FaultReport extends Count {
  commit: string;
  settings: Omit<FaultRunOptions, 'log'> & { channelsPerFrame: number; unheardGraceMs: number };
  durationS: number;
  /** When readings are missing: what the processes logged and counted around them (faults-diagnose.ts). */
  diagnosis: string;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

export async function runFaults(o: FaultRunOptions): Promise<FaultReport> {
  const say = o.log ?? (() => undefined);
  const started = Date.now();
  const stations = loadStationsOrThrow(DEFAULT_STATIONS_DIR).slice(0, o.stations);
  if (stations.length < o.stations)
    throw new Error(`--stations ${o.stations}: only ${stations.length} sample stations`);
  const perS = (stations.length * 1000) / o.intervalMs;
  // The server's session must hold what arrives while it is away (restart delay + start), with room.
  const stack = new FaultStack({
    stations,
    sessionQueue: Math.max(1000, Math.ceil(perS * 120)),
    serverEnv: o.serverEnv,
    keepData: o.keepData,
    log: say,
  });
  const controllers = stations.map((s) => new CountingController(s, o.intervalMs));
  const windows: KillWindow[] = [];
  try {
    say(`starting influxd, broker, server and ${stations.length} agents in ${stack.root}`);
    await stack.start();
    for (const c of controllers) await c.attach(stack.pairs.get(c.station.id)?.devicePath ?? '');
    const t0 = Date.now();
    controllers.forEach((c, i) => c.start((i * o.intervalMs) / controllers.length));
    say(`${stations.length} controllers sending every ${o.intervalMs} ms (${perS.toFixed(0)} frames/s)`);
    let from = t0;
    for (let round = 1; round <= o.rounds; round++)
      for (const kill of o.kills ?? KILLS) {
        await sleep(o.loadMs);
        const killAt = Date.now();
        await stack.kill(kill);
        const delay = o.restartDelayMs[0] + Math.random() * (o.restartDelayMs[1] - o.restartDelayMs[0]);
        await sleep(delay);
        await stack.restart(kill);
        const readyAt = Date.now();
        const w: KillWindow = { kill, round, from, to: Infinity, killAt, readyAt };
        if (kill === 'agent') w.portOpenAt = new Map(stack.portOpenAt);
        windows.push(w);
        say(
          `round ${round}: ${kill} killed, restarted after ${Math.round(delay)} ms, ready ${readyAt - killAt} ms after the kill`,
        );
        await sleep(o.settleMs);
        if (await untilCaughtUp(stack.influxUrl, DB, controllers, windows, from, readyAt + o.maxSettleMs))
          w.caughtUpMs = Date.now() - readyAt;
        else
          say(`round ${round}: after the ${kill} kill, InfluxDB did not catch up within ${o.maxSettleMs} ms`);
        w.to = Date.now();
        from = w.to;
      }
    for (const c of controllers) c.pause();
    const last = windows[windows.length - 1];
    if (last) last.to = Infinity;
    // Drain: wait for every frame sent, up to the last one (a window that ran out of settle time
    // may still be delivering), at most maxSettleMs.
    const end = Date.now() + 1;
    if (
      !(await untilCaughtUp(stack.influxUrl, DB, controllers, windows, t0, Date.now() + o.maxSettleMs, end))
    )
      say(`not every frame sent reached InfluxDB within ${o.maxSettleMs} ms of the end`);
    const count = await countFaults(stack.influxUrl, DB, controllers, windows);
    const diagnosis = await diagnose({
      root: stack.root,
      missing: count.missing,
      metricsUrls: { broker: stack.brokerMetricsUrl, server: `${stack.httpUrl}/metrics` },
    });
    const { log: _log, ...settings } = o;
    return {
      ...count,
      commit: commit(),
      settings: {
        ...settings,
        channelsPerFrame: controllers[0]?.plan.channels.length ?? 0,
        unheardGraceMs: UNHEARD_GRACE_MS,
      },
      durationS: Math.round((Date.now() - started) / 1000),
      diagnosis,
    };
  } finally {
    await Promise.all(controllers.map((c) => c.close()));
    await stack.stop();
  }
}
