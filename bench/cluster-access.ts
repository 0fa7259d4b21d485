/**
 * How bench:cluster's stations and server reach a cluster engine's nodes: every other station
 * through haproxy (deploy/haproxy/haproxy.cfg with YIZHAN_LB_BIND, YIZHAN_BROKER_1, YIZHAN_BROKER_2;
 * a minimal equivalent written into the run's folder while the project has no such file), the
 * others and the server with YIZHAN_MQTT_URL=<node url>,<node url> (the order rotated per station so
 * that every node gets stations). Code that does not take a list of broker URLs gets the first one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../scripts/lib/ports.js';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { type ClusterEngine, killProc, serving } from './cluster-engine.js';
import { baseEnv, type BrokerAccount, type ExternalBroker } from './faults-stack.js';
import { plainProc, type Proc } from './ingest-procs.js';

const ROOT = resolve(import.meta.dirname, '..');
export const HAPROXY_CFG = join(ROOT, 'deploy/haproxy/haproxy.cfg');

/** TCP proxy to two MQTT nodes: health-checked, a failed connect retried on the other node. */
const MINIMAL_CFG = `global
  maxconn 4096
defaults
  mode tcp
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  retries 2
  option redispatch
frontend mqtt
  bind "\${YIZHAN_LB_BIND}"
  default_backend brokers
backend brokers
  balance leastconn
  default-server check inter 1s fall 1 rise 1 on-marked-down shutdown-sessions
  server broker1 "\${YIZHAN_BROKER_1}"
  server broker2 "\${YIZHAN_BROKER_2}"
`;

/** Station i's access: even i through the load balancer, odd i with the node list rotated by i. */
export function stationAccess(i: number, nodeUrls: readonly string[], lbUrl: string, lists: boolean): string {
  if (i % 2 === 0) return lbUrl;
  const k = ((i - 1) / 2) % nodeUrls.length;
  const rotated = [...nodeUrls.slice(k), ...nodeUrls.slice(0, k)];
  return lists ? rotated.join(',') : (rotated[0] ?? '');
}

/**
 * Whether this code's agent takes `YIZHAN_MQTT_URL=a,b`: run it (from source) with a list of two
 * closed ports and no serial port; today's single-URL agent exits at once naming the URL.
 */
export async function agentTakesUrlList(dir: string): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pw'), 'probe\n', { mode: 0o600 });
  const list = `mqtt://127.0.0.1:${await freePort()},mqtt://127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'edge/src/main.ts'),
      '--station',
      'st-001',
      '--stations-dir',
      DEFAULT_STATIONS_DIR,
      '--mqtt',
      list,
      '--password-file',
      join(dir, 'pw'),
      '--serial-path',
      join(dir, 'no-such-port'),
      '--state-dir',
      join(dir, 'state'),
    ],
    { cwd: ROOT, env: { ...baseEnv(), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<boolean>((r) => child.once('exit', () => r(false)));
  // Running 3 s after it said it is starting: it took the list (it is retrying both closed ports).
  const running = (async () => {
    const deadline = Date.now() + 60_000;
    while (!out.includes('edge agent starting') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3000));
    return true;
  })();
  const took = await Promise.race([exited, running]);
  if (child.exitCode === null) child.kill('SIGKILL');
  if (!took && !out.includes(list))
    throw new Error(`the agent probe exited for another reason than the URL list:\n${out.slice(-2000)}`);
  return took;
}

export interface AccessOptions {
  /** Give the direct stations and the server the node list (false: the code takes one URL only). */
  lists: boolean;
  log: (line: string) => void;
}

/** The engine's nodes behind haproxy and as URL lists: the stack's broker (bench/faults-stack.ts). */
export class ClusterAccess implements ExternalBroker {
  private order = new Map<string, number>();
  private lbPort = 0;
  private haproxy: Proc | undefined;
  private dir = '';
  /** Which haproxy configuration the run used. */
  haproxyCfg = '';

  constructor(
    readonly engine: ClusterEngine,
    private readonly o: AccessOptions,
  ) {}

  async start(dir: string, accounts: BrokerAccount[]): Promise<Map<string, string>> {
    this.dir = dir;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    accounts.filter((a) => a.role === 'station').forEach((a, i) => this.order.set(a.username, i));
    const secrets = await this.engine.start(join(dir, this.engine.name), accounts);
    const urls = this.engine.nodeUrls();
    if (urls.length !== 2)
      throw new Error(`${this.engine.name}: haproxy here balances 2 nodes, the engine has ${urls.length}`);
    this.lbPort = await freePort();
    this.haproxyCfg = existsSync(HAPROXY_CFG) ? HAPROXY_CFG : join(dir, 'haproxy.cfg');
    if (this.haproxyCfg !== HAPROXY_CFG) {
      writeFileSync(this.haproxyCfg, MINIMAL_CFG);
      this.o.log(`no ${HAPROXY_CFG} on this branch: haproxy runs a minimal equivalent (${this.haproxyCfg})`);
    }
    await this.startHaproxy();
    return secrets;
  }

  /** haproxy again (after a kill); also used at start. */
  async startHaproxy(): Promise<void> {
    const hostPort = (u: string) => u.replace(/^[a-z]+:\/\//, '');
    const [n1 = '', n2 = ''] = this.engine.nodeUrls();
    const env = {
      ...baseEnv(),
      YIZHAN_LB_BIND: `127.0.0.1:${this.lbPort}`,
      YIZHAN_BROKER_1: hostPort(n1),
      YIZHAN_BROKER_2: hostPort(n2),
    };
    this.haproxy = plainProc(
      'haproxy',
      'haproxy',
      ['-f', this.haproxyCfg, '-db'],
      env,
      join(this.dir, 'logs'),
    );
    await serving(this.haproxy, this.lbPort, 'haproxy');
  }

  get lbUrl(): string {
    return `mqtt://127.0.0.1:${this.lbPort}`;
  }

  stationUrl(station: string): string {
    const i = this.order.get(station);
    if (i === undefined) throw new Error(`no account for station ${station}`);
    return stationAccess(i, this.engine.nodeUrls(), this.lbUrl, this.o.lists);
  }

  /** Stations that go through haproxy. */
  behindLb(station: string): boolean {
    return (this.order.get(station) ?? 1) % 2 === 0;
  }

  serverUrl(): string {
    const urls = this.engine.nodeUrls();
    return this.o.lists ? urls.join(',') : (urls[0] ?? '');
  }

  async stop(): Promise<void> {
    await killProc(this.haproxy);
    await this.engine.stop();
  }
}
