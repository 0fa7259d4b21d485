/**
 * A pair of linked pseudo-terminals made by `socat`: bytes written to one end come out of the other,
 * as over a null-modem cable. Used to run the simulator and the edge agent over a real serial port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PtyPair {
  /** The "device" end, where the simulator (the sensor controller) writes. */
  devicePath: string;
  /** The "board" end, which the edge agent opens. */
  agentPath: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Create a PTY pair with stable link names in `dir` (e.g. dir/dev0 and dir/agent0). */
export async function startPtyPair(dir: string, name = '0', timeoutMs = 5000): Promise<PtyPair> {
  const devicePath = join(dir, `device${name}`);
  const agentPath = join(dir, `agent${name}`);
  const child = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${agentPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(devicePath) && existsSync(agentPath))) {
    if (spawnError) throw new Error(`cannot start socat (${spawnError.message}); install it: apt-get install socat`);
    if (child.exitCode !== null) throw new Error(`socat exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('socat did not create the PTY pair in time');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    devicePath,
    agentPath,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
