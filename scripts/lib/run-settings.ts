/**
 * Settings of `npm start` (the whole system on one machine), declared once: every one is an
 * environment variable with a default; the README's table is generated from START_SETTINGS.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import {
  brokerUrls,
  defineSettings,
  int,
  logLevel,
  num,
  oneOf,
  parseSettings,
  port,
  text,
} from '@yizhan/common/settings';
import { DEFAULT_PORTS } from '@yizhan/common/ports';

export const START_SETTINGS = defineSettings({
  component: 'npm start',
  prefix: 'YIZHAN_',
  settings: {
    httpPort: port({ default: DEFAULT_PORTS.http, zh: '服务器的 HTTP 端口：API、驿站屏幕、/metrics、/healthz、/readyz', en: 'HTTP port of the server: API, station screens, /metrics, /healthz, /readyz' }),
    mqttPort: port({ default: DEFAULT_PORTS.mqtt, zh: 'broker 的 MQTT 端口', en: 'MQTT port of the broker' }),
    mqttUrl: brokerUrls({
      defaultText: 'mqtt://127.0.0.1:$YIZHAN_MQTT_PORT',
      zh: '服务器和模拟驿站连接的 broker 地址',
      en: 'broker URL of the server and the simulated stations',
    }),
    brokerMetricsPort: port({ default: DEFAULT_PORTS.brokerMetrics, zh: 'broker 的旁路 HTTP 端口：/metrics、/healthz', en: "broker's side HTTP port: /metrics, /healthz" }),
    influxPort: port({ default: DEFAULT_PORTS.influx, zh: 'npm start 运行的本机 influxd 的 HTTP 端口（设了 INFLUX_URL 时不用）', en: 'HTTP port of the local influxd that npm start runs (ignored when INFLUX_URL is set)' }),
    influxUrl: text({
      env: 'INFLUX_URL',
      pattern: '^https?://',
      expected: 'a URL starting with http:// or https://',
      defaultText: '(unset: local influxd)',
      zh: '使用已有的 InfluxDB，而不启动本机 influxd',
      en: 'use an existing InfluxDB instead of starting one',
    }),
    dataDir: text({
      default: '.data',
      zh: 'InfluxDB 数据、broker 凭据（只存哈希）和状态（broker-state/）、模拟驿站的本地密钥、日志',
      en: 'InfluxDB data, broker credentials (hashes only) and state (broker-state/), local secrets of simulated stations, logs',
    }),
    secretsDir: text({ defaultText: '$YIZHAN_DATA_DIR/secrets', zh: '模拟驿站的 MQTT 密码文件目录', en: 'folder of the simulated stations\' MQTT password files' }),
    stationsDir: text({ defaultText: 'firmware-config/stations', zh: '驿站 YAML 文件目录', en: 'folder of station YAML files' }),
    serial: oneOf(['mock', 'pty'], {
      default: 'mock',
      zh: '模拟驿站的串口：mock（内存中的一对）或 pty（socat 真实 PTY 对，需 socat）',
      en: 'serial line of simulated stations: mock (in-memory pair) or pty (real socat PTY pairs, needs socat)',
    }),
    simSpeed: num({ min: 0.1, max: 10_000, default: 1, zh: '模拟时间比真实时间快的倍数（人数曲线、加热周期）', en: 'simulated time runs this many times faster (occupancy curve, heating cycle)' }),
    simSeed: int({ min: 0, max: 2 ** 31 - 1, default: 1, zh: '模拟驿站的随机种子（同一种子，同样行为）', en: 'seed of the simulated stations (same seed, same behaviour)' }),
    demoHistoryWeeks: int({
      min: 0,
      max: 12,
      default: 6,
      zh: '首次启动时为样例驿站生成的模拟历史周数（规划页面的热力图、排名和环比），0 为不生成；raw 保留期随之延长',
      en: 'weeks of simulated history seeded for the sample stations on the first start (heatmap, ranking and trends of the planning page); 0 seeds none; the raw retention grows to hold them',
    }),
    lang: oneOf(['zh-CN', 'en'], { default: 'zh-CN', zh: '消息和页面的语言：zh-CN 或 en（页面也接受 ?lang=en）', en: 'language of messages and pages: zh-CN or en (pages also take ?lang=en)' }),
    logLevel: logLevel(),
  },
});

export interface RunSettings {
  httpPort: number;
  mqttPort: number;
  brokerMetricsPort: number;
  /** Ignored when influxUrl is set. */
  influxPort: number;
  /** External InfluxDB; unset = start a local influxd. */
  influxUrl: string | undefined;
  /** Broker URL of the simulated stations (and the server). */
  mqttUrl: string;
  /** Absolute. */
  dataDir: string;
  /** Absolute. */
  secretsDir: string;
  stationsDir: string;
  logLevel: string;
  serial: 'mock' | 'pty';
  simSpeed: number;
  simSeed: number;
  /** Weeks of demo history seeded on the first start; 0: none. */
  demoHistoryWeeks: number;
}

/** The settings are wrong: the message lists every problem, one per line. */
export class SettingsError extends Error {}

export function readRunSettings(env: NodeJS.ProcessEnv = process.env): RunSettings {
  const { values: v, problems } = parseSettings(START_SETTINGS, { env });
  if (problems.length > 0) throw new SettingsError(problems.join('\n'));
  return {
    httpPort: v.httpPort,
    mqttPort: v.mqttPort,
    brokerMetricsPort: v.brokerMetricsPort,
    influxPort: v.influxPort,
    influxUrl: v.influxUrl,
    mqttUrl: v.mqttUrl ?? `mqtt://127.0.0.1:${v.mqttPort}`,
    dataDir: resolve(v.dataDir),
    secretsDir: resolve(v.secretsDir ?? join(v.dataDir, 'secrets')),
    stationsDir: v.stationsDir ?? DEFAULT_STATIONS_DIR,
    logLevel: v.logLevel,
    serial: v.serial,
    simSpeed: v.simSpeed,
    simSeed: v.simSeed,
    demoHistoryWeeks: v.demoHistoryWeeks,
  };
}
