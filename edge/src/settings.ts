/**
 * Every setting of the edge agent process, declared once (common/src/settings): its flags, the
 * environment variables some of them fall back to (the systemd unit's /etc/yizhan/edge.env sets
 * YIZHAN_STATION, YIZHAN_MQTT_URL, YIZHAN_SPOOL_MAX), defaults (the agent's DEFAULT_* values, with
 * units), `--help` and the docs table.
 */
import { formatDuration } from '@yizhan/protocol/duration';
import {
  brokerUrls,
  defineSettings,
  duration,
  flagSwitch,
  int,
  logLevel,
  num,
  oneOf,
  port,
  size,
  text,
} from '@yizhan/common/settings';
import { DEFAULT_HEALTH_INTERVAL_MS } from '@yizhan/protocol/mqtt';
import { DEFAULT_NEARBY_STALE_MS } from '@yizhan/screen/nearby';
import { DEFAULT_SPOOL_MAX_BYTES } from './agent/spool.js';

/** The board screen listens on the loopback only: its kiosk browser runs on the board (edge/src/screen/server.ts). */
export const DEFAULT_SCREEN_HOST = '127.0.0.1';

export const EDGE_SETTINGS = defineSettings({
  component: 'edge',
  prefix: 'YIZHAN_EDGE_',
  settings: {
    station: text({
      flag: 'station',
      env: 'YIZHAN_STATION',
      zh: '本驿站 id（必填），读取 <stations-dir>/<id>.yaml',
      en: "this station's id (required); reads <stations-dir>/<id>.yaml",
    }),
    mqttUrl: brokerUrls({
      flag: 'mqtt',
      env: 'YIZHAN_MQTT_URL',
      zh: 'broker 地址（必填），如 mqtts://broker:8883；集群可列多个节点，逗号分隔，断线后依次连接下一个',
      en: 'broker URL (required), e.g. mqtts://broker:8883; a cluster\'s nodes may be listed, comma-separated: each reconnect tries the next one',
    }),
    passwordFile: text({
      flag: 'password-file',
      env: 'YIZHAN_MQTT_PASSWORD_FILE',
      zh: '本驿站 MQTT 密码文件（必填）',
      en: "file holding the station's MQTT password (required)",
    }),
    serialPath: text({
      flag: 'serial-path',
      env: false,
      defaultText: 'serial.path of the station file',
      zh: '串口设备，替代驿站文件中的 serial.path',
      en: "serial device instead of the station file's serial.path",
    }),
    stationsDir: text({
      flag: 'stations-dir',
      env: 'YIZHAN_STATIONS_DIR',
      defaultText: 'firmware-config/stations',
      zh: '驿站 YAML 文件目录（只读本驿站的文件）',
      en: "folder of station YAML files (only this station's file is read)",
    }),
    stateDir: text({
      flag: 'state-dir',
      defaultText: '$YIZHAN_DATA_DIR/edge/<station>',
      zh: '持久队列和已应用的远程配置所在目录；none = 只在内存中',
      en: 'folder of the durable spool and the applied remote config; none = memory only',
    }),
    dataDir: text({
      env: 'YIZHAN_DATA_DIR',
      default: '.data',
      zh: '默认状态目录的上级目录',
      en: 'parent of the default state folder',
    }),
    spoolMax: size({
      flag: 'spool-max',
      env: 'YIZHAN_SPOOL_MAX',
      default: `${DEFAULT_SPOOL_MAX_BYTES / 1024 ** 2}MB`,
      zh: '磁盘队列大小上限（B/KB/MB/GB）；超出则丢弃最旧的消息并计数',
      en: 'size bound of the disk spool (B, KB, MB, GB); past it the oldest messages are dropped and counted',
    }),
    spoolFsync: oneOf(['interval', 'always', 'never'], {
      flag: 'spool-fsync',
      env: false,
      default: 'interval',
      zh: '磁盘队列的 fsync 策略：interval（每秒）、always（每条）、never',
      en: 'fsync policy of the disk spool: interval (each second), always (each record), never',
    }),
    healthInterval: duration({
      flag: 'health-interval',
      env: false,
      default: formatDuration(DEFAULT_HEALTH_INTERVAL_MS),
      zh: '健康消息周期',
      en: 'period of health messages',
    }),
    modbus: text({
      flag: 'modbus',
      env: false,
      zh: 'Modbus 电表配置文件（见 edge/deploy/modbus.example.yaml）',
      en: 'Modbus meters file (see edge/deploy/modbus.example.yaml)',
    }),
    screenPort: port({
      flag: 'screen-port',
      env: 'YIZHAN_EDGE_SCREEN_PORT',
      defaultText: 'off (8090 on a board with a screen)',
      zh: '本机驿站屏幕的 HTTP 端口（如 8090）：浏览器打开 http://localhost:<端口>/，断网时照常更新；不设则不提供',
      en: 'HTTP port of the station screen served by the board (e.g. 8090): open http://localhost:<port>/, it keeps updating without the county link; off when not set',
    }),
    screenHost: text({
      flag: 'screen-host',
      env: 'YIZHAN_EDGE_SCREEN_HOST',
      default: DEFAULT_SCREEN_HOST,
      zh: '本机驿站屏幕监听的地址；服务工作线程只在 localhost 上可用',
      en: 'address the board screen listens on; its service worker works on localhost only',
    }),
    screenNoticesFrom: text({
      flag: 'screen-notices-from',
      env: 'YIZHAN_EDGE_SCREEN_NOTICES_FROM',
      pattern: '^https?://',
      expected: 'an http:// or https:// URL of the server',
      zh: '本机屏幕的通知来源：服务器地址（如 https://yizhan.example.cn）；每分钟取一次，断网时显示上次的副本',
      en: "server URL the board screen takes the union's notices from (e.g. https://yizhan.example.cn); fetched every minute, the last copy shown offline",
    }),
    screenNearbyStaleAfter: duration({
      flag: 'screen-nearby-stale-after',
      env: 'YIZHAN_EDGE_SCREEN_NEARBY_STALE_AFTER',
      default: formatDuration(DEFAULT_NEARBY_STALE_MS),
      zh: '本机屏幕上附近驿站（空闲充电口，来自 --screen-notices-from 的服务器）的数据超过此时长即变灰并显示数据时间；取数周期为其四分之一（最长 30 秒）',
      en: 'nearby stations with free sockets on the board screen (from the --screen-notices-from server) older than this show greyed with their age; fetched four times as often (every 30 s at most)',
    }),
    screenPublicUrl: text({
      flag: 'screen-public-url',
      env: 'YIZHAN_EDGE_SCREEN_PUBLIC_URL',
      pattern: '^https?://',
      expected: 'an http:// or https:// URL of the server',
      defaultText: 'the --screen-notices-from URL',
      zh: '服务器对外地址：本机屏幕二维码打开骑手手机页 <地址>/m/?station=<编号>；不设时用 --screen-notices-from，两者都不设则不显示二维码',
      en: "the server's public address: the board screen's QR code opens the riders' phone page <URL>/m/?station=<id>; default the --screen-notices-from URL, no QR code without either",
    }),
    simulate: flagSwitch({
      flag: 'simulate',
      env: false,
      zh: '无硬件：内存中的模拟控制器',
      en: 'no hardware: a simulated controller on an in-memory pair',
    }),
    speed: num({
      flag: 'speed',
      env: false,
      min: 0.001,
      max: 1_000_000,
      default: 1,
      zh: '模拟时间倍速（--simulate）',
      en: 'simulated time speed-up (--simulate)',
    }),
    seed: int({
      flag: 'seed',
      env: false,
      min: 0,
      max: 2 ** 31 - 1,
      default: 1,
      zh: '模拟的随机种子（--simulate）',
      en: 'seed of the simulation (--simulate)',
    }),
    logLevel: logLevel(),
  },
});
