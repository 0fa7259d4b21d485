/**
 * Restart in the middle of a storm, real processes: the server (server/src/main.ts, SQLite store in
 * its data folder, YIZHAN_NOTIFY_FILE routing 城关镇 to a fake WeCom robot), a broker, influxd.
 * 200 stations of 城关镇 report a tripped socket within a second (fault events over MQTT, as
 * agents publish them); the robot answers slowly (2 s), and the server is killed with SIGKILL while
 * a message is in flight, then started again on the same data folder with the robot fast again.
 *
 * Every alert must be accounted for exactly once across the messages the group received: named
 * by its link `/app/alerts/<id>`, or counted in a merged message ("城关镇 N 个新告警"). A message in
 * flight at the kill was not posted (the robot never answered; the fake drops a request whose
 * client went away), so it is sent after the restart. The outbox's documented at-least-once
 * window (between the vendor's answer and the commit of the attempt) allows one repeated message
 * per kill; the test allows at most that and reports what it saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt-broker.js';
import { FakeStation, publisher, type Publisher } from '../server/helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const STATIONS = 200;
const PUBLIC = 'https://yz.example.cn';
const ids = Array.from({ length: STATIONS }, (_, i) => `st-${String(i + 501).padStart(3, '0')}`);

let dir: string;
let influx: InfluxdHandle;
let broker: PlainBroker;
let wecom: FakeIm;
let pub: Publisher;
let server: ChildProcess | undefined;
let httpPort = 0;

/** 200 station files made from the sample st-001 (城关镇), with the sample townships beside them. */
function writeStations(): string {
  const stationsDir = join(dir, 'stations');
  mkdirSync(stationsDir);
  const sample = readFileSync(join(ROOT, 'firmware-config/stations/st-001.yaml'), 'utf8');
  for (const [i, id] of ids.entries())
    writeFileSync(
      join(stationsDir, `${id}.yaml`),
      sample.replace(/^id: .*$/m, `id: ${id}`).replace(/^name: .*$/m, `name: 城关测试${i + 1}号驿站`),
    );
  cpSync(join(ROOT, 'firmware-config/townships.yaml'), join(dir, 'townships.yaml'));
  return stationsDir;
}

function startServerProcess(stationsDir: string): ChildProcess {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('YIZHAN_') && !k.startsWith('INFLUX_')),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...env,
      LOG_LEVEL: 'warn',
      YIZHAN_HTTP_HOST: '127.0.0.1',
      YIZHAN_HTTP_PORT: String(httpPort),
      YIZHAN_MQTT_URL: broker.url,
      INFLUX_URL: influx.url,
      YIZHAN_DATA_DIR: join(dir, 'server'),
      YIZHAN_STATIONS_DIR: stationsDir,
      YIZHAN_NOTIFY_FILE: join(dir, 'notify.yaml'),
      YIZHAN_PUBLIC_URL: PUBLIC,
      STORM_WECOM_URL: wecom.url,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM')
      process.stderr.write(`server exited ${code ?? signal}: ${stderr}\n`);
  });
  return child;
}

async function ready(): Promise<void> {
  await vi.waitFor(
    async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
      expect(r?.status).toBe(200);
    },
    { timeout: 40_000, interval: 100 },
  );
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yizhan-storm-'));
  [influx, broker, wecom, httpPort] = await Promise.all([
    startInfluxd({ dir: join(dir, 'influxd') }),
    startPlainBroker(),
    startFakeIm({ vendor: 'wecom', perMinute: 1000 }),
    freePort(),
  ]);
  writeFileSync(
    join(dir, 'notify.yaml'),
    `channels:
  - { name: cg-wecom, kind: wecom, url: "\${STORM_WECOM_URL}" }
routes:
  county: { channels: [cg-wecom] }
  townships:
    chengguan: { channels: [cg-wecom] }
`,
  );
  pub = await publisher(broker.url);
}, 60_000);

afterAll(async () => {
  if (server) await kill9(server);
  await pub?.close();
  await wecom?.close();
  await broker?.close();
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** What each delivered message accounts for: the alert it links, or the count it merges. */
function accounted(): { named: string[]; counts: number[] } {
  const named: string[] = [];
  const counts: number[] = [];
  for (const r of wecom.received.filter((x) => x.code === 0)) {
    const merged = /(\d+) 个新告警/.exec(r.text);
    const link = /\/app\/alerts\/([^\s)?]+)/.exec(r.text);
    if (merged) counts.push(Number(merged[1]));
    else if (link) {
      named.push(decodeURIComponent(link[1]!));
      counts.push(1);
    } else counts.push(0);
  }
  return { named, counts };
}

const sum = (xs: number[]): number => xs.reduce((n, x) => n + x, 0);

it(
  'kill -9 of the server while a storm is being delivered: every alert accounted for once',
  { timeout: 120_000 },
  async () => {
    const stationsDir = writeStations();
    server = startServerProcess(stationsDir);
    await ready();
    wecom.delayMs = 2000;

    const now = Date.now();
    await Promise.all(
      ids.map(async (id) => {
        const st = new FakeStation(id);
        await pub.pub(id, 'status', st.status('online', now));
        await pub.pub(id, 'events', st.fault('socket-1', 'socket_tripped', true, now));
      }),
    );
    // Kill while the robot holds a request: that message is not posted, its row stays `sending`.
    await vi.waitFor(() => expect(wecom.inFlight).toBeGreaterThan(0), { timeout: 30_000, interval: 20 });
    await kill9(server);
    await vi.waitFor(() => expect(wecom.abandoned).toBeGreaterThan(0), { timeout: 5000, interval: 20 });
    const beforeRestart = accounted();

    wecom.delayMs = 0;
    server = startServerProcess(stationsDir);
    await ready();
    await vi.waitFor(() => expect(sum(accounted().counts)).toBeGreaterThanOrEqual(STATIONS), {
      timeout: 60_000,
      interval: 100,
    });
    const a = accounted();
    const total = sum(a.counts);
    const repeatedLinks = a.named.length - new Set(a.named).size;
    process.stdout.write(
      `[storm] messages ${a.counts.length} (before the kill ${beforeRestart.counts.length}), ` +
        `alerts counted ${total}, repeated links ${repeatedLinks}, abandoned ${wecom.abandoned}\n`,
    );
    expect(a.counts, 'every message names an alert or counts merged ones').not.toContain(0);
    // Exactly once, or one message repeated: the at-least-once window of the one kill.
    const extra = total - STATIONS;
    expect(extra === 0 || a.counts.includes(extra), `alerts counted ${total}: ${a.counts.join(',')}`).toBe(true);
    expect(repeatedLinks).toBeLessThanOrEqual(1);
    // Nothing more is due: the outbox ends with everything sent.
    expect(sum(accounted().counts)).toBe(total);
  },
);
