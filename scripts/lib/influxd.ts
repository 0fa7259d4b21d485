/**
 * Start a private InfluxDB 1.x (`influxd` from Debian's `influxdb` package) as a child process:
 * its own config, data under `dir`, HTTP on a chosen port, RPC bound to loopback.
 * Used by tests, benchmarks and `npm start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface InfluxdHandle {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

export interface StartInfluxdOptions {
  /** Folder for config, meta, data, wal and the log file. Created when missing. */
  dir: string;
  /** HTTP port; a free one when omitted. */
  port?: number;
  /** Binary; default `influxd` on PATH. */
  binary?: string;
  /** How long to wait for /ping, in ms. Default 30 000. */
  startTimeoutMs?: number;
  /**
   * Run influxd in its own process group, so that a Ctrl-C in the terminal reaches only the
   * supervisor, which stops influxd last (after the server has flushed). Default false.
   */
  detached?: boolean;
  /**
   * Extra or replaced `[data]` settings as raw TOML values, e.g. `{ 'wal-fsync-delay': '"100ms"' }`
   * (benchmarks; production settings are in docs/operations.md).
   */
  data?: Record<string, string>;
}

export function influxdConfig(
  dir: string,
  httpPort: number,
  rpcPort: number,
  data: Record<string, string> = {},
): string {
  const d: Record<string, string> = {
    dir: `"${join(dir, 'data')}"`,
    'wal-dir': `"${join(dir, 'wal')}"`,
    'query-log-enabled': 'false',
    'index-version': '"inmem"',
    'max-series-per-database': '1000000',
    ...data,
  };
  const dataLines = Object.entries(d)
    .map(([k, v]) => `  ${k} = ${v}`)
    .join('\n');
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
${dataLines}

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = 25000000

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = true
  log-enabled = false
`;
}

export async function startInfluxd(opts: StartInfluxdOptions): Promise<InfluxdHandle> {
  const port = opts.port ?? (await freePort());
  const rpcPort = await freePort();
  mkdirSync(opts.dir, { recursive: true });
  const conf = join(opts.dir, 'influxdb.conf');
  writeFileSync(conf, influxdConfig(opts.dir, port, rpcPort, opts.data));
  const log = openSync(join(opts.dir, 'influxd.log'), 'a');
  const child = spawn(opts.binary ?? 'influxd', ['-config', conf], {
    stdio: ['ignore', log, log],
    detached: opts.detached ?? false,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw spawnError;
    if (child.exitCode !== null)
      throw new Error(`influxd exited with code ${child.exitCode} during start; see ${join(opts.dir, 'influxd.log')}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not answer /ping within the timeout; see ${join(opts.dir, 'influxd.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dir: opts.dir,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
