/**
 * Child processes of bench:ingest: started through nodeProc / plainProc (or registered with track),
 * kept in one registry, and stopped on every exit path (runCleaningUp: normal end, thrown error,
 * unhandled rejection, SIGINT, SIGTERM); CPU/memory sampling from /proc.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './ingest-lib.js';

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /**
   * Where this process writes its CPU profiles when it exits normally (started with `--cpu-prof`):
   * one per thread, the main thread's and tsx's loader thread's. Such a process gets a longer stop
   * timeout: writing a long run's profile takes seconds.
   */
  profileDir?: string;
}

/**
 * node options that make a process write its CPU profiles into `dir` on a normal exit. (Not
 * `--cpu-prof-name`: every thread would write to that one name, tsx's loader thread last.)
 */
export function cpuProfileArgs(dir: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * The main thread's profile of a stopped process, moved to `<profileDir>.cpuprofile`; undefined when
 * it wrote none (killed, or not profiled).
 */
export function mainThreadProfile(p: Proc): string | undefined {
  if (!p.profileDir || !existsSync(p.profileDir)) return undefined;
  // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
  const f = readdirSync(p.profileDir).find((n) => n.startsWith('CPU.') && n.split('.')[3] === String(p.pid) && n.split('.')[4] === '0');
  if (!f) return undefined;
  const to = `${p.profileDir}.cpuprofile`;
  renameSync(join(p.profileDir, f), to);
  return to;
}

/** Every child process the bench started that has not exited yet (nodeProc, plainProc, track). */
const running = new Set<Proc>();

/** Register a child started elsewhere (influxd) so that stopAll and the exit hook stop it too. */
export function track(p: Proc): Proc {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p;
  running.add(p);
  p.child.once('exit', () => running.delete(p));
  return p;
}

/**
 * Direct children of this process that are still alive, from /proc: catches one started but not
 * registered yet (influxd while startInfluxd waits for /ping). tsx's own esbuild service is left alone.
 */
function childPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z' && comm !== 'esbuild') out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const alive = (pid: number) => childPids().includes(pid);

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Signal every registered child and every other direct child (synchronous: usable in an 'exit' hook). */
export function killAll(sig: NodeJS.Signals): void {
  for (const pid of new Set([...[...running].map((p) => p.pid), ...childPids()])) signal(pid, sig);
}

/**
 * Stop every child still running: SIGTERM to all at once, SIGKILL to what is left after
 * `timeoutMs`. Resolves when none is left.
 */
export async function stopAll(timeoutMs = 10_000): Promise<void> {
  const strays = childPids().filter((pid) => ![...running].some((p) => p.pid === pid));
  const procs = [...running];
  await Promise.all([
    ...procs.map((p) => stopProc(p, timeoutMs)),
    ...strays.map(async (pid) => {
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (alive(pid)) {
        if (Date.now() > deadline) signal(pid, 'SIGKILL');
        await sleep(100);
      }
    }),
  ]);
}

/** A node process running a TypeScript file through tsx (the pid is node's own, for /proc sampling). */
export function nodeProc(
  name: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
  ipc = false,
  nodeArgs: string[] = [],
): Proc {
  const log = openSync(join(logDir, `${name}.log`), 'a');
  const child = ipc
    ? fork(file, args, {
        execArgv: ['--import', 'tsx', ...nodeArgs],
        env,
        stdio: ['ignore', log, log, 'ipc'],
      })
    : spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file, ...args], {
        env,
        stdio: ['ignore', log, log],
      });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const profileDir = nodeArgs.find((a) => a.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
  return track({ name, child, pid: child.pid, ...(profileDir ? { profileDir } : {}) });
}

export function plainProc(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
  cwd?: string,
): Proc {
  const log = openSync(join(logDir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { env, stdio: ['ignore', log, log], cwd });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return track({ name, child, pid: child.pid });
}

/** SIGTERM, then SIGKILL after `timeoutMs` (at least 60 s for a process writing a CPU profile). */
export async function stopProc(p: Proc, timeoutMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  if (p.profileDir) timeoutMs = Math.max(timeoutMs, 60_000);
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/** CPU seconds (user + system) and RSS bytes of a pid, from /proc. */
export function usage(pid: number): { cpuS: number; rss: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / 100;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    return { cpuS, rss };
  } catch {
    return undefined;
  }
}

/** CPU % (of one core) and peak RSS per process over a window. */
export class Sampler {
  private start = new Map<string, number>();
  private peak = new Map<string, number>();
  private t0 = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly procs: () => { name: string; pid: number }[]) {}
  begin(): void {
    this.t0 = Date.now();
    this.start.clear();
    this.peak.clear();
    for (const p of this.procs()) this.start.set(p.name, usage(p.pid)?.cpuS ?? 0);
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      for (const p of this.procs()) {
        const u = usage(p.pid);
        if (u) this.peak.set(p.name, Math.max(this.peak.get(p.name) ?? 0, u.rss));
      }
    }, 1000);
  }
  end(): Record<string, { cpuPct: number; rssMB: number }> {
    clearInterval(this.timer);
    const dt = (Date.now() - this.t0) / 1000;
    const out: Record<string, { cpuPct: number; rssMB: number }> = {};
    for (const p of this.procs()) {
      const u = usage(p.pid);
      const cpu = u ? u.cpuS - (this.start.get(p.name) ?? u.cpuS) : 0;
      out[p.name] = {
        cpuPct: Math.round((cpu / dt) * 1000) / 10,
        rssMB: Math.round(Math.max(this.peak.get(p.name) ?? 0, u?.rss ?? 0) / 1e5) / 10,
      };
    }
    return out;
  }
}

/**
 * Run the bench's main so that every exit path stops every process it started (the registry plus
 * any other direct child): the end of main, a thrown error or unhandled rejection, SIGINT, SIGTERM.
 * A second signal (a second or more after the first) kills what is left at once; an 'exit' hook
 * SIGKILLs any straggler.
 * Exits with 0, 1 (error), 130 (SIGINT) or 143 (SIGTERM).
 */
export async function runCleaningUp(main: () => Promise<void>, afterStop: () => void = () => undefined): Promise<void> {
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (code: number, why?: string): Promise<void> => {
    if (why && !shuttingDown) process.stderr.write(`${why}\n→ stopping every process the bench started …\n`);
    if (!shuttingDown) {
      const profiled = [...running].filter((p) => p.profileDir);
      shuttingDown = stopAll()
        .then(() => {
          for (const p of profiled) process.stderr.write(`CPU profile of ${p.name}: ${mainThreadProfile(p) ?? `none written (see ${p.profileDir})`}\n`);
          afterStop();
        })
        .finally(() => process.exit(code));
    }
    return shuttingDown;
  };
  const text = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
  // A Ctrl-C reaches this process twice at once (from the terminal and relayed by the tsx parent):
  // only a signal a second or more after the first means "stop waiting".
  let firstSignalAt = 0;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const)
    process.on(sig, () => {
      if (shuttingDown && firstSignalAt && Date.now() - firstSignalAt >= 1000) {
        process.stderr.write(`${sig} again: killing what is left\n`);
        killAll('SIGKILL');
        process.exit(code);
      }
      firstSignalAt ||= Date.now();
      void shutdown(code, sig);
    });
  process.on('uncaughtException', (e) => void shutdown(1, `uncaught exception: ${text(e)}`));
  process.on('unhandledRejection', (e) => void shutdown(1, `unhandled rejection: ${text(e)}`));
  process.on('exit', () => killAll('SIGKILL'));
  try {
    await main();
    await shutdown(0);
  } catch (e) {
    await shutdown(1, `bench failed: ${text(e)}`);
  }
}
