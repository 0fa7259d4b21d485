/**
 * bench:board-screen — what the station screen served by the board costs its agent: the agent of
 * bench:edge (bundled, the systemd unit's node flags and environment, disk spool, the bench station
 * with 20 sensors at 1 Hz over a socat PTY, a local mosquitto) measured twice, without the screen
 * and with `--screen-port` and one kiosk page (Debian chromium, headless) open on it, taking the
 * page, its font, its service worker and the live event stream. The figure is the agent process's
 * peak RSS over the window (the browser is not counted: it is the kiosk's, not the agent's).
 * Goal: under the agent's target (docs/benchmarks.md "Edge agent") plus a few MB.
 *
 *   npm run bench:board-screen -- [--window 20] [--warm 8]
 *   YIZHAN_BENCH_OTHER_AGENT=<bundle.mjs> npm run bench:board-screen   (also that bundle, no screen:
 *   an older build, for comparison)
 *
 * `measureBoardScreen()` is what bench:screens reports as `boardScreenRssMb`. Writes
 * bench/results/board-screen.json when run as a script.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { deployedNode } from '@yizhan/edge/build';
import { startPtyPair } from '../scripts/lib/socat.js';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/browser.js';
import {
  BENCH_STATION_ID,
  BUILD,
  ROOT,
  bundle,
  memMb,
  node,
  say,
  sleep,
  startBenchBroker,
  stop,
} from './edge-lib.js';

export interface BoardScreenFigures {
  /** Peak RSS of the agent with the screen on and one page connected, MB. */
  rssMb: number;
  /** Peak RSS of the same agent without the screen, MB. */
  baselineRssMb: number;
}

/** The peak RSS of the agent bundle `file` over `windowS` after `warmS`, with or without the screen and its page. */
export async function agentPeakRss(
  work: string,
  mqttUrl: string,
  screen: boolean,
  warmS: number,
  windowS: number,
  file = join(BUILD, 'agent.mjs'),
): Promise<number> {
  const label = screen ? 'screen' : 'plain';
  const pty = await startPtyPair(work, label);
  const stations = join(work, 'stations');
  const sim = node(['bench/edge-sim.ts', stations, BENCH_STATION_ID, pty.devicePath, '1']);
  const port = await freePort();
  const unit = deployedNode();
  const args = [
    file,
    ...['--station', BENCH_STATION_ID, '--mqtt', mqttUrl, '--password-file', join(work, 'secret')],
    ...[
      '--stations-dir',
      stations,
      '--serial-path',
      pty.agentPath,
      '--state-dir',
      join(work, `state-${label}`),
    ],
    ...(screen ? ['--screen-port', String(port)] : []),
  ];
  const agent: ChildProcess = node(args, unit.flags, unit.env);
  const browser = screen
    ? await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
    : undefined;
  try {
    if (agent.pid === undefined) throw new Error('the agent did not start');
    if (browser) {
      await waitForPort(port);
      const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      await page.goto(`http://localhost:${port}/`);
      await page.waitForSelector('#conn[data-live="1"]', { timeout: 15_000 });
    }
    await sleep(warmS * 1000);
    let peak = 0;
    for (const end = Date.now() + windowS * 1000; Date.now() < end; await sleep(1000))
      peak = Math.max(peak, memMb(agent.pid).rss);
    return Math.round(peak * 10) / 10;
  } finally {
    await browser?.close();
    await stop(agent);
    await stop(sim);
    await pty.stop();
  }
}

/** Bundle the agent as deployed and measure it without and with the board screen. */
export async function measureBoardScreen(
  opts: { warmS?: number; windowS?: number } = {},
): Promise<BoardScreenFigures> {
  const warmS = opts.warmS ?? 8;
  const windowS = opts.windowS ?? 20;
  bundle('edge/src/main.ts', 'agent');
  const { work, url, stop: stopBroker } = await startBenchBroker('board-screen');
  try {
    say(`agent without the screen: warm ${warmS} s, window ${windowS} s`);
    const baselineRssMb = await agentPeakRss(work, url, false, warmS, windowS);
    say('agent with --screen-port and one chromium page on it');
    const rssMb = await agentPeakRss(work, url, true, warmS, windowS);
    const other = process.env.YIZHAN_BENCH_OTHER_AGENT;
    if (other)
      say(
        `other bundle ${other}, no screen: ${await agentPeakRss(work, url, false, warmS, windowS, other)} MB`,
      );
    return { rssMb, baselineRssMb };
  } finally {
    stopBroker();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  const opt = (n: string, d: number): number => {
    const i = argv.indexOf(`--${n}`);
    return i >= 0 ? Number(argv[i + 1] ?? d) : d;
  };
  const f = await measureBoardScreen({ warmS: opt('warm', 8), windowS: opt('window', 20) });
  const out = {
    ...f,
    extraMb: Math.round((f.rssMb - f.baselineRssMb) * 10) / 10,
    date: new Date().toISOString(),
  };
  console.log(JSON.stringify(out));
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/board-screen.json'), `${JSON.stringify(out, null, 2)}\n`);
  say('wrote bench/results/board-screen.json');
}
