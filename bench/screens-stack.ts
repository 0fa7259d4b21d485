/**
 * The processes of bench:screens, each real, on free ports, in one temp folder: influxd
 * (scripts/lib/influxd.ts), the broker (broker/src/main.ts, accounts for the sample stations, the
 * server and the peer), and in turn the server (server/src/main.ts, SQLite store, the sample
 * stations, default settings) or the peer (bench/screens-peer.ts). All are registered with
 * bench/ingest-procs.ts, so every exit path of the bench stops them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { provisionAccounts } from '@yizhan/broker/credentials';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startInfluxd } from '../scripts/lib/influxd.js';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { waitHttp } from './ingest-lib.js';
import { cpuProfileArgs, nodeProc, stopAll, track, type Proc } from './ingest-procs.js';

const ROOT = resolve(import.meta.dirname, '..');
/** The server's account, named like its default client id: the broker binds client ids to accounts. */
const SERVER_ACCOUNT = 'yizhan-server';
const PEER_ACCOUNT = 'bench-screens-peer';

export interface Listening {
  proc: Proc;
  port: number;
}

export class ScreensStack {
  readonly root = mkdtempSync(join(tmpdir(), 'yz-bench-screens-'));
  secrets = new Map<string, string>();
  mqttUrl = '';
  private influxUrl = '';

  constructor(private readonly stations: readonly StationConfig[]) {}

  /** The environment without this shell's yizhan settings: each process gets only what is set here. */
  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_') && !k.startsWith('INFLUX_')),
    );
    return { ...base, LOG_LEVEL: 'warn', ...extra };
  }

  async start(): Promise<void> {
    const credentials = join(this.root, 'credentials.json');
    this.secrets = await provisionAccounts(credentials, [
      ...this.stations.map((s) => ({ username: s.id, role: 'station' as const })),
      { username: SERVER_ACCOUNT, role: 'server' as const },
      { username: PEER_ACCOUNT, role: 'server' as const },
    ]);
    writeFileSync(join(this.root, 'server-secret'), this.secrets.get(SERVER_ACCOUNT) ?? '', { mode: 0o600 });
    const influx = await startInfluxd({ dir: join(this.root, 'influxd') });
    track({ name: 'influxd', child: influx.process, pid: influx.process.pid ?? 0 });
    this.influxUrl = influx.url;
    const [mqttPort, metricsPort] = [await freePort(), await freePort()];
    this.mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    nodeProc(
      'broker',
      join(ROOT, 'broker/src/main.ts'),
      [],
      this.env({
        YIZHAN_MQTT_HOST: '127.0.0.1',
        YIZHAN_MQTT_PORT: String(mqttPort),
        YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
        YIZHAN_DATA_DIR: join(this.root, 'broker'),
        YIZHAN_CREDENTIALS_FILE: credentials,
      }),
      this.root,
    );
    await waitForPort(mqttPort, '127.0.0.1', 60_000);
  }

  /** The server as `npm start` runs it (tsx), with a CPU profile into `profileDir` when given. */
  async startServer(profileDir?: string): Promise<Listening> {
    const port = await freePort();
    const proc = nodeProc(
      'server',
      join(ROOT, 'server/src/main.ts'),
      [],
      this.env({
        YIZHAN_HTTP_HOST: '127.0.0.1',
        YIZHAN_HTTP_PORT: String(port),
        YIZHAN_MQTT_URL: this.mqttUrl,
        YIZHAN_MQTT_USERNAME: SERVER_ACCOUNT,
        YIZHAN_MQTT_PASSWORD_FILE: join(this.root, 'server-secret'),
        INFLUX_URL: this.influxUrl,
        YIZHAN_DATA_DIR: join(this.root, 'server'),
      }),
      this.root,
      false,
      profileDir ? cpuProfileArgs(profileDir) : [],
    );
    await waitHttp(`http://127.0.0.1:${port}/readyz`, 180_000);
    return { proc, port };
  }

  async startPeer(frameBytes: number): Promise<Listening> {
    const port = await freePort();
    const job = { port, mqttUrl: this.mqttUrl, username: PEER_ACCOUNT, password: this.secrets.get(PEER_ACCOUNT), frameBytes };
    const proc = nodeProc('peer', join(ROOT, 'bench/screens-peer.ts'), [JSON.stringify(job)], this.env({}), this.root);
    await waitForPort(port, '127.0.0.1', 60_000);
    return { proc, port };
  }

  async stop(): Promise<void> {
    await stopAll();
    if (process.env.BENCH_KEEP) console.log(`kept ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}
