/**
 * Every setting of the broker process, declared once (common/src/settings): environment names,
 * defaults, `--help` and the README table come from here; defaults are DEFAULT_LIMITS' and
 * DEFAULT_BROKER_HOST, written with their units.
 */
import { formatDuration } from '@yizhan/protocol/duration';
import {
  defineSettings,
  duration,
  int,
  list,
  logLevel,
  oneOf,
  port,
  size,
  text,
} from '@yizhan/common/settings';
import { DEFAULT_PORTS } from '@yizhan/common/ports';
import { DEFAULT_BROKER_HOST, DEFAULT_HEARTBEAT_MS } from './broker.js';
import { DEFAULT_LIMITS } from './limits.js';

const KB = 1024;

export const BROKER_SETTINGS = defineSettings({
  component: 'broker',
  prefix: 'YIZHAN_',
  settings: {
    mqttPort: port({ default: DEFAULT_PORTS.mqtt, zh: 'MQTT TCP 端口', en: 'MQTT TCP port' }),
    mqttHost: text({
      default: DEFAULT_BROKER_HOST,
      zh: '所有 MQTT 监听的网卡地址；远程驿站用 0.0.0.0（并用 TLS；明文 TCP 会记录警告）',
      en: 'interface of all MQTT listeners; 0.0.0.0 for remote stations (use TLS for them; plain TCP on it logs a warning)',
    }),
    mqttTlsPort: port({ defaultText: '(off)', zh: 'MQTT over TLS 端口，通常 8883；需同时设置证书和私钥', en: 'MQTT over TLS, usually 8883; needs YIZHAN_MQTT_TLS_CERT and YIZHAN_MQTT_TLS_KEY' }),
    mqttTlsCert: text({ zh: 'PEM 证书链文件；SIGHUP 时重新读取（新证书有误则保留旧的并记录）', en: 'PEM certificate chain file; re-read on SIGHUP (a bad pair keeps the old one, logged)' }),
    mqttTlsKey: text({ zh: 'PEM 私钥文件；SIGHUP 时重新读取', en: 'PEM private key file; re-read on SIGHUP' }),
    mqttWsPort: port({ defaultText: '(off)', zh: 'MQTT over WebSocket 端口（子协议 mqtt，任意路径）', en: 'MQTT over WebSocket (subprotocol mqtt, any path, e.g. ws://host:port/mqtt)' }),
    redisUrl: text({
      pattern: '^rediss?://[^/]',
      expected: 'a URL like redis://127.0.0.1:6379/0',
      defaultText: '(one process)',
      zh: 'redis://host:6379/0：与同一 Redis 上的其他 broker 共享会话、保留消息、QoS 1 队列和消息路由',
      en: 'redis://host:6379/0: sessions, retained messages, QoS 1 queues and message routing shared with the other brokers on this Redis',
    }),
    brokerHeartbeat: duration({
      default: formatDuration(DEFAULT_HEARTBEAT_MS),
      min: 100,
      minText: '100ms',
      max: 300_000,
      maxText: '5min',
      zh: '集群节点心跳间隔，100ms..5min；3 个心跳未收到的节点视为停止，其客户端的遗嘱由其他节点发布（未重连的才发布）',
      en: "cluster nodes' heartbeat, 100ms..5min; a node not heard for 3 heartbeats is dead and the others publish its clients' wills (only of clients not connected again)",
    }),
    redisDurabilityCheck: oneOf(['on', 'off'], {
      default: 'on',
      zh: 'on：启动时用 CONFIG GET 检查 Redis 的 appendonly yes 和 maxmemory-policy noeviction，不满足则拒绝启动；off：托管 Redis 不允许 CONFIG 时，由运维确认这些设置',
      en: 'on: at start, check with CONFIG GET that Redis runs with appendonly yes and maxmemory-policy noeviction, refuse to start otherwise; off: the operator vouches for them (managed Redis without CONFIG)',
    }),
    brokerStateDir: text({
      defaultText: '$YIZHAN_DATA_DIR/broker-state',
      zh: '状态日志目录（会话、订阅、排队的 QoS 1/2 消息、保留消息、遗嘱），启动时恢复；消息 fsync 后才回 PUBACK；memory = 不写磁盘；用 Redis 时不用',
      en: 'state journal (sessions, subscriptions, queued QoS 1/2 messages, retained messages, wills), restored at start; a PUBACK waits until the message is fsynced; memory = nothing on disk; unused with Redis',
    }),
    mqttMaxPacket: size({
      default: `${DEFAULT_LIMITS.maxPacketBytes / KB}KB`,
      min: KB,
      minText: '1KB',
      max: 256 * KB * KB,
      maxText: '256MB',
      zh: '最大 MQTT 报文，1KB..256MB，按报文头检查、不先缓冲（认证前 16 KiB）',
      en: 'largest MQTT packet, 1KB..256MB, checked on the header before any buffering (16 KiB before authentication)',
    }),
    mqttConnectTimeout: duration({
      default: formatDuration(DEFAULT_LIMITS.connectTimeoutMs),
      min: 100,
      minText: '100ms',
      max: 120_000,
      maxText: '2min',
      zh: '从 TCP 接入到完整 CONNECT 的时限（含 TLS 握手、WebSocket 升级），100ms..2min；超时关闭',
      en: 'from TCP accept to a complete CONNECT (TLS handshake, WebSocket upgrade included), 100ms..2min; then closed',
    }),
    mqttStationRate: int({
      min: 1,
      max: 1_000_000,
      default: DEFAULT_LIMITS.publishRate.station.perSecond,
      expected: 'a whole number of messages per second, 1..1000000',
      zh: '每个驿站每秒 PUBLISH 数（突发 10 倍）；超出则延迟，远超则断开',
      en: 'PUBLISH/s per station (burst 10x); excess is delayed, far excess disconnects',
    }),
    mqttSessionQueue: int({
      min: 10,
      max: 100_000_000,
      default: DEFAULT_LIMITS.maxQueuedPerClient,
      expected: "a whole number of messages, 10..100000000 (size it for the server's longest restart: messages/s × seconds)",
      zh: '每个持久会话保留的 QoS 1 消息数（服务器重启期间）；按 每秒消息数 × 最长重启时间 设定',
      en: "QoS 1 messages kept per persistent session (the server's while it restarts); size it as messages/s × longest restart",
    }),
    mqttTrustedAddresses: list({ zh: '逗号分隔的对端 IP，不限速、不封禁（如服务器所在主机）', en: "comma-separated peer IPs never rate-limited or banned (e.g. the server's host)" }),
    brokerMetricsPort: port({ default: DEFAULT_PORTS.brokerMetrics, zh: '旁路 HTTP 端口：/metrics、/healthz', en: 'side HTTP port: /metrics, /healthz' }),
    brokerMetricsHost: text({ default: DEFAULT_BROKER_HOST, zh: '旁路 HTTP 端口的网卡地址', en: 'interface of the side HTTP port' }),
    dataDir: text({ default: '.data', zh: '凭据文件为 <目录>/credentials.json，状态在 <目录>/broker-state/', en: 'the credentials file is <dir>/credentials.json, the state <dir>/broker-state/' }),
    credentialsFile: text({ defaultText: '$YIZHAN_DATA_DIR/credentials.json', zh: '指定凭据文件（命令行工具也用）', en: 'explicit credentials file (also used by the CLI)' }),
    lang: text({ default: 'zh-CN', zh: 'en：命令行和启动信息只用英文', en: 'en: English-only CLI and start-up messages' }),
    logLevel: logLevel(),
  },
});
