/**
 * bench:edge — the cost of one edge agent on its board: one station with 20 sensors, its simulated
 * controller in a separate process on a socat PTY, READINGS at 1 Hz and at 10 Hz, published to a
 * local mosquitto. Only the agent process is measured (from /proc: RSS, user+system CPU):
 * RSS (MB) and its private part (RssAnon: without the file pages of the node binary and libraries,
 * which are shared and reclaimable), CPU % of one core, CPU ms per 1 000 frames. In the same run, the peer: a naive
 * serial → MQTT forwarder (bench/edge-peer.ts: decode and publish, no spool, checks or health).
 * Target (Pi Zero 2 class): < 60 MB RSS and < 2 % of a core at 1 Hz.
 * Prints a table, writes bench/results/edge.json.
 *
 *   npm run bench:edge -- [--window 30] [--warm 8] [--flags "--max-semi-space-size=1 --lite-mode"]
 *                         [--env "MALLOC_ARENA_MAX=2 UV_THREADPOOL_SIZE=1"] [--only agent]
 *
 * `--only agent` measures the agent with the tuned flags only (for trying flags and environment
 * variables) and leaves bench/results/edge.json alone.
 *
 * Both run as deployed (docs/deploy-edge.md): bundled to one ESM file by edge/build.ts (the
 * `npm run build:edge` options), started with plain `node` and the node flags and Environment= of
 * the systemd unit (read from edge/deploy/yizhan-edge.service, so the two cannot drift; `--flags`
 * and `--env` replace or add to them for both); the agent with its disk spool (fsync every
 * second) and health every 30 s, its stations folder holding the 47 sample stations beside the bench
 * station, as on a board. (Under the tsx loader the same agent takes ~120 MB RSS: the loader keeps
 * the TypeScript transform in memory.)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deployedNode } from '@yizhan/edge/build';
import { startPtyPair } from '../scripts/lib/socat.js';
import {
  BENCH_STATION_ID,
  BUILD,
  ROOT,
  bundle,
  cpuMs,
  memMb,
  node,
  say,
  sleep,
  startBenchBroker,
  stop,
} from './edge-lib.js';
const argv = process.argv.slice(2);
const opt = (n: string, d: string): string => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? (argv[i + 1] ?? d) : d;
};
const WINDOW_S = Number(opt('window', '30'));
const WARM_S = Number(opt('warm', '8'));
const ONLY_AGENT = opt('only', '') === 'agent';
const ID = BENCH_STATION_ID;

interface Figures {
  rssMb: number;
  /** Peak private memory (RssAnon): RSS less the node binary's and libraries' file pages. */
  privateMb: number;
  cpuPctOfCore: number;
  cpuMsPer1000Frames: number;
  frames: number;
}

/** How the systemd unit starts the agent (its node flags and Environment= lines). */
const DEPLOYED = deployedNode();
const TUNED_FLAGS = opt('flags', DEPLOYED.flags.join(' ')).split(' ').filter(Boolean);
const EXTRA_ENV = Object.fromEntries(
  opt('env', '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
) as Record<string, string>;
/** Environment of the deployed agent (the unit's Environment= lines and --env); the peer gets it too, for fairness. */
const TUNED_ENV: Record<string, string> = { ...DEPLOYED.env, ...EXTRA_ENV };
async function measure(
  label: string,
  hz: number,
  work: string,
  mqttUrl: string,
  peer: boolean,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<Figures> {
  const pty = await startPtyPair(work, `${label}-${hz}`);
  const stations = join(work, 'stations');
  const sim = node(['bench/edge-sim.ts', stations, ID, pty.devicePath, String(hz)]);
  let framesOut = 0;
  createInterface({ input: sim.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    try {
      framesOut = (JSON.parse(l) as { framesOut: number }).framesOut;
    } catch {
      // not a stats line
    }
  });
  const state = join(work, `state-${label}-${hz}`);
  const agent = peer
    ? node([join(BUILD, 'peer.mjs'), pty.agentPath, mqttUrl], flags, env)
    : node(
        [
          join(BUILD, 'agent.mjs'),
          '--station',
          ID,
          '--mqtt',
          mqttUrl,
          '--password-file',
          join(work, 'secret'),
          '--stations-dir',
          stations,
          '--serial-path',
          pty.agentPath,
          '--state-dir',
          state,
          '--health-interval',
          '30s',
        ],
        flags,
        env,
      );
  const pid = agent.pid;
  if (pid === undefined) throw new Error(`${label} did not start`);
  await sleep(WARM_S * 1000);
  const f0 = framesOut;
  const c0 = cpuMs(pid);
  const t0 = Date.now();
  let rssMax = 0;
  let anonMax = 0;
  while (Date.now() - t0 < WINDOW_S * 1000) {
    const m = memMb(pid);
    rssMax = Math.max(rssMax, m.rss);
    anonMax = Math.max(anonMax, m.anon);
    await sleep(1000);
  }
  const c1 = cpuMs(pid);
  const ms = Date.now() - t0;
  const frames = framesOut - f0;
  await stop(agent);
  await stop(sim);
  await pty.stop();
  rmSync(state, { recursive: true, force: true });
  const used = c1 - c0;
  return {
    rssMb: Math.round(rssMax * 10) / 10,
    privateMb: Math.round(anonMax * 10) / 10,
    cpuPctOfCore: Math.round((used / ms) * 1000) / 10,
    cpuMsPer1000Frames: frames > 0 ? Math.round((used / frames) * 1000) : 0,
    frames,
  };
}

async function main(): Promise<void> {
  say('bundling the agent and the peer with esbuild');
  bundle('edge/src/main.ts', 'agent');
  bundle('bench/edge-peer.ts', 'peer');
  const { work, url, stop: stopBroker } = await startBenchBroker('edge');
  const results: Record<string, Record<string, Figures>> = {
    agent: {},
    'agent (node defaults)': {},
    peer: {},
  };
  try {
    for (const hz of [1, 10]) {
      say(
        `agent at ${hz} Hz (${[...envText(TUNED_ENV), ...TUNED_FLAGS].join(' ')}): warm ${WARM_S} s, window ${WINDOW_S} s`,
      );
      results.agent![`hz${hz}`] = await measure('agent', hz, work, url, false, TUNED_FLAGS, TUNED_ENV);
      if (ONLY_AGENT) continue;
      say(`agent at ${hz} Hz, node defaults (no flags)`);
      results['agent (node defaults)']![`hz${hz}`] = await measure(
        'agent-default',
        hz,
        work,
        url,
        false,
        [],
        TUNED_ENV,
      );
      say(`peer (naive forwarder) at ${hz} Hz, same flags and environment as the agent`);
      results.peer![`hz${hz}`] = await measure('peer', hz, work, url, true, TUNED_FLAGS, TUNED_ENV);
    }
  } finally {
    stopBroker();
  }
  const rows = [
    ['process', 'rate', 'RSS MB', 'private MB', 'CPU % of a core', 'CPU ms / 1000 frames', 'frames'],
  ];
  for (const [who, r] of Object.entries(results))
    for (const [hz, f] of Object.entries(r))
      rows.push([
        who,
        hz,
        String(f.rssMb),
        String(f.privateMb),
        String(f.cpuPctOfCore),
        String(f.cpuMsPer1000Frames),
        String(f.frames),
      ]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  '));
  const a = results.agent!;
  if (ONLY_AGENT) {
    say('--only agent: bench/results/edge.json left as it was');
    return;
  }
  const out = {
    hz1: strip(a.hz1),
    hz10: strip(a.hz10),
    nodeFlags: TUNED_FLAGS,
    nodeEnv: TUNED_ENV,
    nodeDefaults: {
      hz1: strip(results['agent (node defaults)']!.hz1),
      hz10: strip(results['agent (node defaults)']!.hz10),
    },
    peer: { hz1: strip(results.peer!.hz1), hz10: strip(results.peer!.hz10) },
    target: { rssMb: 60, cpuPctOfCoreAt1Hz: 2 },
    meetsTarget: (a.hz1?.rssMb ?? Infinity) < 60 && (a.hz1?.cpuPctOfCore ?? Infinity) < 2,
    windowS: WINDOW_S,
    sensors: 20,
    machine: { cpus: (await import('node:os')).cpus()[0]?.model ?? '?', node: process.version },
    date: new Date().toISOString(),
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/edge.json'), `${JSON.stringify(out, null, 2)}\n`);
  say('wrote bench/results/edge.json');
}

const envText = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);

function strip(f: Figures | undefined): Omit<Figures, 'frames'> & { frames: number } {
  if (!f) throw new Error('missing measurement');
  return {
    rssMb: f.rssMb,
    privateMb: f.privateMb,
    cpuPctOfCore: f.cpuPctOfCore,
    cpuMsPer1000Frames: f.cpuMsPer1000Frames,
    frames: f.frames,
  };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
