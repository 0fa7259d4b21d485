/**
 * Child processes for `npm start`: each service runs as its own Node process (as it would in
 * production), its JSON log goes to a file, and warnings and errors are echoed to the console.
 * The supervisor kills every child still running when it exits for any reason but SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

const LEVELS: Record<number, string> = { 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, and ids that only matter in the log file. */
const NOT_ECHOED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'bootId', 'v']);
const MAX_VALUE_CHARS = 160;

/** One context value as it appears on the console: an error by its message, text quoted when it has spaces. */
function show(v: unknown): string {
  const e = v as { message?: unknown } | null;
  const text =
    typeof v === 'string'
      ? v
      : typeof e === 'object' && e !== null && typeof e.message === 'string'
        ? e.message
        : JSON.stringify(v);
  const cut = text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  return /[\s"=]/.test(cut) ? JSON.stringify(cut) : cut;
}

/**
 * A pino JSON line of level warn or above as one console line with its context (which station,
 * which error, which reason: every field but pino's own), so the cause is on the console and not
 * only in the log file; other text as is.
 */
export function consoleLine(name: string, line: string): string | undefined {
  if (!line.startsWith('{')) return line.trim() ? `[${name}] ${line}` : undefined;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `[${name}] ${line}`;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  if (level < 40) return undefined;
  const ctx = Object.entries(rec)
    .filter(([k, v]) => !NOT_ECHOED.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${show(v)}`);
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  return `[${name}] ${LEVELS[level] ?? level} ${msg}${ctx.length ? ` (${ctx.join(' ')})` : ''}`;
}

function echo(name: string, line: string): void {
  const out = consoleLine(name, line);
  if (out !== undefined) process.stdout.write(`${out}\n`);
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export function startNodeChild(
  name: string,
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
): Child {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a Ctrl-C in the terminal reaches only the supervisor, which then stops the
    // services in order (stations, server, broker, influxd) so that nothing is cut off mid-flush.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    stream.pipe(log, { end: false });
    createInterface({ input: stream }).on('line', (l) => echo(name, l));
  }
  // 'close' comes after both pipes have delivered their last bytes ('exit' can come before them):
  // ending the log file any earlier fails those writes with "write after end".
  child.once('close', () => log.end());
  running.add(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    name,
    process: child,
    logFile,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Poll an HTTP URL until it answers 2xx, the child dies, or the timeout passes. */
export async function waitForHttp(url: string, child: Child | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.process.exitCode !== null || child.process.signalCode !== null))
      throw new Error(`${child.name} exited during start; see ${child.logFile}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
