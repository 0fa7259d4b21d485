/**
 * Broker process entry: `npx tsx broker/src/main.ts` (settings: see settings.ts; `--help` lists
 * them and exits without starting).
 * Refuses to start, with a plain message and exit code 1, when the settings or the credentials
 * file are unusable; closes gracefully on SIGINT/SIGTERM (a second signal exits at once).
 */
import { pino } from 'pino';
import { startBroker, type BrokerHandle } from './broker.js';
import { AedesVersionError, PINNED_AEDES } from './aedes-patches/index.js';
import { CredentialsFileError } from './credentials-file.js';
import { TlsFilesError } from './listeners.js';
import { DiskStateError } from './disk-state.js';
import { isRedisFailure, RedisStartError } from './redis.js';
import { say } from './i18n.js';
import { describeBrokerSettings, readBrokerSettings, SettingsError, type BrokerSettings } from './settings.js';

/** Longest wait for a graceful close before exiting anyway, in milliseconds. */
const CLOSE_TIMEOUT_MS = 10_000;

function refuse(zh: string, en: string): never {
  process.stderr.write(`${say(`驿站 MQTT 服务未启动：${zh}`, `broker not started: ${en}`)}\n`);
  process.exit(1);
}

function explain(e: unknown, mqttPort: number, metricsPort: number): never {
  if (e instanceof CredentialsFileError) {
    if (e.problem === 'missing')
      refuse(
        `凭据文件 ${e.file} 不存在。请先创建账户，例如 npx tsx broker/src/cli.ts station add st-001，或运行 npm start`,
        `credentials file ${e.file} does not exist. Create accounts first, e.g. npx tsx broker/src/cli.ts station add st-001, or run npm start`,
      );
    refuse(`凭据文件 ${e.file} 无法使用：${e.detail}`, `credentials file ${e.file} cannot be used: ${e.detail}`);
  }
  if (e instanceof DiskStateError) refuse(`状态目录无法使用：${e.message}`, e.message);
  if (e instanceof RedisStartError) refuse(`Redis 无法使用：${e.message}`, e.message);
  if (e instanceof TlsFilesError) refuse(`TLS 证书或私钥无法使用：${e.message}`, e.message);
  if (e instanceof AedesVersionError)
    refuse(
      `已安装的 aedes ${e.installed ?? '（版本未知）'} 不是代理所适配的 ${PINNED_AEDES}.x（broker/src/aedes-patches/ 修改了它的内部实现）；请运行 npm ci 安装锁定版本`,
      e.message,
    );
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (err.code === 'EADDRINUSE') {
    const p = err.port ?? mqttPort;
    const which = p === metricsPort ? 'YIZHAN_BROKER_METRICS_PORT' : 'YIZHAN_MQTT_PORT';
    refuse(`端口 ${p} 已被占用，请换一个端口（${which}）`, `port ${p} is already in use; choose another (${which})`);
  }
  if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')
    refuse(`无法监听：${err.message}`, `cannot listen: ${err.message}`);
  throw e;
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${say('驿站 MQTT 服务（broker）的设置，均为环境变量：', 'yizhan MQTT broker. Settings (environment variables):')}\n${describeBrokerSettings()}\n`);
  process.exit(0);
}
if (args.length > 0) refuse(`不认识的参数 ${args.join(' ')}；设置用环境变量，见 --help`, `unknown arguments ${args.join(' ')}; settings are environment variables, see --help`);

let settings: BrokerSettings;
try {
  settings = readBrokerSettings();
} catch (e) {
  if (e instanceof SettingsError) {
    process.stderr.write(`${say('驿站 MQTT 服务未启动：以下环境变量有误', 'broker not started: fix these settings')}\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  throw e;
}
const log = pino({ name: 'broker', level: settings.logLevel });
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception; exiting');
  process.exit(1);
});
// aedes and aedes-persistence-redis leave some Redis commands' rejections unhandled (e.g. a will
// stored while Redis is down); those are counted and logged where they fail (redis.ts). Any other
// unhandled rejection is a bug: exit, as Node would.
process.on('unhandledRejection', (reason) => {
  if (isRedisFailure(reason)) return;
  log.fatal({ err: reason }, 'unhandled promise rejection; exiting');
  process.exit(1);
});

let broker: BrokerHandle;
try {
  broker = await startBroker({
    port: settings.mqttPort,
    host: settings.mqttHost,
    metricsPort: settings.metricsPort,
    metricsHost: settings.metricsHost,
    credentialsFile: settings.credentialsFile,
    tls: settings.tls,
    ws: settings.wsPort !== undefined ? { port: settings.wsPort } : undefined,
    redisUrl: settings.redisUrl,
    heartbeatMs: settings.heartbeatMs,
    redisDurabilityCheck: settings.redisDurabilityCheck,
    stateDir: settings.stateDir,
    limits: settings.limits,
    logger: log,
  });
} catch (e) {
  explain(e, settings.mqttPort, settings.metricsPort);
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    log.warn({ signal }, 'second signal, exiting now');
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    log.error({ timeoutMs: CLOSE_TIMEOUT_MS }, 'graceful close took too long; exiting');
    process.exit(1);
  }, CLOSE_TIMEOUT_MS);
  timer.unref();
  broker.close().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'error while closing');
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// SIGHUP: re-read the TLS certificate and key (e.g. after renewal); a bad pair keeps the old one.
process.on('SIGHUP', () => {
  broker.reloadTls().then(
    () => log.info('SIGHUP: TLS files reloaded'),
    (err: unknown) => log.error({ err: (err as Error).message }, 'SIGHUP: TLS files not reloaded; the previous certificate stays in use'),
  );
});
