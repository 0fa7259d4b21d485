/**
 * A throw-away PostgreSQL cluster for the store tests: a copy of a freshly initdb'd data folder in
 * a temp folder, the server on a free port on 127.0.0.1 with its unix socket in that folder, trust
 * auth, stopped and removed after. initdb and postgres refuse to run as root, so as root they run
 * as the `postgres` user (Debian's package creates it; scripts/setup-os.sh test installs it).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** postgres://… URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH; elsewhere they are on PATH. */
export function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
      const p = path.join(root, m, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  return name;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Run a PostgreSQL program, as the postgres user when we are root. */
async function pgRun(bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]]
    : [pgBin(bin), args];
  try {
    await run(cmd, argv, { timeout: 60_000 });
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(
      `${bin} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
      { cause: e },
    );
  }
}

/** A new temp folder; as root, owned by the postgres user (who runs initdb and postgres in it). */
async function pgTempDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(prefix);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  return dir;
}

const INITDB_ARGS = ['-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'];

/**
 * A freshly initdb'd data folder, made once per machine and initdb binary: every cluster starts
 * from a copy of it (initdb takes 1-4 s on the 2-core CI machine, the copy a few tenths, and a
 * dozen test files start a cluster). Made in a folder of its own and renamed into place, so test
 * files starting together never copy half of one; when two make it at once, the first rename wins.
 */
async function templateData(): Promise<string> {
  const initdb = pgBin('initdb');
  const key = createHash('sha1')
    .update([initdb, ...INITDB_ARGS].join(' '))
    .digest('hex')
    .slice(0, 12);
  const template = path.join(os.tmpdir(), `yizhan-pg-template-${key}`);
  const done = () => existsSync(path.join(template, 'PG_VERSION'));
  if (done()) return template;
  const building = await pgTempDir(`${template}.`);
  try {
    await pgRun('initdb', ['-D', path.join(building, 'data'), ...INITDB_ARGS]);
    try {
      renameSync(path.join(building, 'data'), template);
    } catch (e) {
      if (!done()) throw e;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

export async function startPostgres(): Promise<PgCluster> {
  const dir = await pgTempDir(path.join(os.tmpdir(), 'yizhan-pg-'));
  const data = path.join(dir, 'data');
  let started = false;
  const stop = async (): Promise<void> => {
    try {
      if (started) await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    // -a keeps the postgres user's ownership and the folder's 0700, which postgres insists on.
    await run('cp', ['-a', await templateData(), data]);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await pgRun('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
    started = true;
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
