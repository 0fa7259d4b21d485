/**
 * The stack of bench:alerts, every part a real process on free ports in one temp folder:
 * influxd (scripts/lib/influxd.ts), the broker (broker/src/main.ts) and the server
 * (server/src/main.ts, SQLite store) through tsx; in this process, the fake robots
 * (test/helpers/fake-im.ts): one WeCom robot behind a channel per township and a DingTalk robot on
 * the county route, each message stamped with its receive time.
 *
 * The folder holds N station files (`stations/`), the sample townships.yaml, an alert-rules.yaml
 * with the shipped outage defaults, notify.yaml and the broker's accounts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { startInfluxd, type InfluxdHandle } from '../scripts/lib/influxd.js';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import { startFakeIm, type FakeIm } from '../test/helpers/fake-im.js';
import { sleep } from '../test/helpers/wait.js';
import { benchStationId, benchStationName } from './alerts-lib.js';

const ROOT = resolve(import.meta.dirname, '..');
const SERVER_ACCOUNT = 'yizhan-server';
export const PEER_ACCOUNT = 'bench-peer';
/** Cheap scrypt for the run's accounts (the default costs ~100 ms per connect). */
const FAST_SCRYPT = { algo: 'scrypt' as const, N: 2 ** 10, r: 8, p: 1, keyLen: 32 };
/** The shipped outage defaults (firmware-config/alert-rules.yaml), written out so the run names them. */
export const OUTAGE = { townshipStations: 3, countyStations: 10, within: '1min' };
const DINGTALK_SECRET = 'SECbench0123456789';

export interface Township {
  code: string;
  name: string;
}

/** A robot message as it arrived: receive time (ms since epoch) and the text the group sees. */
export interface Arrival {
  at: number;
  text: string;
  code: number;
}

/** Stamp each request the fake records with its receive time. */
export function stamped(fake: FakeIm): Arrival[] {
  const arrivals: Arrival[] = [];
  const push = fake.received.push.bind(fake.received);
  fake.received.push = (...items) => {
    for (const r of items) arrivals.push({ at: Date.now(), text: r.text, code: r.code });
    return push(...items);
  };
  return arrivals;
}

export class AlertStack {
  readonly root = mkdtempSync(join(tmpdir(), 'yz-bench-alerts-'));
  readonly townships: Township[];
  secrets = new Map<string, string>();
  mqttUrl = '';
  httpUrl = '';
  brokerMetricsUrl = '';
  wecom!: FakeIm;
  dingtalk!: FakeIm;
  wecomArrivals: Arrival[] = [];
  dingtalkArrivals: Arrival[] = [];
  private influx: InfluxdHandle | undefined;
  private readonly children: ChildProcess[] = [];

  constructor(readonly stations: number) {
    const t = parse(readFileSync(join(ROOT, 'firmware-config/townships.yaml'), 'utf8')) as {
      townships: Township[];
    };
    this.townships = t.townships;
  }

  townshipOf(i: number): Township {
    return this.townships[i % this.townships.length]!;
  }

  async start(): Promise<void> {
    // The fakes accept everything: the 20/min limit is counted from the receive times instead.
    this.wecom = await startFakeIm({ vendor: 'wecom', perMinute: 1e9 });
    this.dingtalk = await startFakeIm({ vendor: 'dingtalk', perMinute: 1e9, secret: DINGTALK_SECRET });
    this.wecomArrivals = stamped(this.wecom);
    this.dingtalkArrivals = stamped(this.dingtalk);
    this.writeFiles();
    this.secrets = await provisionAccounts(
      join(this.root, 'credentials.json'),
      [
        ...Array.from({ length: this.stations }, (_, i) => ({
          username: benchStationId(i),
          role: 'station' as const,
        })),
        { username: SERVER_ACCOUNT, role: 'server' as const },
        { username: PEER_ACCOUNT, role: 'server' as const },
      ],
      { params: FAST_SCRYPT },
    );
    writeFileSync(join(this.root, 'server-secret'), this.secrets.get(SERVER_ACCOUNT) ?? '', { mode: 0o600 });
    const [influxPort, mqttPort, metricsPort, httpPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    this.influx = await startInfluxd({ dir: join(this.root, 'influxd'), port: influxPort });
    this.mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    this.httpUrl = `http://127.0.0.1:${httpPort}`;
    this.brokerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const broker = this.node('broker', 'broker/src/main.ts', {
      YIZHAN_MQTT_HOST: '127.0.0.1',
      YIZHAN_MQTT_PORT: String(mqttPort),
      YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
      YIZHAN_DATA_DIR: join(this.root, 'broker'),
      YIZHAN_CREDENTIALS_FILE: join(this.root, 'credentials.json'),
      // Sized as docs/broker.md says: messages/s × 120 s (readings every 10 s, health every 30 s).
      YIZHAN_MQTT_SESSION_QUEUE: String(Math.max(1000, Math.ceil(this.stations * (1 / 10 + 1 / 30) * 120))),
    });
    await this.until('broker', broker, () =>
      waitForPort(mqttPort, '127.0.0.1', 500).then(
        () => true,
        () => false,
      ),
    );
    const server = this.node('server', 'server/src/main.ts', {
      YIZHAN_HTTP_HOST: '127.0.0.1',
      YIZHAN_HTTP_PORT: String(httpPort),
      YIZHAN_MQTT_URL: this.mqttUrl,
      YIZHAN_MQTT_USERNAME: SERVER_ACCOUNT,
      YIZHAN_MQTT_PASSWORD_FILE: join(this.root, 'server-secret'),
      INFLUX_URL: this.influx.url,
      YIZHAN_DATA_DIR: join(this.root, 'server'),
      YIZHAN_STATIONS_DIR: join(this.root, 'stations'),
      YIZHAN_NOTIFY_FILE: join(this.root, 'notify.yaml'),
      YIZHAN_PUBLIC_URL: 'http://yizhan.bench',
    });
    await this.until(
      'server /readyz',
      server,
      async () => (await fetch(`${this.httpUrl}/readyz`).catch(() => undefined))?.status === 200,
    );
  }

  get dataDir(): string {
    return join(this.root, 'server');
  }

  async stop(): Promise<void> {
    for (const c of this.children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => c.kill('SIGKILL'))]);
    }
    await this.influx?.stop();
    await this.wecom.close();
    await this.dingtalk.close();
    if (process.env.BENCH_KEEP) console.log(`kept ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }

  /** Messages the broker dropped from full session queues so far (yizhan_broker_queue_dropped_total). */
  async brokerQueueDrops(): Promise<number> {
    const text = await (await fetch(this.brokerMetricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith('yizhan_broker_queue_dropped_total'));
    return line ? Number(line.split(' ').pop()) : Number.NaN;
  }

  private writeFiles(): void {
    const dir = join(this.root, 'stations');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(ROOT, 'firmware-config/townships.yaml'), join(this.root, 'townships.yaml'));
    writeFileSync(join(this.root, 'alert-rules.yaml'), stringify({ outage: OUTAGE }));
    for (let i = 0; i < this.stations; i++) {
      const id = benchStationId(i);
      const cfg = {
        id,
        name: benchStationName(i),
        nameEn: `Bench Station ${i + 1}`,
        township: this.townshipOf(i).name,
        address: `压测路${i + 1}号`,
        location: { lat: 30, lon: 120 },
        seats: 10,
        sockets: 1,
        hours: '00:00-24:00',
        dispenser: { model: 'BENCH-1', setpointC: 95 },
        serial: { path: '/dev/null', baudRate: 115200 },
        sensors: [
          { channel: 2, id: 'occupancy', kind: 'occupancy' },
          { channel: 3, id: 'ambient', kind: 'ambient_temp' },
          { channel: 10, id: 'socket-1', kind: 'socket_state' },
          { channel: 80, id: 'water-temp', kind: 'water_temp' },
          { channel: 81, id: 'heater', kind: 'heater' },
        ],
      };
      writeFileSync(join(dir, `${id}.yaml`), stringify(cfg));
    }
    const channels = [
      ...this.townships.map((t) => ({ name: `wecom-${t.code}`, kind: 'wecom', url: this.wecom.url })),
      {
        name: 'county-dingtalk',
        kind: 'dingtalk',
        url: this.dingtalk.url,
        secret: '${BENCH_DINGTALK_SECRET}',
      },
    ];
    const notify = {
      channels,
      routes: {
        county: { channels: ['county-dingtalk'] },
        townships: Object.fromEntries(this.townships.map((t) => [t.code, { channels: [`wecom-${t.code}`] }])),
      },
    };
    writeFileSync(join(this.root, 'notify.yaml'), stringify(notify));
  }

  /** A node process running a TypeScript entry through tsx; output to $root/<name>.log. */
  private node(name: string, entry: string, env: Record<string, string>): ChildProcess {
    const log = createWriteStream(join(this.root, `${name}.log`));
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_') && !k.startsWith('INFLUX_')),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
      cwd: ROOT,
      env: { ...base, LOG_LEVEL: 'warn', BENCH_DINGTALK_SECRET: DINGTALK_SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.children.push(child);
    return child;
  }

  private async until(what: string, child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!(await ready())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = readFileSync(join(this.root, `${what.split(' ')[0]}.log`), 'utf8')
          .split('\n')
          .slice(-15)
          .join('\n');
        throw new Error(`${what} not ready; its log ends:\n${log}`);
      }
      await sleep(100);
    }
  }
}
