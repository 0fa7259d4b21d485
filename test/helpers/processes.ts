/** Child processes of the tests: a command run to completion, or a service started and awaited on its ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitForPort } from '../../scripts/lib/ports.js';

/** The repository's root folder (the working directory of every child process). */
export const ROOT = new URL('../../', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (killed after timeoutMs). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Run a TypeScript entry of this repo with tsx, as `npm start` does. */
export function runTs(
  entry: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], opts);
}

/** A child process of a test and what it printed. */
export interface TestProcess {
  proc: ChildProcess;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Its stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has ended; -1 when it could not be started. */
  exited: Promise<number | NodeJS.Signals>;
  /**
   * Resolve once every port accepts connections; reject, with the process's output, when it exits
   * first or after timeoutMs (a loaded CI machine needs seconds to compile and start a broker).
   */
  listening(ports: number[], timeoutMs?: number): Promise<void>;
}

/** Start `cmd` in the repository with `env` on top of this process's environment; `what` names it in errors. */
export function spawnProcess(
  what: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): TestProcess {
  const proc = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let unstarted = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  proc.stderr.on('data', (d: Buffer) => {
    const s = d.toString('utf8');
    out += s;
    err += s;
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
    proc.once('error', (e) => {
      unstarted = `it could not be started (${e.message})`;
      resolve(-1);
    });
  });
  return {
    proc,
    output: () => out,
    stderr: () => err,
    exited,
    async listening(ports, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const ready = (async () => {
        for (const port of ports) await waitForPort(port, '127.0.0.1', Math.max(0, deadline - Date.now()));
      })();
      const failed = await Promise.race([
        ready.then(
          () => undefined,
          (e: Error) => e.message,
        ),
        exited.then((code) => unstarted || `it exited (${typeof code === 'string' ? code : `code ${code}`})`),
      ]);
      if (failed !== undefined)
        throw new Error(
          `${what} not listening on ${ports.join(', ')}: ${failed}\n--- its output ---\n${out.slice(-6000)}`,
        );
    },
  };
}
