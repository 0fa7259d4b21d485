/**
 * The stack of bench:planning, real processes on free ports in one temp folder: influxd
 * (scripts/lib/influxd.ts) with the server's database and retention policies made before the fill,
 * then the server (server/src/main.ts through tsx, SQLite store) over N generated station files in
 * the sample townships. No broker: the planners' routes read InfluxDB and the store only, so the
 * server is waited for until InfluxDB is set up (its MQTT check stays false).
 *
 * The county admin is made with the accounts CLI's own function (ensureCountyAdmin) and logs in
 * through POST /api/v1/auth/login; `get` sends its session cookie.
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
import { freePort } from '../scripts/lib/ports.js';
import { ensureCountyAdmin, openCliStore } from '@yizhan/server/cli';
import { DEFAULT_INFLUX_CONNECTION } from '../server/src/influx/transport.js';
import { DEFAULT_ROLLUP_RP } from '../server/src/influx/rollups.js';
import { SESSION_COOKIE } from '../server/src/plugins/auth.js';
import { sleep } from '../test/helpers/wait.js';
import { benchStationId, benchStationName, stationPosition, stationShape } from './planning-lib.js';
import { startBenchInflux, type BenchInflux } from './planning-influx.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface Township {
  code: string;
  name: string;
}

export class PlanningStack {
  readonly root = mkdtempSync(join(tmpdir(), 'yz-bench-planning-'));
  readonly townships: Township[];
  readonly db = DEFAULT_INFLUX_CONNECTION.db;
  readonly rawRp = DEFAULT_INFLUX_CONNECTION.rp;
  readonly rollupRp = DEFAULT_ROLLUP_RP;
  influx: BenchInflux | undefined;
  httpUrl = '';
  private cookie = '';
  private server: ChildProcess | undefined;

  constructor(readonly stations: number) {
    const t = parse(readFileSync(join(ROOT, 'firmware-config/townships.yaml'), 'utf8')) as {
      townships: Township[];
    };
    this.townships = t.townships;
  }

  townshipOf(i: number): Township {
    return this.townships[i % this.townships.length]!;
  }

  get influxUrl(): string {
    if (!this.influx) throw new Error('influxd is not started');
    return this.influx.url;
  }

  /** influxd with the server's database and policies (bench/planning-influx.ts startBenchInflux). */
  async startInflux(rollupShard?: string): Promise<void> {
    this.influx = await startBenchInflux(join(this.root, 'influxd'), rollupShard);
  }

  private env(httpPort: number): Record<string, string> {
    return {
      YIZHAN_HTTP_HOST: '127.0.0.1',
      YIZHAN_HTTP_PORT: String(httpPort),
      // Nothing listens there: the planners' routes do not need the broker.
      YIZHAN_MQTT_URL: 'mqtt://127.0.0.1:9',
      INFLUX_URL: this.influxUrl,
      YIZHAN_DATA_DIR: join(this.root, 'server'),
      YIZHAN_STATIONS_DIR: join(this.root, 'stations'),
      YIZHAN_TOWNSHIPS_FILE: join(this.root, 'townships.yaml'),
      YIZHAN_PUBLIC_URL: 'http://yizhan.bench',
    };
  }

  /** The server over the station files; resolves once InfluxDB is set up and the admin is logged in. */
  async startServer(): Promise<void> {
    this.writeStations();
    const httpPort = await freePort();
    this.httpUrl = `http://127.0.0.1:${httpPort}`;
    const env = this.env(httpPort);
    const logFile = join(this.root, 'server.log');
    const log = createWriteStream(logFile);
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_') && !k.startsWith('INFLUX_')),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
      cwd: ROOT,
      env: { ...base, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.server = child;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const r = await fetch(`${this.httpUrl}/readyz`).catch(() => undefined);
      const body = r ? ((await r.json()) as { checks?: { influx?: boolean } }) : undefined;
      if (body?.checks?.influx) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`server not set up with InfluxDB; its log ends:\n${tail}`);
      }
      await sleep(200);
    }
    await this.login(env);
  }

  private async login(env: Record<string, string>): Promise<void> {
    const { store, ctx } = await openCliStore({ ...process.env, ...env });
    let password: string | null;
    try {
      password = await ensureCountyAdmin(ctx);
    } finally {
      await store.close();
    }
    if (password === null) throw new Error('the bench admin existed before the run; its password is unknown');
    const r = await fetch(`${this.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password }),
    });
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (r.status !== 200 || !cookie) throw new Error(`admin login answered ${r.status}: ${await r.text()}`);
    this.cookie = cookie.split(';')[0]!;
  }

  /** GET as the logged-in admin: status and the body's length, timed to the last byte. */
  /**
   * Waits until the server's ranking store holds every daily row before `to` (its first sync
   * backfills what was filled before the server started; until then the ranking reads InfluxDB).
   * Resolves with the wait, ms.
   */
  async rankingStoreCovers(to: number, timeoutMs = 900_000): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      const text = await (await fetch(`${this.httpUrl}/metrics`)).text();
      const m = /^yizhan_ranking_store_synced_to_seconds (\S+)$/m.exec(text);
      if (m && Number(m[1]) * 1000 >= to) return Math.round(performance.now() - t0);
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`ranking store not synced up to ${new Date(to).toISOString()} after ${timeoutMs} ms`);
      await sleep(1000);
    }
  }

  async get(path: string): Promise<{ status: number; ms: number; bytes: number; body: string }> {
    const t0 = performance.now();
    const r = await fetch(`${this.httpUrl}${path}`, { headers: { cookie: this.cookie } });
    const body = await r.text();
    return { status: r.status, ms: Math.round((performance.now() - t0) * 10) / 10, bytes: body.length, body };
  }

  async stop(): Promise<void> {
    const c = this.server;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => c.kill('SIGKILL'))]);
    }
    await this.influx?.handle.stop();
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeStations(): void {
    const dir = join(this.root, 'stations');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(ROOT, 'firmware-config/townships.yaml'), join(this.root, 'townships.yaml'));
    for (let i = 0; i < this.stations; i++) {
      const id = benchStationId(i);
      const { seats, sockets } = stationShape(i, this.stations);
      const cfg = {
        id,
        name: benchStationName(i),
        nameEn: `Planning Bench Station ${i + 1}`,
        township: this.townshipOf(i).name,
        address: `规划压测路${i + 1}号`,
        location: stationPosition(i),
        seats,
        sockets,
        hours: '00:00-24:00',
        dispenser: { model: 'BENCH-1', setpointC: 95 },
        serial: { path: '/dev/null', baudRate: 115200 },
        sensors: [
          { channel: 1, id: 'door', kind: 'door' },
          { channel: 2, id: 'occupancy', kind: 'occupancy' },
          ...Array.from({ length: sockets }, (_, k) => ({
            channel: 10 + k,
            id: `socket-${k + 1}`,
            kind: 'socket_state',
          })),
          { channel: 80, id: 'water-temp', kind: 'water_temp' },
          { channel: 81, id: 'heater', kind: 'heater' },
        ],
      };
      writeFileSync(join(dir, `${id}.yaml`), stringify(cfg));
    }
  }
}
