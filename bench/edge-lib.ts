/**
 * What bench:edge and bench:board-screen share: the bundled agent run as deployed, its bench
 * station on a board's stations folder, the local mosquitto it publishes to, and /proc readings of
 * a process (RSS, private memory, CPU).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { bundleEdge } from '@yizhan/edge/build';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { freePort, waitForPort } from '../scripts/lib/ports.js';

export const ROOT = resolve(import.meta.dirname, '..');
const CLK_TCK = 100;
/** The bench station: like the samples but with 20 sensors. */
export const BENCH_STATION_ID = 'st-901';
const ID = BENCH_STATION_ID;

export const say = (s: string): void =>
  void process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
/** RSS and its private part (RssAnon) in MB: the file pages of the binary are shared and reclaimable. */
export function memMb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}
export const BUILD = join(ROOT, 'dist', 'bench-edge');
/** Bundle a TypeScript entry to dist/bench-edge/<name>.mjs, as `npm run build:edge` does. */
export const bundle = (entry: string, name: string): string => bundleEdge(entry, join(BUILD, `${name}.mjs`));

export function node(args: string[], flags: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const [entry, ...rest] = args;
  const js = entry?.endsWith('.mjs') ? [...flags, entry, ...rest] : [...flags, '--import', 'tsx', ...args];
  return spawn(process.execPath, js, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}
export async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([gone, sleep(5000)]);
  if (p.exitCode === null) p.kill('SIGKILL');
}

/**
 * The stations folder of a board: the 47 sample stations (as docs/deploy-edge.md ships them) and the
 * bench station, like the samples but with 20 sensors: door, occupancy, ambient, 7 sockets + 7
 * powers, 3 water.
 */
export function writeStation(dir: string): void {
  for (const f of readdirSync(DEFAULT_STATIONS_DIR))
    copyFileSync(join(DEFAULT_STATIONS_DIR, f), join(dir, f));
  const base = loadStationsOrThrow(DEFAULT_STATIONS_DIR).find((s) => s.id === 'st-001');
  if (!base) throw new Error('st-001 missing from the sample stations');
  const keep = (ch: number) => ch < 10 || (ch >= 10 && ch < 17) || (ch >= 40 && ch < 47) || ch >= 80;
  const station = { ...base, id: ID, sockets: 7, sensors: base.sensors.filter((s) => keep(s.channel)) };
  if (station.sensors.length !== 20)
    throw new Error(`bench station has ${station.sensors.length} sensors, not 20`);
  writeFileSync(join(dir, `${ID}.yaml`), stringify(station));
}

/**
 * A board's work folder (`stations/` from {@link writeStation}, the station `secret`) in a fresh
 * temporary folder named after `name`, and a mosquitto listening on a free local port for the
 * agent to publish to: `url` is its address; `stop()` ends it and removes the folder.
 */
export async function startBenchBroker(
  name: string,
): Promise<{ work: string; url: string; stop: () => void }> {
  const work = mkdtempSync(join(tmpdir(), `yz-bench-${name}-`));
  mkdirSync(join(work, 'stations'));
  writeStation(join(work, 'stations'));
  writeFileSync(join(work, 'secret'), 'bench\n');
  const port = await freePort();
  writeFileSync(
    join(work, 'mosquitto.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`,
  );
  const broker = spawn('mosquitto', ['-c', join(work, 'mosquitto.conf')], { stdio: 'ignore' });
  const end = () => {
    broker.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
  } catch (e) {
    end();
    throw e;
  }
  return { work, url: `mqtt://127.0.0.1:${port}`, stop: end };
}
