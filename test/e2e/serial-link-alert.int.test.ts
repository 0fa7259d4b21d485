/**
 * serial_link_down end to end, nothing faked: a sample station's controller (StationSimulator) on a
 * socat PTY pair, its edge agent on the native serialport binding, the yizhan broker with scrypt
 * credentials and ACLs, the server (buildApp, listening) on InfluxDB 1.6.7, and a real HTTP webhook
 * receiver. The cable is pulled (the PTY disappears), the crew gets a firing webhook once the
 * hold has passed, then the cable is plugged back (a new PTY at the same path) and a resolved
 * webhook follows. Finally the agent stops while the cable is out (the station goes dark), and no
 * alert may fire. Hold 3 s to keep it short; agent health every 1 s.
 */
import { valueOf } from '../helpers/prom.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { setLogger } from '@influxdata/influxdb-client';
import { startBroker, type BrokerHandle } from '@yizhan/broker';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { StationSimulator } from '@yizhan/edge/simulator';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startInfluxd, type InfluxdHandle } from '../../scripts/lib/influxd.js';
import { startPtyPair, type PtyPair } from '../../scripts/lib/socat.js';
import { buildApp } from '@yizhan/server';
import type { StationLive } from '../../server/src/state/schema.js';
import {
  captureLogger,
  getJson,
  processesMentioning,
  startWebhookReceiver,
  type LogLine,
  type WebhookPost,
} from './pipeline-helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { readerHeaders } from '../server/auth-helpers.js';

setLogger({ error: () => {}, warn: () => {} });

const HOLD_MS = 3000;
/** The agent's health period: the rule fires on the first down report at least HOLD_MS after the first. */
const HEALTH_MS = 1000;
/** Health delivery and webhook POST on a busy 2-core machine. */
const LATE_MS = 2000;
const TEST_SCRYPT = { algo: 'scrypt' as const, N: 2 ** 10, r: 8, p: 1, keyLen: 32 };
const FAST_BACKOFF = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };
const PTY_NAME = 'st';

function sampleStation(id: string): StationConfig {
  const s = loadStationsOrThrow().find((x) => x.id === id);
  if (!s) throw new Error(`sample station ${id} missing from firmware-config/stations`);
  return s;
}
const SAMPLE = sampleStation('st-001');

let root: string;
let station: StationConfig;
let influx: InfluxdHandle | undefined;
let broker: BrokerHandle | undefined;
let app: FastifyInstance | undefined;
let hook: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
let agent: Agent | undefined;
let agentLog: LogLine[] = [];
let pty: PtyPair | undefined;
let sim: StationSimulator | undefined;
let url = '';
const timings: Record<string, number> = {};

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} did not start`);
  return v;
}
const live = () => getJson<StationLive>(`${url}/api/v1/stations/${station.id}`);
const postsOf = (from = 0): WebhookPost[] =>
  must(hook, 'webhook receiver')
    .posts.slice(from)
    .filter((x) => x.body.alert.stationId === station.id && x.body.alert.rule === 'serial_link_down');

/** The controller powered on at the device end of a (new) PTY. */
async function plugIn(seed: number): Promise<void> {
  pty = await startPtyPair(root, PTY_NAME);
  sim = new StationSimulator(SAMPLE, { seed, speed: 20, tickMs: 50 });
  await sim.attachToPath(pty.devicePath);
  sim.start();
}
/** The USB adapter pulled out: both PTY ends vanish. */
async function pullOut(): Promise<void> {
  await pty?.stop();
  await sim?.stop();
}

beforeAll(async () => {
  const t0 = Date.now();
  root = mkdtempSync(join(tmpdir(), 'yizhan-e2e-serial-'));
  const credentialsFile = join(root, 'credentials.json');
  station = { ...SAMPLE };
  const [influxd, secrets, receiver] = await Promise.all([
    startInfluxd({ dir: join(root, 'influxd') }),
    provisionAccounts(
      credentialsFile,
      [
        { username: station.id, role: 'station' },
        { username: 'server', role: 'server' },
      ],
      { params: TEST_SCRYPT },
    ),
    startWebhookReceiver(),
  ]);
  influx = influxd;
  hook = receiver;
  const secret = (u: string): string => must(secrets.get(u), `secret of ${u}`);
  broker = await startBroker({
    port: 0,
    credentialsFile,
    logger: captureLogger('warn').logger,
    stateDir: join(root, 'broker-state'),
  });
  app = await buildApp({
    stations: [station],
    mqtt: {
      url: broker.url,
      username: 'server',
      password: secret('server'),
      clientId: 'server-e2e-serial',
      reconnectPeriodMs: 200,
    },
    influx: {
      url: influxd.url,
      api: 'v1',
      db: 'yizhan',
      rp: 'raw',
      writer: { flushIntervalMs: 100 },
      setupBackoff: { minMs: 100, maxMs: 500 },
    },
    alerts: {
      webhook: { url: receiver.url },
      serialLinkDown: { hold: `${HOLD_MS / 1000}s` },
    },
    loggerInstance: captureLogger('warn').logger,
    defaultMetrics: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await waitFor('server ready', async () => (await fetch(`${url}/readyz`)).status === 200, 20_000);

  await plugIn(11);
  const al = captureLogger('info');
  agentLog = al.lines;
  agent = await startAgent({
    station: { ...station, serial: { ...station.serial, path: must(pty, 'PTY').agentPath } },
    mqttUrl: broker.url,
    password: secret(station.id),
    logger: al.logger,
    healthIntervalMs: HEALTH_MS,
    frameTimeoutMs: 1500,
    serialBackoff: FAST_BACKOFF,
    mqttBackoff: FAST_BACKOFF,
  });
  await waitFor('the server sees the serial link up', async () => (await live()).health?.serialUp === true);
  timings.startupMs = Date.now() - t0;
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await pty?.stop();
  await app?.close();
  await broker?.close();
  await hook?.close();
  await influx?.stop();
  let left = processesMentioning(root);
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await sleep(100);
    left = processesMentioning(root);
  }
  rmSync(root, { recursive: true, force: true });
  console.log(`[e2e serial_link_down timings] ${JSON.stringify(timings)}`);
  if (left.length > 0) throw new Error(`processes left behind:\n${left.join('\n')}`);
}, 60_000);

describe('serial_link_down: cable pulled → firing webhook; plugged back → resolved webhook', () => {
  it('fires once the hold has passed, names the station and port, and resolves when frames return', async () => {
    const a = must(agent, 'agent');
    // where the link stopped: what the agent logged, what it reports now, what the server holds
    onTestFailed(async () => {
      const lines = agentLog
        .slice(-40)
        .map((l) => `${new Date(Number(l.time)).toISOString()} ${JSON.stringify(l)}`);
      const server = await live().catch((err: unknown) => String(err));
      console.log(
        `--- agent log ---\n${lines.join('\n')}\n--- agent health ---\n${JSON.stringify(a.health())}\n` +
          `--- server ---\n${JSON.stringify(server)}\n--- webhooks ---\n${JSON.stringify(postsOf().map((x) => [x.at, x.body.status]))}`,
      );
    });
    const tPull = Date.now();
    await pullOut();
    await waitFor(
      'the server sees the serial link down',
      async () => (await live()).health?.serialUp === false,
    );
    const tDownSeen = Date.now();
    const firing = await waitFor(
      'a firing serial_link_down webhook',
      () => postsOf().find((x) => x.body.status === 'firing'),
      HOLD_MS + 10_000,
      5,
    );
    const alert = firing.body.alert as WebhookPost['body']['alert'] & {
      startsAt: string;
      severity: string;
      evidence: { port?: string; holdMs?: number };
    };
    const startsAt = Date.parse(alert.startsAt);
    timings.pullToDownSeenMs = tDownSeen - tPull;
    timings.downReportToWebhookMs = firing.at - startsAt;
    // Not before the hold (agent and server share this host's clock), and not much after it.
    expect(firing.at - startsAt).toBeGreaterThanOrEqual(HOLD_MS);
    expect(firing.at - startsAt).toBeLessThan(HOLD_MS + HEALTH_MS + LATE_MS);
    expect(startsAt).toBeGreaterThanOrEqual(tPull - 50);
    expect(firing.path).toBe('/alerts');
    expect(alert.labels).toEqual({
      alertname: 'serial_link_down',
      station: station.id,
      township: station.township,
      severity: 'warning',
    });
    expect(alert.evidence).toMatchObject({ port: must(pty, 'PTY').agentPath, holdMs: HOLD_MS });
    expect(alert.annotations.summary).toContain(`${station.name}（${station.id}）`);
    expect(alert.annotations.summary).toContain('串口连接中断已超过 3 秒');
    expect(alert.annotations.summary_en).toContain(
      `(${station.id}): serial link to the sensor controller down`,
    );
    expect(alert.annotations.summary_en).toContain(`port ${must(pty, 'PTY').agentPath}`);
    const listed = await getJson<{ alerts: { id: string; rule: string }[] }>(
      `${url}/api/v1/alerts?state=firing&station=${station.id}`,
      await readerHeaders(must(app, 'server')),
    );
    expect(listed.alerts).toEqual([expect.objectContaining({ id: alert.id, rule: 'serial_link_down' })]);
    expect((await live()).activeAlerts).toBe(1);

    const tPlug = Date.now();
    await plugIn(12);
    const resolved = await waitFor(
      'a resolved webhook for the same alert',
      () => postsOf().find((x) => x.body.status === 'resolved' && x.body.alert.id === alert.id),
      15_000,
      5,
    );
    timings.plugToResolvedWebhookMs = resolved.at - tPlug;
    expect(resolved.body.groupKey).toBe(firing.body.groupKey);
    expect(resolved.body.alert.endsAt).not.toBeNull();
    expect(resolved.body.alert.annotations.resolved).toContain('串口连接已恢复');
    expect(resolved.body.alert.annotations.resolved_en).toContain('serial link back up');
    // One firing and one resolved POST: no flapping while the agent retried the missing device.
    expect(postsOf().map((x) => x.body.status)).toEqual(['firing', 'resolved']);
    // Recovered by the same agent process: no restart.
    expect(agentLog.some((l) => l.msg === 'serial link down')).toBe(true);
    expect(a.health().serial.state).toBe('up');
    expect((await live()).bootId).toBe(a.bootId);

    const metrics = (await must(app, 'server').inject('/metrics')).body;
    const sample = (labels: Record<string, string>, name = 'yizhan_alerts_total') =>
      valueOf(metrics, name, { rule: 'serial_link_down', ...labels });
    expect(sample({ status: 'firing' })).toBe(1);
    expect(sample({ status: 'resolved' })).toBe(1);
    expect(sample({}, 'yizhan_alerts_firing')).toBe(0);
  }, 40_000);

  it('a station that goes dark while its cable is out raises no serial_link_down', async () => {
    const a = must(agent, 'agent');
    const from = must(hook, 'webhook receiver').posts.length;
    await pullOut();
    await waitFor(
      'the server sees the serial link down',
      async () => (await live()).health?.serialUp === false,
    );
    const tDown = Date.now();
    await a.stop(); // publishes its retained offline status ("shutdown")
    await waitFor('the server sees the station offline', async () => (await live()).online === false);
    expect(Date.now() - tDown, 'offline seen well within the hold').toBeLessThan(HOLD_MS);
    await sleep(HOLD_MS + LATE_MS);
    expect(postsOf(from)).toEqual([]);
    const listed = await getJson<{ alerts: unknown[] }>(
      `${url}/api/v1/alerts?state=firing&station=${station.id}`,
      await readerHeaders(must(app, 'server')),
    );
    expect(listed.alerts).toEqual([]);
  }, 30_000);
});
