/**
 * One engine's kill matrix for bench:cluster: the fault bench's processes (bench/faults-stack.ts:
 * counting controllers → socat PTYs → bundled agents → brokers → server → influxd) with the broker
 * replaced by a cluster engine (bench/cluster-engine.ts) reached through haproxy and URL lists
 * (bench/cluster-access.ts). Each case runs after steady load; its window's readings are counted
 * like the fault bench's (bench/faults-count.ts), its recovery and statuses checked as
 * bench/cluster-check.ts says.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { sleep } from '../test/helpers/wait.js';
import { ClusterAccess } from './cluster-access.js';
import {
  connectedNode,
  lastStored,
  linkUp,
  reconnectS,
  lostLinkIn,
  offlinePoints,
  recovered,
  retainedStatuses,
  serverStatuses,
  staleStatuses,
  type Stale,
} from './cluster-check.js';
import type { ClusterEngine } from './cluster-engine.js';
import { CountingController } from './faults-controller.js';
import { countFaults, describeMissing, type KillWindow } from './faults-count.js';
import { DB } from './faults-run.js';
import { untilCaughtUp } from './faults-settle.js';
import { FaultStack, SERVER_ACCOUNT } from './faults-stack.js';

export interface ClusterRunOptions {
  stations: number;
  intervalMs: number;
  /** Steady load before each case, ms. */
  loadMs: number;
  restartDelayMs: readonly [number, number];
  /** After recovery: until InfluxDB has caught up, at least settleMs, at most maxSettleMs after the last restart. */
  settleMs: number;
  maxSettleMs: number;
  /** Give the direct stations and the server a list of node URLs (false: this code takes one URL). */
  lists: boolean;
  keepData?: boolean;
  log: (line: string) => void;
}

export interface ClusterCase {
  name: string;
  sent: number;
  stored: number;
  lost: number;
  staleStatuses: number;
  recoveryS: number | null;
  /** Seconds until every agent that lost its link had it back (null: none lost it). */
  reconnectS: number | null;
  unheard: number;
  wrongValue: number;
  duplicates: number;
  /** Stations whose status disagreed with their agent's link after the case settled. */
  staleAtEnd: number;
  /** station_status offline points written in the case for a station whose agent kept its link. */
  falseOfflinePoints: number;
  /** What was killed (e.g. node-2 for the server's node). */
  parts: string[];
  /** Parts that exited by themselves during the case (restarted by the bench before the next case). */
  crashed: string[];
  /** The frames with missing readings, runs of consecutive frames in one line (bench/faults-count.ts). */
  missing: string[];
  stale: Stale[];
}

interface Step {
  what: string;
  act: (h: Harness) => Promise<void>;
  /** Recovery is measured from this step's kill (the last kill of a case). */
  measureFrom?: boolean;
}
interface Harness {
  engine: ClusterEngine;
  stack: FaultStack;
  delay: () => Promise<void>;
  killed: string[];
  /** When the process of the current step's kill had exited. */
  goneAt?: number;
}

const node = (n: string, signal: NodeJS.Signals = 'SIGKILL', measureFrom = true): Step => ({
  what: `${n} ${signal}`,
  measureFrom,
  act: async (h) => {
    h.killed.push(n);
    await h.engine.kill(n, signal);
    h.goneAt = Date.now();
    await h.delay();
    await h.engine.restart(n);
  },
});
const server = (signal: NodeJS.Signals): Step => ({
  what: `server ${signal}`,
  measureFrom: true,
  act: async (h) => {
    h.killed.push('server');
    await h.stack.kill('server', signal);
    h.goneAt = Date.now();
    await h.delay();
    await h.stack.restart('server');
  },
});
const serversNode: Step = {
  what: "the server's node SIGKILL",
  measureFrom: true,
  act: async (h) => {
    const pid = h.stack.pid('server') ?? 0;
    const ports = h.engine.nodeUrls().map((u) => Number(new URL(u).port));
    const i = connectedNode(pid, ports);
    if (i < 0) throw new Error(`the server (pid ${pid}) has no connection to any node (${ports.join(', ')})`);
    await node(`node-${i + 1}`).act(h);
  },
};

/** The matrix: [case name (without the engine), steps]; a case whose parts the engine lacks is skipped. */
export function matrix(parts: readonly string[]): [string, Step[]][] {
  const all: [string, Step[], string[]][] = [
    ['node-1 killed (-9)', [node('node-1')], ['node-1']],
    ['node-2 killed (-9)', [node('node-2')], ['node-2']],
    ["the server's node killed (-9)", [serversNode], ['node-1', 'node-2']],
    ['server restarted (SIGTERM)', [server('SIGTERM')], []],
    ['server killed (-9)', [server('SIGKILL')], []],
    ['redis killed (-9)', [node('redis')], ['redis']],
    [
      'node-1 restarted, then node-2 killed (-9)',
      [node('node-1', 'SIGTERM', false), node('node-2')],
      ['node-1', 'node-2'],
    ],
  ];
  return all.filter(([, , need]) => need.every((p) => parts.includes(p))).map(([n, s]) => [n, s]);
}

export async function runCluster(engine: ClusterEngine, o: ClusterRunOptions): Promise<ClusterCase[]> {
  const say = o.log;
  const stations = loadStationsOrThrow(DEFAULT_STATIONS_DIR).slice(0, o.stations);
  if (stations.length < o.stations)
    throw new Error(`--stations ${o.stations}: only ${stations.length} sample stations`);
  const ids = stations.map((s) => s.id);
  const perS = (stations.length * 1000) / o.intervalMs;
  const access = new ClusterAccess(engine, { lists: o.lists, log: say });
  const stack = new FaultStack({
    stations,
    sessionQueue: Math.max(1000, Math.ceil(perS * 120)),
    broker: access,
    keepData: o.keepData,
    log: (l) => say(`${engine.name}: ${l}`),
  });
  const controllers = stations.map((s) => new CountingController(s, o.intervalMs));
  const windows: KillWindow[] = [];
  const cases: ClusterCase[] = [];
  const seenOffline = new Set<string>();
  const flows = (since: number) =>
    lastStored(stack.influxUrl, DB, controllers, since).then((last) =>
      ids.map((station) => ({
        station,
        linkUp: linkUp(stack.links.get(station)),
        lastStoredAt: last.get(station),
      })),
    );
  try {
    say(
      `${engine.name}: starting influxd, the cluster, haproxy, the server and ${ids.length} agents in ${stack.root}`,
    );
    await stack.start();
    say(
      `${engine.name}: nodes ${engine.nodeUrls().join(' ')}, haproxy ${access.lbUrl} (${access.haproxyCfg}), lists ${o.lists}`,
    );
    for (const c of controllers) await c.attach(stack.pairs.get(c.station.id)?.devicePath ?? '');
    const t0 = Date.now();
    controllers.forEach((c, i) => c.start((i * o.intervalMs) / controllers.length));
    const password = readFileSync(join(stack.root, 'secrets', SERVER_ACCOUNT), 'utf8').trim();
    let from = t0;
    for (const [caseName, steps] of matrix(engine.parts())) {
      const name = `${engine.name}: ${caseName}`;
      await steady(stack, ids, say);
      await sleep(o.loadMs);
      const h: Harness = {
        engine,
        stack,
        killed: [],
        delay: () => sleep(o.restartDelayMs[0] + Math.random() * (o.restartDelayMs[1] - o.restartDelayMs[0])),
      };
      const killAt = Date.now();
      let measureAt = killAt;
      // Recovery is polled while the kills and restarts go on (stations may fail over before the restart).
      const rec: { at?: number; acting: boolean } = { acting: true };
      let polling = Promise.resolve();
      for (const step of steps) {
        if (step.measureFrom) {
          measureAt = Date.now();
          h.goneAt = undefined;
          const at = measureAt;
          // Only readings sent once the killed process is gone prove that data flows again (a server
          // on SIGTERM still stores for a while).
          polling = (async () => {
            while (rec.at === undefined && (rec.acting || Date.now() < at + o.maxSettleMs)) {
              await sleep(500);
              const now = Date.now();
              const gone = h.goneAt;
              if (gone !== undefined && recovered(await flows(gone), gone, now)) rec.at = now;
            }
          })();
        }
        await step.act(h);
      }
      const readyAt = Date.now();
      rec.acting = false;
      const w: KillWindow = { kill: 'broker', round: cases.length + 1, from, to: Infinity, killAt, readyAt };
      windows.push(w);
      say(`${name}: ${h.killed.join(', ')} down and back in ${readyAt - killAt} ms`);
      await polling;
      await sleep(o.settleMs);
      if (!(await untilCaughtUp(stack.influxUrl, DB, controllers, windows, from, readyAt + o.maxSettleMs)))
        say(`${name}: InfluxDB did not catch up within ${o.maxSettleMs} ms of the restart`);
      await sleep(2000); // statuses: the last will or online message on its way
      const stale = await checkStatuses(stack, engine, ids, password);
      const offline = (await offlinePoints(stack.influxUrl, DB, t0 - 60_000)).filter(
        (p) => !seenOffline.has(`${p.station} ${p.at}`),
      );
      offline.forEach((p) => seenOffline.add(`${p.station} ${p.at}`));
      const crashed = takeCrashes(engine);
      for (const c of crashed) {
        say(`${name}: ${c} exited by itself; restarting it for the next case`);
        await engine.restart(c.split(' ')[0] ?? '');
      }
      w.to = Date.now();
      const falseOfflinePoints = offline.filter(
        (p) => !lostLinkIn(stack.links.get(p.station), from, w.to),
      ).length;
      cases.push({
        name,
        sent: 0,
        stored: 0,
        lost: 0,
        unheard: 0,
        wrongValue: 0,
        duplicates: 0,
        staleStatuses: stale.length + falseOfflinePoints,
        staleAtEnd: stale.length,
        falseOfflinePoints,
        recoveryS: rec.at === undefined ? null : Math.round((rec.at - measureAt) / 100) / 10,
        reconnectS: reconnectS(stack.links, measureAt) ?? null,
        parts: h.killed,
        stale,
        crashed,
        missing: [],
      });
      say(
        `${name}: recovered ${rec.at === undefined ? 'never' : `after ${((rec.at - measureAt) / 1000).toFixed(1)} s`}, ${stale.length} stale status(es), ${falseOfflinePoints} false offline point(s)`,
      );
      from = w.to;
    }
    for (const c of controllers) c.pause();
    const last = windows.at(-1);
    if (last) last.to = Infinity;
    const end = Date.now() + 1;
    await untilCaughtUp(stack.influxUrl, DB, controllers, windows, t0, Date.now() + o.maxSettleMs, end);
    const count = await countFaults(stack.influxUrl, DB, controllers, windows);
    count.rows.forEach((r, i) => {
      const c = cases[i];
      if (c)
        Object.assign(c, {
          sent: r.sent,
          stored: r.stored,
          lost: r.lost,
          unheard: r.unheard,
          wrongValue: r.wrongValue,
          duplicates: r.duplicates,
        });
    });
    cases.forEach((c, i) => {
      const mine = count.missing.filter((m) => m.round === i + 1);
      if (mine.length) c.missing = describeMissing(mine, 30).split('\n');
    });
    if (count.missing.length) say(`${engine.name}: ${count.missing.length} frame(s) with missing readings`);
    return cases;
  } finally {
    await Promise.all(controllers.map((c) => c.close()));
    await stack.stop();
  }
}

/** Parts of the engine that exited by themselves (engines that can tell: YizhanCluster.takeCrashes). */
function takeCrashes(engine: ClusterEngine): string[] {
  const e = engine as ClusterEngine & { takeCrashes?: () => string[] };
  return e.takeCrashes?.() ?? [];
}

/** Before a case: every agent's link up (a previous case's backoff may still run), 90 s at most. */
async function steady(stack: FaultStack, ids: string[], say: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const down = ids.filter((s) => !linkUp(stack.links.get(s)));
    if (!down.length) return;
    if (Date.now() + 500 >= deadline) say(`agents still not connected after 90 s: ${down.join(', ')}`);
    await sleep(500);
  }
}

/** Stations whose server or retained status disagrees with their agent's link now (the retained read on the first node that answers). */
async function checkStatuses(
  stack: FaultStack,
  engine: ClusterEngine,
  ids: string[],
  password: string,
): Promise<Stale[]> {
  const server = await serverStatuses(stack.httpUrl).catch(() => new Map<string, boolean | null>());
  let retained = new Map<string, boolean | null>();
  for (const url of engine.nodeUrls()) {
    const r = await retainedStatuses(url, SERVER_ACCOUNT, password, ids).catch(() => undefined);
    if (r) {
      retained = r;
      break;
    }
  }
  return staleStatuses(
    ids.map((station) => ({
      station,
      agent: linkUp(stack.links.get(station)),
      server: server.get(station) ?? null,
      retained: retained.get(station) ?? null,
    })),
  );
}
