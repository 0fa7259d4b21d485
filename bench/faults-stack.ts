/**
 * The processes of the fault test (bench/faults-run.ts), each a real process on free ports, each
 * with its own data folder that survives a kill -9 and restart:
 *
 * ```
 * counting controllers ─ socat PTY pairs ─▶ edge agents (one process per station, disk spool)
 *   ─MQTT─▶ broker (broker/src/main.ts, $root/broker) ─▶ server (server/src/main.ts, $root/server)
 *   ─▶ influxd (scripts/lib/influxd.ts, $root/influxd)
 * ```
 * The agents run as deployed (docs/deploy-edge.md): edge/src/main.ts bundled by edge/build.ts into
 * a dist/faults-XXXXXX folder (removed at stop), started with the systemd unit's node flags and environment.
 * kill(name) sends SIGKILL and waits for the exit; restart(name) starts the same command again and
 * waits until it is ready (agents: every serial port open again). stop() kills everything and removes
 * the temp folder; an 'exit' hook kills what is left if the caller never gets there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { bundleEdge, deployedNode } from '@yizhan/edge/build';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startInfluxd } from '../scripts/lib/influxd.js';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { startPtyPair, type PtyPair } from '../scripts/lib/socat.js';
import { sleep } from '../test/helpers/wait.js';
import { track } from './ingest-procs.js';

export const KILLS = ['agent', 'broker', 'server', 'influxd'] as const;
export type Kill = (typeof KILLS)[number];

const ROOT = resolve(import.meta.dirname, '..');
/** The server's account, named like its default client id (as `npm start` does): the broker binds client ids to accounts. */
export const SERVER_ACCOUNT = 'yizhan-server';
/** Cheap scrypt for the run's accounts (the default costs ~100 ms per hash and per connect). */
export const FAST_SCRYPT = { algo: 'scrypt' as const, N: 2 ** 10, r: 8, p: 1, keyLen: 32 };

/** An account the broker must know: each station's, and the server's. */
export interface BrokerAccount {
  username: string;
  role: 'station' | 'server';
}

/** Brokers run by someone else (bench/cluster-run.ts: a cluster engine) instead of the stack's one broker process. */
export interface ExternalBroker {
  /** Start them under `dir`, create the accounts; resolves with each account's secret. */
  start(dir: string, accounts: BrokerAccount[]): Promise<Map<string, string>>;
  /** YIZHAN_MQTT_URL of a station's agent, and of the server (read after start). */
  stationUrl(station: string): string;
  serverUrl(): string;
  stop(): Promise<void>;
}

/** An agent's MQTT link as its own log tells: connected or not, since when. */
export interface AgentLink {
  connected: boolean;
  at: number;
}

export interface StackOptions {
  stations: readonly StationConfig[];
  /** QoS 1 messages the broker keeps for the server's session while the server is away. */
  sessionQueue: number;
  /** Extra server settings (environment variables), e.g. YIZHAN_INFLUX_FLUSH_INTERVAL. */
  serverEnv?: Record<string, string>;
  /** Keep the temp folder at stop() (logs, data). */
  keepData?: boolean;
  /** Brokers started elsewhere; the stack then starts no broker of its own ('broker' cannot be killed). */
  broker?: ExternalBroker;
  log?: (line: string) => void;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

const alive = new Set<ChildProcess>();
/** Temp folders of stacks not stopped yet (and not kept). */
const roots = new Set<string>();

/** Remove the temp folder of every stack not stopped (after its processes are gone). Synchronous. */
export function removeTempFolders(): void {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots.clear();
}
process.once('exit', () => {
  for (const c of alive) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  removeTempFolders();
});

/** The environment without any YIZHAN_* or INFLUX_* setting of ours (each process gets only its own). */
export function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_') && !k.startsWith('INFLUX_')),
  );
}

export class FaultStack {
  readonly root: string;
  readonly pairs = new Map<string, PtyPair>();
  /** When each station's agent last logged "serial port open". */
  readonly portOpenAt = new Map<string, number>();
  /** Each running agent's MQTT link changes, in order, from its log ("mqtt connected", "mqtt connection lost"). */
  readonly links = new Map<string, AgentLink[]>();
  influxUrl = '';
  httpUrl = '';
  private influxPort = 0;
  private mqttPort = 0;
  private metricsPort = 0;
  private httpPort = 0;
  private readonly procs = new Map<string, Running>();
  private readonly logs: WriteStream[] = [];
  private readonly logFiles = new WeakMap<ChildProcess, string>();
  private readonly say: (line: string) => void;
  private readonly distDir: string;
  private agentBundle = '';

  constructor(private readonly o: StackOptions) {
    this.root = mkdtempSync(join(tmpdir(), 'yz-faults-'));
    // The agent bundle must sit in the project (its serialport package stays external).
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    this.distDir = mkdtempSync(join(ROOT, 'dist', 'faults-'));
    roots.add(this.distDir);
    if (!o.keepData) roots.add(this.root);
    this.say = o.log ?? (() => undefined);
  }

  get mqttUrl(): string {
    return this.o.broker?.serverUrl() ?? `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  /** The broker's Prometheus metrics (its side HTTP port); undefined with external brokers. */
  get brokerMetricsUrl(): string | undefined {
    return this.o.broker ? undefined : `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  /** Process id of a running process ('server', 'influxd', 'agent st-001', …). */
  pid(name: string): number | undefined {
    return this.procs.get(name)?.child.pid;
  }

  /** Accounts, PTY pairs, then influxd, broker, server and the agents, each ready. */
  async start(): Promise<void> {
    [this.influxPort, this.mqttPort, this.metricsPort, this.httpPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    this.influxUrl = `http://127.0.0.1:${this.influxPort}`;
    this.httpUrl = `http://127.0.0.1:${this.httpPort}`;
    const accounts: BrokerAccount[] = [
      ...this.o.stations.map((s) => ({ username: s.id, role: 'station' as const })),
      { username: SERVER_ACCOUNT, role: 'server' as const },
    ];
    const secrets = this.o.broker
      ? await this.o.broker.start(join(this.root, 'cluster'), accounts)
      : await provisionAccounts(join(this.root, 'credentials.json'), accounts, { params: FAST_SCRYPT });
    // The agent runs as deployed: bundled, with the systemd unit's node flags and environment.
    this.agentBundle = bundleEdge('edge/src/main.ts', join(this.distDir, 'edge-agent.mjs'));
    mkdirSync(join(this.root, 'secrets'), { recursive: true });
    for (const [user, secret] of secrets)
      writeFileSync(join(this.root, 'secrets', user), secret, { mode: 0o600 });
    for (const s of this.o.stations) {
      const pair = await startPtyPair(this.root, s.id);
      track({ name: `socat ${s.id}`, child: pair.process, pid: pair.process.pid ?? 0 });
      alive.add(pair.process);
      this.pairs.set(s.id, pair);
    }
    for (const name of ['influxd', 'broker', 'server', 'agent'] as const)
      if (name !== 'broker' || !this.o.broker) await this.restart(name);
  }

  /** SIGKILL (or `signal`) the process (every agent for 'agent'); resolves once it has exited. */
  async kill(name: Kill, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const keys = name === 'agent' ? this.o.stations.map((s) => `agent ${s.id}`) : [name];
    await Promise.all(
      keys.map(async (k) => {
        const p = this.procs.get(k);
        if (!p) return;
        p.child.kill(signal);
        await p.exited;
        this.procs.delete(k);
        if (k.startsWith('agent ')) this.links.delete(k.slice('agent '.length));
      }),
    );
  }

  /** Start the process again (same ports, same data folder) and wait until it is ready. */
  async restart(name: Kill): Promise<void> {
    switch (name) {
      case 'influxd': {
        const h = await startInfluxd({ dir: join(this.root, 'influxd'), port: this.influxPort });
        this.register('influxd', h.process);
        return;
      }
      case 'broker': {
        if (this.o.broker)
          throw new Error('the brokers of this stack are not its own: restart them where they run');
        const child = this.node('broker', 'broker/src/main.ts', [], {
          YIZHAN_MQTT_HOST: '127.0.0.1',
          YIZHAN_MQTT_PORT: String(this.mqttPort),
          YIZHAN_BROKER_METRICS_PORT: String(this.metricsPort),
          YIZHAN_DATA_DIR: join(this.root, 'broker'),
          YIZHAN_CREDENTIALS_FILE: join(this.root, 'credentials.json'),
          YIZHAN_MQTT_SESSION_QUEUE: String(this.o.sessionQueue),
        });
        await this.until('broker', child, () =>
          waitForPort(this.mqttPort, '127.0.0.1', 500).then(
            () => true,
            () => false,
          ),
        );
        return;
      }
      case 'server': {
        const child = this.node('server', 'server/src/main.ts', [], {
          YIZHAN_HTTP_HOST: '127.0.0.1',
          YIZHAN_HTTP_PORT: String(this.httpPort),
          YIZHAN_MQTT_URL: this.mqttUrl,
          YIZHAN_MQTT_USERNAME: SERVER_ACCOUNT,
          YIZHAN_MQTT_PASSWORD_FILE: join(this.root, 'secrets', SERVER_ACCOUNT),
          INFLUX_URL: this.influxUrl,
          YIZHAN_DATA_DIR: join(this.root, 'server'),
          ...this.o.serverEnv,
        });
        await this.until(
          'server /readyz',
          child,
          async () => (await fetch(`${this.httpUrl}/readyz`).catch(() => undefined))?.status === 200,
        );
        return;
      }
      case 'agent':
        await Promise.all(this.o.stations.map((s) => this.startAgent(s.id)));
        return;
    }
  }

  /** Kill every process, then remove the temp folder (unless keepData). */
  async stop(): Promise<void> {
    for (const name of ['agent', 'server', 'broker', 'influxd'] as const)
      await this.kill(name).catch(() => undefined);
    await this.o.broker?.stop();
    await Promise.all([...this.pairs.values()].map((p) => p.stop()));
    await Promise.all(this.logs.map((l) => new Promise((r) => l.end(r))));
    if (this.o.keepData) this.say(`data and logs kept in ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
    roots.delete(this.root);
    rmSync(this.distDir, { recursive: true, force: true });
    roots.delete(this.distDir);
  }

  private async startAgent(id: string): Promise<void> {
    const pair = this.pairs.get(id);
    if (!pair) throw new Error(`no PTY pair for ${id}`);
    this.portOpenAt.delete(id);
    const deployed = deployedNode();
    const child = this.spawnLogged(
      `agent ${id}`,
      [
        ...deployed.flags,
        this.agentBundle,
        '--station',
        id,
        '--stations-dir',
        DEFAULT_STATIONS_DIR,
        '--mqtt',
        this.o.broker?.stationUrl(id) ?? this.mqttUrl,
        '--password-file',
        join(this.root, 'secrets', id),
        '--serial-path',
        pair.agentPath,
        '--state-dir',
        join(this.root, 'edge', id),
      ],
      deployed.env,
      (line) => {
        if (line.includes('"msg":"serial port open"')) this.portOpenAt.set(id, Date.now());
        const link = line.includes('"msg":"mqtt connected"')
          ? true
          : line.includes('"msg":"mqtt connection lost"')
            ? false
            : undefined;
        if (link !== undefined) {
          const changes = this.links.get(id) ?? [];
          this.links.set(id, changes);
          changes.push({ connected: link, at: Date.now() });
        }
      },
    );
    await this.until(`agent ${id}: serial port open`, child, () => this.portOpenAt.has(id));
  }

  /** A node process running a TypeScript entry through tsx. */
  private node(name: string, entry: string, args: string[], env: Record<string, string>): ChildProcess {
    return this.spawnLogged(name, ['--import', 'tsx', join(ROOT, entry), ...args], env);
  }

  /** `node <args>`; its output goes to $root/logs/<name>.log, stdout lines also to `onLine`. */
  private spawnLogged(
    name: string,
    args: string[],
    env: Record<string, string>,
    onLine?: (line: string) => void,
  ): ChildProcess {
    mkdirSync(join(this.root, 'logs'), { recursive: true });
    const logFile = join(this.root, 'logs', `${name.replace(/\s+/g, '-')}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    this.logs.push(log);
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...baseEnv(), LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.pipe(log, { end: false });
    if (child.stdout) {
      child.stdout.pipe(log, { end: false });
      if (onLine) createInterface({ input: child.stdout }).on('line', onLine);
    }
    this.logFiles.set(child, logFile);
    this.register(name, child);
    return child;
  }

  private register(name: string, child: ChildProcess): void {
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    alive.add(child);
    const exited = new Promise<void>((r) =>
      child.once('exit', () => {
        alive.delete(child);
        r();
      }),
    );
    track({ name, child, pid: child.pid });
    this.procs.set(name, { child, exited });
  }

  /** Wait until `ready` holds (60 s at most); fails at once, naming the logs, when the process exits first. */
  private async until(
    what: string,
    child: ChildProcess,
    ready: () => boolean | Promise<boolean>,
  ): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await ready())) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `${what}: the process exited (${child.exitCode ?? child.signalCode}); its log ends:\n${this.tail(child)}`,
        );
      if (Date.now() > deadline)
        throw new Error(`${what}: not ready after 60 s; its log ends:\n${this.tail(child)}`);
      await sleep(50);
    }
  }

  /** The last lines of a process's log (for an error message: the folder is removed at stop()). */
  private tail(child: ChildProcess, lines = 15): string {
    const f = this.logFiles.get(child);
    if (!f) return '(no log)';
    try {
      return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch (e) {
      return `(cannot read ${f}: ${(e as Error).message})`;
    }
  }
}
