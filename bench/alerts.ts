/**
 * `npm run bench:alerts`: from a station's fault to the crew's robot, through the real stack
 * (bench/alerts-stack.ts: influxd, broker and server as processes; fake WeCom per township and a
 * fake DingTalk on the county route), with live MQTT traffic of N simulated stations
 * (bench/alerts-stations.ts: status, readings every 10 s, health every 30 s).
 *
 * - Latency, per station count: one heater_failure fault every `--interval` ms at a random station
 *   (dispenser_broken fires at once) for `--samples` faults; latency = the robot's receive time of
 *   the first message naming that station − the fault's publish time.
 * - Storm, on the largest stack: `--storm` stations drop their connections within one minute (the
 *   broker publishes their wills) → messages per channel, first dark → last message (s), and lost =
 *   dark stations neither named in a message nor held by an outage incident a message links.
 *   The result also gives the broker's session-queue drops (`brokerQueueDrops`): the stack sizes the
 *   server's session queue as docs/broker.md says (messages/s × 120 s); with the default 1,000 a
 *   10,000-station fleet overflows it in bursts and the dropped wills read as lost stations.
 * - Peer, in the same run (bench/alerts-peer.ts): one POST per alert to its own fake robot.
 *
 *   npm run bench:alerts -- [--stations 47,10000] [--storm 1000] [--samples 30] [--interval 2000] [--quick]
 *
 * Writes bench/results/alerts.json (`--out`). BENCH_KEEP=1 keeps the stack's folder (logs, store).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../server/src/store/open.js';
import { sleep } from '../test/helpers/wait.js';
import {
  alertIdsLinked,
  benchStationId,
  benchStationName,
  percentile,
  stationsNamed,
  throttledCount,
} from './alerts-lib.js';
import { NaivePeer } from './alerts-peer.js';
import { AlertStack, OUTAGE, PEER_ACCOUNT, type Arrival } from './alerts-stack.js';
import { BenchStations } from './alerts-stations.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    stations: { type: 'string', default: '47,10000' },
    storm: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '30' },
    interval: { type: 'string', default: '2000' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/alerts.json') },
  },
});
const QUICK = args.quick;
const SIZES = (QUICK ? '47' : args.stations).split(',').map(Number);
const STORM = QUICK ? 30 : Number(args.storm);
const SAMPLES = QUICK ? 5 : Number(args.samples);
const INTERVAL = Number(args.interval);
const round = (v: number) => Math.round(v);
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Latency {
  p50Ms: number;
  p99Ms: number;
  samples: number;
  missing: number;
}

/** Per fault: the first message after it naming its station. */
function latencies(faults: { i: number; at: number }[], arrivals: Arrival[]): Latency {
  const got: number[] = [];
  for (const f of faults) {
    const m = arrivals.find((a) => a.at >= f.at && stationsNamed(a.text).has(f.i));
    if (m) got.push(m.at - f.at);
  }
  got.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(got, 50)),
    p99Ms: round(percentile(got, 99)),
    samples: got.length,
    missing: faults.length - got.length,
  };
}

/** Until every fault is named in `arrivals` (or `ms` passed). */
async function settle(faults: { i: number; at: number }[], arrivals: Arrival[][], ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && latencies(faults, arrivals.flat()).missing > 0) await sleep(250);
}

async function latencyRun(stack: AlertStack, sims: BenchStations, peer: NaivePeer, used: Set<number>) {
  const faults: { i: number; at: number }[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    let i: number;
    do i = Math.floor(Math.random() * stack.stations);
    while (used.has(i) && used.size < stack.stations);
    used.add(i);
    faults.push({ i, at: sims.fault(i) });
    await sleep(INTERVAL);
  }
  await settle(faults, [stack.wecomArrivals], 60_000);
  await settle(faults, [peer.arrivals], 10_000);
  return { server: latencies(faults, stack.wecomArrivals), peer: latencies(faults, peer.arrivals) };
}

/** Quiet for `quietMs` after `notBefore`, or `capMs` after it. */
async function quiet(
  arrivals: Arrival[][],
  notBefore: number,
  quietMs: number,
  capMs: number,
): Promise<void> {
  const last = () => Math.max(notBefore, ...arrivals.flat().map((a) => a.at));
  while (Date.now() < notBefore + capMs && Date.now() - last() < quietMs) await sleep(1000);
}

async function stormRun(stack: AlertStack, sims: BenchStations, peer: NaivePeer, used: Set<number>) {
  const dark = Array.from({ length: stack.stations }, (_, i) => i)
    .filter((i) => !used.has(i))
    .slice(0, STORM);
  const t0 = Date.now();
  const since = (a: Arrival) => a.at >= t0;
  for (let k = 0; k < dark.length; k++) {
    await sleep(Math.max(0, t0 + (k * 60_000) / dark.length - Date.now()));
    sims.dark(dark[k]!);
  }
  log(`storm: ${dark.length} stations dark; waiting for the messages`);
  // station_dark fires 1 min after the will; the notifier's storm window is 20 s.
  await quiet(
    [stack.wecomArrivals, stack.dingtalkArrivals, peer.arrivals],
    Date.now() + 60_000,
    45_000,
    300_000,
  );
  const wecom = stack.wecomArrivals.filter(since);
  const ding = stack.dingtalkArrivals.filter(since);
  const peerMsgs = peer.arrivals.filter(since);
  const all = [...wecom, ...ding];
  const named = new Set<number>();
  const linked = new Set<string>();
  for (const a of all) {
    for (const i of stationsNamed(a.text)) named.add(i);
    for (const id of alertIdsLinked(a.text)) linked.add(id);
  }
  const store = await openStore({ dataDir: stack.dataDir });
  const rows = await store.db
    .selectFrom('alerts')
    .select(['id', 'station_id', 'suppressed_by'])
    .where('rule', '=', 'station_dark')
    .execute();
  const incidents = await store.db
    .selectFrom('alerts')
    .select(['id', 'evidence_json'])
    .where('rule', 'like', '%outage%')
    .execute();
  await store.close();
  const darkAlert = new Map(rows.map((r) => [r.station_id, r]));
  // An incident's evidence lists the stations it holds: a member counts once a message links the incident.
  const inIncident = new Set<string>();
  for (const inc of incidents) {
    if (!linked.has(inc.id)) continue;
    const ev = JSON.parse(inc.evidence_json) as { stations?: unknown };
    if (Array.isArray(ev.stations))
      for (const st of ev.stations) if (typeof st === 'string') inIncident.add(st);
  }
  const lostStations = dark.filter((i) => {
    if (named.has(i) || inIncident.has(benchStationId(i))) return false;
    const a = darkAlert.get(benchStationId(i));
    return !(a && (linked.has(a.id) || (a.suppressed_by !== null && linked.has(a.suppressed_by))));
  });
  const last = Math.max(t0, ...all.map((a) => a.at));
  return {
    server: {
      messagesPerChannel: { wecom: wecom.length, dingtalk: ding.length },
      lastMessageS: Math.round((last - t0) / 100) / 10,
      lost: lostStations.length,
      darkStations: dark.length,
      darkAlertsStored: dark.filter((i) => darkAlert.has(benchStationId(i))).length,
      incidents: incidents.length,
      inLinkedIncident: dark.filter((i) => inIncident.has(benchStationId(i))).length,
      namedInMessages: dark.filter((i) => named.has(i)).length,
      refusedByRobot: all.filter((a) => a.code !== 0).length,
      lostExample: lostStations.slice(0, 5).map(benchStationName),
      brokerQueueDrops: await stack.brokerQueueDrops(),
    },
    peer: {
      messages: peerMsgs.length,
      throttledAt20PerMin: throttledCount(peerMsgs.map((a) => a.at)),
      lastMessageS: Math.round((Math.max(t0, ...peerMsgs.map((a) => a.at)) - t0) / 100) / 10,
    },
  };
}

async function runSize(n: number, withStorm: boolean) {
  const stack = new AlertStack(n);
  const peer = new NaivePeer();
  let sims: BenchStations | undefined;
  try {
    log(`${n} stations: starting influxd, broker, server`);
    await stack.start();
    await peer.start(stack.mqttUrl, PEER_ACCOUNT, stack.secrets.get(PEER_ACCOUNT) ?? '');
    sims = new BenchStations(stack.mqttUrl, stack.secrets, n);
    await sims.start();
    log(`${n} stations connected; warming up 35 s (readings, health)`);
    await sleep(QUICK ? 12_000 : 35_000);
    const used = new Set<number>();
    log(`${n} stations: ${SAMPLES} faults, one every ${INTERVAL} ms`);
    const latency = await latencyRun(stack, sims, peer, used);
    log(`${n} stations: latency ${JSON.stringify(latency)}`);
    const storm = withStorm ? await stormRun(stack, sims, peer, used) : undefined;
    if (storm) log(`storm: ${JSON.stringify(storm)}`);
    return {
      latency,
      storm,
      published: sims.published,
      publishErrors: sims.publishErrors,
      connectErrors: sims.connectErrors,
    };
  } finally {
    await sims?.stop();
    await peer.stop().catch(() => undefined);
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const runs = new Map<number, Awaited<ReturnType<typeof runSize>>>();
  const largest = Math.max(...SIZES);
  for (const n of SIZES) runs.set(n, await runSize(n, n === largest && n >= STORM));
  const small = runs.get(Math.min(...SIZES))!;
  const storm = runs.get(largest)?.storm;
  const out: Record<string, unknown> = {
    ...Object.fromEntries([...runs].map(([n, r]) => [`stations${n}`, r.latency.server])),
    storm1000: storm?.server,
    peer: { [`stations${Math.min(...SIZES)}`]: small.latency.peer, storm1000: storm?.peer },
    settings: {
      outage: OUTAGE,
      stationDarkFor: '1min',
      notifierStormWindow: '20s',
      faultsEveryMs: INTERVAL,
      stormStations: STORM,
    },
    traffic: Object.fromEntries(
      [...runs].map(([n, r]) => [
        `stations${n}`,
        { published: r.published, publishErrors: r.publishErrors, connectErrors: r.connectErrors },
      ]),
    ),
    run: { started, finished: new Date().toISOString(), quick: QUICK, stations: SIZES },
  };
  writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
  console.table(
    Object.fromEntries(
      [...runs].map(([n, r]) => [
        `${n} stations`,
        {
          p50Ms: r.latency.server.p50Ms,
          p99Ms: r.latency.server.p99Ms,
          peerP50Ms: r.latency.peer.p50Ms,
          peerP99Ms: r.latency.peer.p99Ms,
        },
      ]),
    ),
  );
  if (storm)
    console.table({
      server: storm.server.messagesPerChannel,
      lost: { n: storm.server.lost },
      peer: storm.peer,
    });
  log(`wrote ${args.out}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
