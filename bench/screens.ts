/**
 * bench:screens — live station screens and riders' phone pages on one server process: update
 * latency under N connected `/api/v1/events` clients, beside a minimal Node SSE server (the peer,
 * bench/screens-peer.ts) in the same run, with the same clients, readings and frame size.
 *
 *   npm run bench:screens -- [--clients 4000] [--unfiltered 400] [--period 1000] [--seconds 30]
 *                            [--warmup 5] [--profile] [--out bench/results/screens.json]
 *
 * Path timed: the 47 sample stations publish a telemetry message each per `--period` ms (QoS 1, own
 * accounts, spread over the period) to the real broker; the server (or the peer) subscribed to it
 * turns each into a station frame for the clients watching that station. Latency = arrival at the
 * client − the reading's `ts`, stamped at publish (bench/screens-clients.ts).
 *
 * Client mix (bench/screens-lib.ts clientMix): `--unfiltered` streams without a filter (a page that
 * lists every station: the staff app, a riders' list), the rest `?station=<id>`, the same number
 * per station (a station screen, a phone page opened from a station's QR code). Two client processes,
 * 50 streams per loopback source address (the server's per-address limit is 100).
 *
 * Writes `--out` as { clients, yizhan: {p50Ms, p99Ms, rssMb}, plainNode: {…}, phonePageKb,
 * boardScreenRssMb } (bench/phone-page.ts on the same server once the clients are gone; the
 * board's agent with its screen, bench/board-screen.ts). Everything else (delivery, CPU, frame size,
 * load) is printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { ensureWebBuilt } from '../scripts/lib/web-build.js';
import { measureBoardScreen } from './board-screen.js';
import { raiseOpenFiles, sleep } from './ingest-lib.js';
import { measurePhonePage } from './phone-page.js';
import { mainThreadProfile, nodeProc, runCleaningUp, Sampler, stopProc, type Proc } from './ingest-procs.js';
import type { ClientJob, ClientReport, Connected } from './screens-clients.js';
import {
  clientMix,
  count,
  merge,
  screensResult,
  side,
  StationFrameReader,
  type ClientPlan,
  type Histogram,
  type Side,
} from './screens-lib.js';
import { ScreensStack, type Listening } from './screens-stack.js';
import { ScreensStations } from './screens-stations.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '4000' },
    unfiltered: { type: 'string', default: '400' },
    period: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    'peer-first': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/screens.json') },
  },
});
const CLIENT_PROCESSES = 2;
const PER_ADDRESS = 50;
const DRAIN_MS = 3000;

interface Phase {
  side: Side;
  hist: Histogram;
  timed: number;
  expected: number;
  connected: Connected;
  closedEarly: number;
  frameBytes: number;
  cpuPct: number;
  /** CPU of each client process: near 100 % would mean the clients, not the server, set the latency. */
  clientCpuPct: number[];
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

/** Connect every client to `target`, time `--seconds` of readings, and gather the clients' figures. */
async function runPhase(name: string, target: Listening, plans: ClientPlan[], pub: ScreensStations, logDir: string): Promise<Phase> {
  const per = Math.ceil(plans.length / CLIENT_PROCESSES);
  const workers: Proc[] = [];
  for (let k = 0; k < CLIENT_PROCESSES; k++) {
    const job: ClientJob = {
      port: target.port,
      plans: plans.slice(k * per, (k + 1) * per),
      firstAddress: k * 1000,
      perAddress: PER_ADDRESS,
      drainMs: DRAIN_MS,
    };
    const w = nodeProc(`clients-${name}-${k + 1}`, join(ROOT, 'bench/screens-clients.ts'), [], process.env, logDir, true);
    w.child.send(job);
    workers.push(w);
  }
  const next = <T>(w: Proc, type: string) =>
    new Promise<T>((res, rej) => {
      w.child.on('message', (m: { type: string }) => m.type === type && res(m as T));
      w.child.once('exit', (code) => rej(new Error(`${w.name} exited (${code}) before '${type}'; see its log in ${logDir}`)));
    });
  const conns = await Promise.all(workers.map((w) => next<Connected>(w, 'connected')));
  const connected: Connected = { type: 'connected', ok: 0, refused: {}, failed: 0 };
  for (const c of conns) {
    connected.ok += c.ok;
    connected.failed += c.failed;
    for (const [s, n] of Object.entries(c.refused)) connected.refused[Number(s)] = (connected.refused[Number(s)] ?? 0) + n;
  }
  console.log(`${name}: ${connected.ok} streams open (refused ${JSON.stringify(connected.refused)}, failed ${connected.failed}); load ${load()}`);
  await sleep(Number(args.warmup) * 1000);
  const sampler = new Sampler(() => [{ name, pid: target.proc.pid }, ...workers.map((w) => ({ name: w.name, pid: w.pid }))]);
  sampler.begin();
  const from = Date.now();
  const to = from + Number(args.seconds) * 1000;
  for (const w of workers) w.child.send({ type: 'measure', from, to });
  await sleep(to - Date.now());
  // Before the client processes report and exit (an exited one can no longer be read).
  const used = sampler.end();
  const reports = workers.map((w) => next<ClientReport>(w, 'report'));
  for (const w of workers) w.child.send({ type: 'stop' });
  const got = await Promise.all(reports);
  const usage = used[name] ?? { cpuPct: NaN, rssMB: NaN };
  const clientCpuPct = workers.map((w) => used[w.name]?.cpuPct ?? NaN);
  for (const w of workers) await stopProc(w);
  const hist: Histogram = {};
  for (const r of got) merge(hist, r.hist);
  // Every reading published in the window, once per client that watches its station.
  const perStation = pub.publishedBetween(from, to);
  const expected = plans.reduce((n, p) => n + p.stations.reduce((m, id) => m + (perStation.get(id) ?? 0), 0), 0);
  const frames = got.reduce((n, r) => n + r.stationFrames, 0);
  const bytes = got.reduce((n, r) => n + r.stationFrameBytes, 0);
  return {
    side: side(hist, usage.rssMB),
    hist,
    timed: count(hist),
    expected,
    connected,
    closedEarly: got.reduce((n, r) => n + r.closedEarly, 0),
    frameBytes: frames ? Math.round(bytes / frames) : 0,
    cpuPct: usage.cpuPct,
    clientCpuPct,
  };
}

function print(name: string, p: Phase): void {
  console.log(
    `${name}: p50 ${p.side.p50Ms} ms, p99 ${p.side.p99Ms} ms, peak RSS ${p.side.rssMb} MB, CPU ${p.cpuPct} % of a core; ` +
      `${p.timed} of ${p.expected} updates arrived in time to be timed (${((100 * p.timed) / Math.max(1, p.expected)).toFixed(2)} %), ` +
      `${p.closedEarly} streams closed early; station frame ${p.frameBytes} B; client processes ${p.clientCpuPct.join(' %, ')} %`,
  );
}

interface Yizhan {
  phase: Phase;
  phoneKb: number;
}

/** The server's phase; the phone page is measured on the same server once the clients are gone. */
async function runYizhan(stack: ScreensStack, plans: ClientPlan[], publisher: ScreensStations): Promise<Yizhan> {
  const server = await stack.startServer(args.profile ? join(stack.root, 'server-profile') : undefined);
  try {
    const phase = await runPhase('yizhan', server, plans, publisher, stack.root);
    print('yizhan', phase);
    const phone = await measurePhonePage(`http://127.0.0.1:${server.port}`);
    console.log(`phone page: ${phone.kb} KB before first paint, first paint ${phone.firstPaintMs} ms`);
    return { phase, phoneKb: phone.kb };
  } finally {
    await stopProc(server.proc);
    if (args.profile) console.log(`server CPU profile: ${mainThreadProfile(server.proc) ?? 'none written'}`);
  }
}

async function runPeer(stack: ScreensStack, plans: ClientPlan[], publisher: ScreensStations, frameBytes: number): Promise<Phase> {
  const peer = await stack.startPeer(frameBytes);
  try {
    const phase = await runPhase('plainNode', peer, plans, publisher, stack.root);
    print('plainNode', phase);
    return phase;
  } finally {
    await stopProc(peer.proc);
  }
}

/** Mean bytes of the server's station frames, from the snapshot of one unfiltered stream. */
async function snapshotFrameBytes(stack: ScreensStack, stations: number): Promise<number> {
  const server = await stack.startServer();
  const ac = new AbortController();
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/events`, { signal: ac.signal });
    const reader = new StationFrameReader();
    const sizes: number[] = [];
    const body = res.body!.getReader();
    while (sizes.length < stations) {
      const { value, done } = await body.read();
      if (done) break;
      for (const t of reader.push(Buffer.from(value))) sizes.push(t.bytes);
    }
    return Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length));
  } finally {
    ac.abort();
    await stopProc(server.proc);
  }
}

async function main(): Promise<void> {
  const clients = Number(args.clients);
  const files = raiseOpenFiles(clients + 4096);
  // One process holds every server-side socket and each client process half: both need the room.
  if (files.now < clients + 1024)
    throw new Error(`${clients} clients need ${clients + 1024} open files per process, the limit is ${files.now} (hard ${files.hard}): ulimit -n ${clients + 4096}`);
  // Latency here is mostly waiting for a CPU once other work queues for it: say so up front.
  if (loadavg()[0]! > 2 * availableParallelism())
    console.log(`warning: load average ${load()} on ${availableParallelism()} cores; the figures will measure the machine's other work`);
  const built = ensureWebBuilt();
  if (built) console.log(`web pages ${built}: built them for the phone page's figure`);
  const stations = loadStationsOrThrow();
  const plans = clientMix(clients, Number(args.unfiltered), stations.map((s) => s.id));
  console.log(
    `${clients} clients (${args.unfiltered} unfiltered, the rest one station each over ${stations.length} stations), ` +
      `a reading per station every ${args.period} ms, ${args.seconds} s timed; open files ${files.now}; load ${load()}`,
  );
  const stack = new ScreensStack(stations);
  let publisher: ScreensStations | undefined;
  try {
    await stack.start();
    publisher = new ScreensStations(stack.mqttUrl, stations, stack.secrets, Number(args.period));
    await publisher.start();
    let y: Yizhan | undefined;
    // The peer pads its frames to the server's mean station frame: from the timed run, or when the
    // peer goes first (to see whether the order matters), from the server's snapshot.
    if (!args['peer-first']) y = await runYizhan(stack, plans, publisher);
    const p = await runPeer(stack, plans, publisher, y?.phase.frameBytes ?? (await snapshotFrameBytes(stack, stations.length)));
    y ??= await runYizhan(stack, plans, publisher);
    const board = await measureBoardScreen();
    console.log(`board screen: ${board.rssMb} MB RSS (agent alone ${board.baselineRssMb} MB)`);
    const result = screensResult(clients, y.phase.side, p.side, y.phoneKb, board.rssMb);
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
    console.log(`${JSON.stringify(result)}\nwritten to ${args.out}; load ${load()}`);
  } finally {
    await publisher?.stop();
    await stack.stop();
  }
}

await runCleaningUp(main);
