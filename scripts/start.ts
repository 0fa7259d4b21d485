/**
 * `npm start`: the whole system on one machine with local defaults —
 * a local influxd (or INFLUX_URL), the broker, the server and 47 simulated stations; on the first
 * start, weeks of simulated history for the planners' pages (lib/demo-history.ts).
 * Each service is its own process; logs go to <data>/logs/, warnings and errors to the console.
 * Ctrl-C stops the stations first (they publish offline), then the server (flushes to InfluxDB),
 * the broker and influxd.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startInfluxd, type InfluxdHandle } from './lib/influxd.js';
import { startNodeChild, waitForHttp, type Child } from './lib/children.js';
import { readRunSettings, SettingsError, type RunSettings } from './lib/run-settings.js';
import { ensurePortsFree, PortInUseError } from './lib/port-check.js';
import { provisionLocalSecrets } from './lib/local-secrets.js';
import { buildWeb, webBuildNeeded } from './lib/web-build.js';
import { retentionFor, seedDemoHistory } from './lib/demo-history.js';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { DEMO_ADMIN, ensureCountyAdmin, openCliStore } from '@yizhan/server/cli';

const zh = (process.env.YIZHAN_LANG ?? 'zh-CN') !== 'en';
const say = (cn: string, en: string): void => console.log(zh ? `${cn} / ${en}` : en);

function findInfluxd(): string | undefined {
  for (const p of ['/usr/bin/influxd', '/usr/sbin/influxd', '/usr/local/bin/influxd'])
    if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The services started so far, and the one way to stop them all: in reverse start order. */
class Services {
  readonly children: Child[] = [];
  influxd: InfluxdHandle | undefined;
  stopping = false;
  private stopAsked = 0;

  async stopAll(code: number): Promise<never> {
    if (this.stopping) {
      // A second Ctrl-C more than a second after the first forces the exit; a duplicate delivery
      // of the same signal (npm, sh and tsx all relay it) does not.
      if (Date.now() - this.stopAsked > 1000) {
        say('强制退出', 'forced exit');
        process.exit(code || 130);
      }
      return new Promise<never>(() => undefined);
    }
    this.stopping = true;
    this.stopAsked = Date.now();
    say('正在停止…', 'stopping…');
    for (const c of [...this.children].reverse()) await c.stop();
    if (this.influxd) await this.influxd.stop();
    say('已全部停止', 'all stopped');
    process.exit(code);
  }

  /** Ctrl-C and SIGTERM stop everything; an unexpected exit still takes influxd down. */
  stopOnSignals(): void {
    process.once('exit', () => {
      // Last resort (an unexpected exit): never leave a detached influxd behind.
      if (this.influxd && this.influxd.process.exitCode === null) this.influxd.process.kill('SIGTERM');
    });
    process.on('SIGINT', () => void this.stopAll(0));
    process.on('SIGTERM', () => void this.stopAll(0));
  }

  /** One service exiting on its own stops the rest. */
  stopWhenOneExits(): void {
    for (const c of this.children)
      void c.exited.then((code) => {
        if (!this.stopping) {
          say(
            `${c.name} 意外退出（${code}），见 ${c.logFile}`,
            `${c.name} exited unexpectedly (${code}); see ${c.logFile}`,
          );
          void this.stopAll(1);
        }
      });
  }
}

/** INFLUX_URL when set; else a local influxd started in the data directory. */
async function influxUrlOf(s: RunSettings, run: Services): Promise<string> {
  if (s.influxUrl) return s.influxUrl;
  const bin = findInfluxd();
  if (!bin) {
    say(
      '找不到 influxd。请安装：sudo apt-get install -y influxdb，或设置 INFLUX_URL 使用已有的 InfluxDB',
      'influxd not found. Install it: sudo apt-get install -y influxdb, or set INFLUX_URL to an existing InfluxDB',
    );
    process.exit(1);
  }
  run.influxd = await startInfluxd({
    dir: join(s.dataDir, 'influxdb'),
    port: s.influxPort,
    binary: bin,
    detached: true,
  });
  return run.influxd.url;
}

interface Endpoints {
  mqttUrl: string;
  influxUrl: string;
  logDir: string;
}

/** The broker, then the server once the broker is healthy, then the stations once the server is ready. */
async function startServices(
  s: RunSettings,
  run: Services,
  stationIds: string[],
  e: Endpoints,
): Promise<void> {
  const secretsDir = await provisionLocalSecrets(s.dataDir, ['yizhan-server', ...stationIds]);
  const common = { YIZHAN_DATA_DIR: s.dataDir, YIZHAN_STATIONS_DIR: s.stationsDir };
  const broker = startNodeChild(
    'broker',
    'broker/src/main.ts',
    [],
    {
      ...common,
      YIZHAN_MQTT_PORT: String(s.mqttPort),
      YIZHAN_BROKER_METRICS_PORT: String(s.brokerMetricsPort),
    },
    e.logDir,
  );
  run.children.push(broker);
  await waitForHttp(`http://127.0.0.1:${s.brokerMetricsPort}/healthz`, broker, 20_000);

  const server = startNodeChild(
    'server',
    'server/src/main.ts',
    [],
    {
      ...serverEnv(s, e),
      YIZHAN_HTTP_PORT: String(s.httpPort),
      YIZHAN_MQTT_URL: e.mqttUrl,
      YIZHAN_MQTT_USERNAME: 'yizhan-server',
      YIZHAN_MQTT_PASSWORD_FILE: join(secretsDir, 'yizhan-server.secret'),
    },
    e.logDir,
  );
  run.children.push(server);
  await waitForHttp(`http://127.0.0.1:${s.httpPort}/readyz`, server, 60_000);

  const fleet = startNodeChild(
    'stations',
    'scripts/stations.ts',
    [],
    {
      ...common,
      YIZHAN_MQTT_URL: e.mqttUrl,
      YIZHAN_SECRETS_DIR: secretsDir,
      YIZHAN_SERIAL: s.serial,
      YIZHAN_SIM_SPEED: String(s.simSpeed),
      YIZHAN_SIM_SEED: String(s.simSeed),
    },
    e.logDir,
  );
  run.children.push(fleet);
}

/** What the server and the history seeding share: data, stations, InfluxDB, and a raw retention that holds the history. */
function serverEnv(s: RunSettings, e: Endpoints): Record<string, string> {
  return {
    YIZHAN_DATA_DIR: s.dataDir,
    YIZHAN_STATIONS_DIR: s.stationsDir,
    INFLUX_URL: e.influxUrl,
    ...retentionFor(s.demoHistoryWeeks),
  };
}

/**
 * The first start's past for the planning pages (lib/demo-history.ts), before the server starts.
 * A failure is reported and the demo runs on without history.
 */
async function demoHistory(s: RunSettings, e: Endpoints): Promise<void> {
  if (s.demoHistoryWeeks === 0) return;
  try {
    const out = await seedDemoHistory({
      weeks: s.demoHistoryWeeks,
      seed: s.simSeed,
      serverEnv: { ...process.env, ...serverEnv(s, e) },
      logFile: join(e.logDir, 'history.log'),
      starting: () =>
        say(
          `正在生成 ${s.demoHistoryWeeks} 周的模拟历史（规划页面用）…`,
          `seeding ${s.demoHistoryWeeks} weeks of simulated history for the planning pages…`,
        ),
      progress: process.stdout.isTTY ? (share) => process.stdout.write(`\r  ${Math.round(share * 100)}%`) : undefined,
    });
    if (process.stdout.isTTY) process.stdout.write('\r');
    if (!out.seeded && out.reason === 'rollups')
      say(
        `模拟历史已有（InfluxDB 中有 ${out.rows} 行日汇总），不再生成`,
        `simulated history already there (${out.rows} daily rollup rows in InfluxDB); not seeding again`,
      );
    else if (out.seeded)
      say(
        `模拟历史：${out.stations} 个驿站 ${out.messages} 条消息，用时 ${out.seconds.total} 秒（接收 ${out.seconds.ingest}，汇总 ${out.seconds.rollups}，排名 ${out.seconds.ranking}）`,
        `simulated history: ${out.messages} messages of ${out.stations} stations in ${out.seconds.total} s (ingest ${out.seconds.ingest}, rollups ${out.seconds.rollups}, ranking ${out.seconds.ranking})`,
      );
  } catch (err) {
    say(
      `模拟历史未能生成，系统照常运行：${(err as Error).message}（见 ${join(e.logDir, 'history.log')}）`,
      `the simulated history was not seeded; the system runs on: ${(err as Error).message} (see ${join(e.logDir, 'history.log')})`,
    );
  }
}

/**
 * The demo's county admin in the data dir's store (the accounts CLI's own function): made on the
 * first start, when its generated password is returned to be printed once, here only (the
 * services' log files never see it).
 */
async function demoAdmin(s: RunSettings): Promise<string | null> {
  const env = { ...process.env, YIZHAN_DATA_DIR: s.dataDir, YIZHAN_STATIONS_DIR: s.stationsDir };
  const cli = await openCliStore(env);
  try {
    return await ensureCountyAdmin(cli.ctx);
  } finally {
    await cli.store.close();
  }
}

function printLogin(s: RunSettings, password: string | null): void {
  console.log(`  登录 / log in:            http://127.0.0.1:${s.httpPort}/app/  (${DEMO_ADMIN})`);
  if (password !== null) {
    console.log(`  用户 / login:             ${DEMO_ADMIN}`);
    console.log(`  密码 / password:          ${password}  （只显示这一次 / shown only this once）`);
  } else
    say(
      `  忘记 ${DEMO_ADMIN} 的密码：YIZHAN_DATA_DIR=${s.dataDir} npx tsx server/src/cli.ts user reset-password ${DEMO_ADMIN}`,
      `  forgot the password of ${DEMO_ADMIN}: YIZHAN_DATA_DIR=${s.dataDir} npx tsx server/src/cli.ts user reset-password ${DEMO_ADMIN}`,
    );
}

function printRunning(s: RunSettings, stationIds: string[], e: Endpoints, adminPassword: string | null): void {
  const http = `http://localhost:${s.httpPort}`;
  console.log('');
  say('yizhan 已启动', 'yizhan is running');
  console.log(`  驿站列表 / stations:     ${http}/`);
  console.log(`  驿站屏幕 / station screen: ${http}/screen/${stationIds[0] ?? 'st-001'}`);
  console.log(`  骑手手机页 / riders' page: ${http}/m/  (随手拍 / report: ${http}/m/report)`);
  console.log(`  接口 / API:              ${http}/api/v1/stations`);
  console.log(`  告警 / alerts:           ${http}/app/alerts  （登录后 / after logging in）`);
  console.log(`  随手拍处理 / reports:     ${http}/app/rider-reports  （登录后 / after logging in）`);
  console.log(
    `  指标 / metrics:          ${http}/metrics  (broker: http://localhost:${s.brokerMetricsPort}/metrics)`,
  );
  console.log(`  MQTT:                    ${e.mqttUrl}`);
  console.log(`  InfluxDB:                ${e.influxUrl}  (db yizhan)`);
  console.log(`  日志 / logs:              ${e.logDir}`);
  printLogin(s, adminPassword);
  say(
    `${stationIds.length} 个模拟驿站（${s.serial === 'pty' ? 'PTY 串口' : '模拟串口'}），按 Ctrl-C 停止`,
    `${stationIds.length} simulated stations (${s.serial} serial); Ctrl-C to stop`,
  );
}

/**
 * Build the staff web app when web/dist is missing or older than web/src. A failed build leaves
 * monitoring running (the server answers /app/ with 503 and the command to run).
 */
function startWebBuild(): void {
  if (!webBuildNeeded()) return;
  say('正在构建管理网页（web/dist 缺失或过期）', 'building the web app (web/dist missing or out of date)');
  try {
    buildWeb();
  } catch (e) {
    console.error((e as Error).message);
    say('管理网页构建失败，监测照常运行', 'the web app did not build; monitoring runs on');
  }
}

async function main(): Promise<void> {
  const s: RunSettings = readRunSettings();
  const stationIds = loadStationsOrThrow(s.stationsDir).map((st) => st.id);
  mkdirSync(s.dataDir, { recursive: true });
  startWebBuild();
  const logDir = join(s.dataDir, 'logs');

  const ports: [string, number][] = [
    ['YIZHAN_HTTP_PORT', s.httpPort],
    ['YIZHAN_MQTT_PORT', s.mqttPort],
    ['YIZHAN_BROKER_METRICS_PORT', s.brokerMetricsPort],
  ];
  if (!s.influxUrl) ports.push(['YIZHAN_INFLUX_PORT', s.influxPort]);
  await ensurePortsFree(ports);

  const run = new Services();
  run.stopOnSignals();
  try {
    const influxUrl = await influxUrlOf(s, run);
    const e: Endpoints = { mqttUrl: `mqtt://127.0.0.1:${s.mqttPort}`, influxUrl, logDir };
    const adminPassword = await demoAdmin(s);
    await demoHistory(s, e);
    await startServices(s, run, stationIds, e);
    run.stopWhenOneExits();
    printRunning(s, stationIds, e, adminPassword);
  } catch (err) {
    console.error(`\n${(err as Error).message}`);
    await run.stopAll(1);
  }
}

main().catch((e: unknown) => {
  if (e instanceof SettingsError || e instanceof PortInUseError) console.error(e.message);
  else
    console.error(
      zh ? `启动失败 / start failed: ${(e as Error).message}` : `start failed: ${(e as Error).message}`,
    );
  process.exit(1);
});
