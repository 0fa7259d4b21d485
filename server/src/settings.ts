/**
 * Every setting of the server process, declared once (common/src/settings): environment names,
 * defaults, `--help` and the README table all come from here. Defaults are the DEFAULT_* values of
 * the modules that use them, written with their units.
 */
import { formatDuration } from '@yizhan/protocol/duration';
import {
  brokerUrls,
  defineSettings,
  duration,
  durationText,
  int,
  logLevel,
  num,
  oneOf,
  port,
  size,
  text,
} from '@yizhan/common/settings';
import { DEFAULT_PORTS } from '@yizhan/common/ports';
import { DEFAULT_WEBHOOK_TIMEOUT_MS } from './alerts/webhook.js';
import { DEFAULT_TIMEZONE } from './alerts/silences.js';
import { DEFAULT_INGEST_OPTIONS } from './ingest/ingest.js';
import { DEFAULT_SPOOL_MAX_BYTES, DEFAULT_SPOOL_SYNC_INTERVAL_MS } from './influx/spool.js';
import { DEFAULT_WRITER_OPTIONS } from './influx/writer.js';
import { DEFAULT_INFLUX_CONNECTION } from './influx/transport.js';
import {
  DEFAULT_RETENTION_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
  DEFAULT_SSE_MAX_PER_ADDRESS,
} from './options.js';
import { DEFAULT_AUDIT_RETENTION_MS, MIN_AUDIT_RETENTION_MS } from './org/audit-retention.js';
import { DEFAULT_DARK_AFTER_MS } from './org/fleet.js';
import { DEFAULT_RIDER_REQUESTS_PER_MIN } from './riders/limits.js';
import { REPORT_SETTINGS } from './reports/settings.js';
import { DEFAULT_SLA_MS } from './workorders/sla.js';
import { DEFAULT_VERIFY_HOLD_MS, DEFAULT_VERIFY_TIMEOUT_MS } from './workorders/verifier.js';
import { TILE_KINDS } from './planning/map-tiles.js';
import { DEFAULT_RANKING_STORE_RETENTION_MS } from './planning/daily-sync.js';
import { DEFAULT_DETOUR, DEFAULT_RESOLUTION, DEFAULT_SPEED_KMH, DEFAULT_THRESHOLD_MIN } from './planning/travel.js';

/** The write API token is at least this long (as YIZHAN_API_TOKEN or in YIZHAN_API_TOKEN_FILE). */
export const API_TOKEN_MIN = 16;
/** The ranking store keeps at least this: a month's ranking and the month before it. */
const MIN_RANKING_STORE_RETENTION_MS = 62 * 86_400_000;

const GB = 1024 ** 3;
const sizeText = (bytes: number): string => (bytes % GB === 0 ? `${bytes / GB}GB` : `${bytes / 1024 ** 2}MB`);

export const SERVER_SETTINGS = defineSettings({
  component: 'server',
  prefix: 'YIZHAN_',
  settings: {
    httpHost: text({ default: '0.0.0.0', zh: 'HTTP 服务监听地址', en: 'Address the HTTP server listens on' }),
    httpPort: port({
      default: DEFAULT_PORTS.http,
      min: 0,
      zh: 'API、驿站屏幕和 /metrics 的 HTTP 端口',
      en: 'HTTP port for the API, station screens and /metrics',
    }),
    mqttUrl: brokerUrls({
      defaultText: 'mqtt://127.0.0.1:$YIZHAN_MQTT_PORT',
      zh: 'broker 地址，如 mqtt://127.0.0.1:1883；集群可列多个节点，逗号分隔，断线后依次连接下一个',
      en: 'Broker URL, e.g. mqtt://127.0.0.1:1883; a cluster\'s nodes may be listed, comma-separated: each reconnect tries the next one',
    }),
    mqttPort: port({
      default: DEFAULT_PORTS.mqtt,
      min: 0,
      zh: '本机 broker 端口，未设 YIZHAN_MQTT_URL 时使用',
      en: 'Port of the local broker, used when YIZHAN_MQTT_URL is unset',
    }),
    mqttUsername: text({
      zh: '服务器的 MQTT 用户（角色 server）',
      en: 'MQTT user of the server (role "server")',
    }),
    mqttPassword: text({
      secret: true,
      zh: 'MQTT 密码（优先用 _FILE：文件内容去掉首尾空白）',
      en: 'MQTT password (prefer the _FILE variant: the trimmed file content)',
    }),
    mqttClientId: text({
      default: 'yizhan-server',
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      expected: '1 to 64 letters, digits, _ or -',
      zh: '固定的 MQTT client id；broker 以它保存 QoS 1 会话',
      en: 'Stable MQTT client id; the broker keeps the QoS 1 session under it',
    }),
    apiToken: text({
      secret: true,
      minLength: API_TOKEN_MIN,
      defaultText: '(unset)',
      zh: `已弃用：配置接口（PUT …/config）的共享 Bearer 令牌，至少 ${API_TOKEN_MIN} 个字符；请改用个人 API 令牌；从不记录`,
      en: `Deprecated: shared bearer token of the config API (PUT …/config), at least ${API_TOKEN_MIN} characters; use personal API tokens instead; never logged`,
    }),
    trustProxy: text({
      pattern: '^[0-9A-Za-z.:/]+( *, *[0-9A-Za-z.:/]+)*$',
      expected: 'proxy addresses or CIDRs separated by commas (e.g. 127.0.0.1 or 10.0.0.0/8)',
      defaultText: '(off)',
      zh: '信任哪些反向代理的 X-Forwarded-For/-Proto（客户端地址用于登录限速，https 时 Cookie 加 Secure）：逗号分隔的代理地址或 CIDR（如 127.0.0.1）；未设则不信任',
      en: 'Which reverse proxies’ X-Forwarded-For/-Proto to trust (client address for login rate limits, https for Secure cookies): proxy addresses or CIDRs separated by commas (e.g. 127.0.0.1); unset: none',
    }),
    influxUrl: text({
      env: 'INFLUX_URL',
      pattern: '^https?://',
      expected: 'a URL starting with http:// or https://',
      defaultText: 'http://127.0.0.1:$YIZHAN_INFLUX_PORT',
      zh: 'InfluxDB 地址',
      en: 'InfluxDB URL',
    }),
    influxPort: port({
      default: DEFAULT_PORTS.influx,
      min: 0,
      zh: '本机 influxd 端口，未设 INFLUX_URL 时使用',
      en: 'Port of the local influxd, used when INFLUX_URL is unset',
    }),
    influxApi: oneOf(['v1', 'v2'], {
      env: 'INFLUX_API',
      default: DEFAULT_INFLUX_CONNECTION.api,
      zh: 'v1：1.x 的 /write 和 /query（创建数据库和保留策略）；v2：2.x/3.x 写接口，用令牌',
      en: 'v1: 1.x /write and /query (creates database and retention policy); v2: 2.x/3.x write API with a token',
    }),
    influxDb: text({
      env: 'INFLUX_DB',
      default: DEFAULT_INFLUX_CONNECTION.db,
      zh: '数据库（1.x）/ DBRP 数据库（2.x）',
      en: 'Database (1.x) / DBRP database (2.x)',
    }),
    influxRp: text({
      env: 'INFLUX_RP',
      default: DEFAULT_INFLUX_CONNECTION.rp,
      zh: '启动时创建的默认保留策略（1.x）',
      en: 'Default retention policy created at start (1.x)',
    }),
    influxToken: text({
      env: 'INFLUX_TOKEN',
      secret: true,
      zh: 'API 令牌（v2），或 1.8+ 开启认证时的 "用户:密码"',
      en: 'API token (v2), or "user:password" for 1.8+ with auth',
    }),
    influxOrg: text({ env: 'INFLUX_ORG', zh: '组织（v2）', en: 'Organisation (v2)' }),
    influxBucket: text({
      env: 'INFLUX_BUCKET',
      defaultText: '$INFLUX_DB/$INFLUX_RP',
      zh: 'Bucket（v2）',
      en: 'Bucket (v2)',
    }),
    influxUsername: text({
      env: 'INFLUX_USERNAME',
      zh: 'InfluxDB 1.x 认证用户',
      en: 'User for InfluxDB 1.x authentication',
    }),
    influxPassword: text({
      env: 'INFLUX_PASSWORD',
      secret: true,
      zh: 'InfluxDB 1.x 认证密码',
      en: 'Password for InfluxDB 1.x authentication',
    }),
    influxV1Auth: oneOf(['basic', 'params'], {
      default: DEFAULT_INFLUX_CONNECTION.v1Auth,
      zh: '1.x 凭据的发送方式：basic（Authorization 头）或 params（URL 中的 u/p）',
      en: 'How 1.x credentials are sent: basic (Authorization header) or params (u/p in the URL)',
    }),
    influxRetention: duration({
      default: formatDuration(DEFAULT_RETENTION_MS),
      zh: '原始数据保留策略的时长',
      en: 'Duration of the retention policy',
    }),
    influxBatchSize: int({
      min: 1,
      max: 100_000,
      default: DEFAULT_WRITER_OPTIONS.batchSize,
      zh: '每次写请求的点数',
      en: 'Points per write request',
    }),
    influxMaxInFlight: int({
      min: 1,
      max: 64,
      default: DEFAULT_WRITER_OPTIONS.maxInFlight,
      zh: '实时数据的并发 InfluxDB 写请求数',
      en: 'Concurrent InfluxDB write requests of live data',
    }),
    influxFlushInterval: duration({
      default: formatDuration(DEFAULT_WRITER_OPTIONS.flushIntervalMs),
      zh: '一个点写入前最长等待时间',
      en: 'Longest time a point waits before it is written',
    }),
    influxMaxBufferLines: int({
      min: 100,
      max: 10_000_000,
      default: DEFAULT_WRITER_OPTIONS.maxBufferLines,
      zh: '内存中为 InfluxDB 保留的点数；更早的从磁盘预写日志读回',
      en: 'Points held in memory for InfluxDB; older ones are read back from the write-ahead spool',
    }),
    influxSpoolMax: size({
      default: sizeText(DEFAULT_SPOOL_MAX_BYTES),
      min: 1024 ** 2,
      minText: '1MB',
      zh: '预写日志（$YIZHAN_DATA_DIR/influx-spool）的大小上限（B/KB/MB/GB，至少 1MB）；超出则丢弃最旧未写入的数据并计数',
      en: 'Size bound of the write-ahead spool ($YIZHAN_DATA_DIR/influx-spool; B, KB, MB, GB, at least 1MB); past it the oldest undelivered lines are dropped and counted',
    }),
    influxSpoolSync: duration({
      default: formatDuration(DEFAULT_SPOOL_SYNC_INTERVAL_MS),
      zh: '预写日志的组提交：每个间隔最多一次 fdatasync；数据同步后才确认消息',
      en: 'Group commit of the write-ahead spool: at most one fdatasync per interval; a message is acknowledged once its lines are synced',
    }),
    dataDir: text({
      default: '.data',
      zh: '本地数据目录：InfluxDB 预写日志、死信日志',
      en: 'Folder for local data: InfluxDB write-ahead spool, dead-letter log',
    }),
    dbUrl: text({
      secret: true,
      pattern: '^postgres(ql)?://',
      expected: 'a postgres:// or postgresql:// URL',
      defaultText: '(unset: SQLite in $YIZHAN_DATA_DIR/yizhan.db)',
      zh: '操作数据库（账号、角色、告警、审计日志）：未设用 SQLite（$YIZHAN_DATA_DIR/yizhan.db），postgres://… 用 PostgreSQL（多个服务器进程时）',
      en: 'Operations store (accounts, roles, alerts, audit log): unset for SQLite ($YIZHAN_DATA_DIR/yizhan.db), postgres://… for PostgreSQL (more than one server process)',
    }),
    webDir: text({
      defaultText: 'web/dist',
      zh: '管理网页（npm run build:web 的输出）目录，在 /app/ 提供',
      en: 'Folder of the built staff web app (output of npm run build:web), served at /app/',
    }),
    stationsDir: text({ defaultText: 'firmware-config/stations', zh: '驿站 YAML 文件目录', en: 'Folder of station YAML files' }),
    townshipsFile: text({
      defaultText: '$YIZHAN_STATIONS_DIR/../townships.yaml',
      zh: '镇街定义文件（代码、中英文名）；默认文件不存在时镇街以中文名为代码；存在时每个驿站的镇街都须在其中',
      en: "Township definitions (codes, Chinese and English names); when the default file is absent townships are known by their Chinese names; when present every station's township must be in it",
    }),
    auditRetention: duration({
      default: formatDuration(DEFAULT_AUDIT_RETENTION_MS),
      min: MIN_AUDIT_RETENTION_MS,
      minText: formatDuration(MIN_AUDIT_RETENTION_MS),
      zh: `审计日志保留时长（至少 ${formatDuration(MIN_AUDIT_RETENTION_MS)}）；更早的条目每天删除一次，这是唯一的删除`,
      en: `How long audit log entries are kept (at least ${formatDuration(MIN_AUDIT_RETENTION_MS)}); older ones are deleted once a day, the only deletion`,
    }),
    darkAfter: duration({
      default: formatDuration(DEFAULT_DARK_AFTER_MS),
      zh: '在线驿站多久没有任何消息即算失联（dark；代理每 30 秒发一次健康消息）',
      en: 'An online station silent for this long counts as dark (the agent sends health every 30 s)',
    }),
    alertWebhookUrl: text({
      pattern: '^https?://',
      expected: 'a URL starting with http:// or https://',
      zh: '告警触发和解除时以 JSON POST 到此地址',
      en: 'Alerts are POSTed here as JSON on fire and resolve',
    }),
    alertWebhookTimeout: duration({
      default: formatDuration(DEFAULT_WEBHOOK_TIMEOUT_MS),
      zh: '单次 webhook 请求超时',
      en: 'Timeout of one webhook request',
    }),
    notifyFile: text({
      defaultText: '(unset: only YIZHAN_ALERT_WEBHOOK_URL, if set)',
      zh: '通知路由文件（渠道、镇街到渠道和人员、升级策略；示例 firmware-config/notify.example.yaml）；密钥写 ${ENV_NAME} 或 {file: 路径}；修改后自动重新加载（或 SIGHUP）',
      en: 'Notification routing file (channels, township → channels and people, escalation; sample firmware-config/notify.example.yaml); secrets as ${ENV_NAME} or {file: path}; reloaded on change (or SIGHUP)',
    }),
    publicUrl: text({
      pattern: '^https?://',
      expected: 'a URL starting with http:// or https://',
      defaultText: 'http://localhost:$YIZHAN_HTTP_PORT',
      zh: '服务器对外地址：通知消息中告警页面链接的前缀（${YIZHAN_PUBLIC_URL}/app/alerts/<id>），驿站屏幕二维码的目标（${YIZHAN_PUBLIC_URL}/m/?station=<id>；不设时用打开屏幕的地址）',
      en: "The server's public address: prefix of the alert page links in notifications (${YIZHAN_PUBLIC_URL}/app/alerts/<id>) and the station screens' QR code target (${YIZHAN_PUBLIC_URL}/m/?station=<id>; unset: the address the screen was opened at)",
    }),
    alertSerialLinkDownHold: durationText({
      zh: '已弃用：serial_link_down 的默认持续时间；请改用 alert-rules.yaml 的 serial_link_down.for（该文件未设时用此值）',
      en: "Deprecated: serial_link_down's default hold; use serial_link_down.for in alert-rules.yaml (this applies where the file sets none)",
    }),
    alertRulesFile: text({
      defaultText: '$YIZHAN_STATIONS_DIR/../alert-rules.yaml',
      zh: '告警规则阈值文件（默认值、按镇街、按驿站）；默认文件不存在时用内置默认值；修改后自动重新加载（或 SIGHUP）',
      en: 'Alert rule thresholds (defaults, per township, per station); when the default file is absent the built-in defaults apply; reloaded on change (or SIGHUP)',
    }),
    slaCritical: duration({
      default: formatDuration(DEFAULT_SLA_MS.critical),
      zh: '严重（critical）工单须在创建后多久内修复（SLA）',
      en: 'A critical work order must be fixed within this long of its creation (SLA)',
    }),
    slaWarning: duration({
      default: formatDuration(DEFAULT_SLA_MS.warning),
      zh: '警告（warning）工单须在创建后多久内修复（SLA）',
      en: 'A warning work order must be fixed within this long of its creation (SLA)',
    }),
    slaInfo: duration({
      default: formatDuration(DEFAULT_SLA_MS.info),
      zh: '提示（info）工单须在创建后多久内修复（SLA）',
      en: 'An info work order must be fixed within this long of its creation (SLA)',
    }),
    workOrderVerifyHold: duration({
      default: formatDuration(DEFAULT_VERIFY_HOLD_MS),
      zh: '认领修复后，驿站读数须显示故障消除并保持多久（驿站时间）才算传感器确认',
      en: "After a fix is claimed, how long (station time) the station's readings must show the fault gone before the sensor verifies it",
    }),
    workOrderVerifyTimeout: duration({
      default: formatDuration(DEFAULT_VERIFY_TIMEOUT_MS),
      zh: '认领修复后多久（驿站时间）故障仍在即退回维护人员',
      en: 'How long (station time) after a fix is claimed a fault still firing sends the work order back to the crew',
    }),
    mapTiles: oneOf(TILE_KINDS, {
      default: 'none',
      zh: '规划地图的底图：none（无底图，仍画驿站、六边形和比例尺，离线可用）、tianditu（天地图，需密钥）、amap（高德）、xyz（任意 XYZ 地址）',
      en: "Base map of the planners' map: none (no tiles; stations, hexagons and scale bar still drawn, works offline), tianditu (needs a key), amap, xyz (any XYZ URL)",
    }),
    mapTileUrl: text({
      pattern: '^https?://',
      expected: 'a URL template starting with http:// or https://, with {z}, {x}, {y}',
      defaultText: '(the preset of YIZHAN_MAP_TILES)',
      zh: '底图 URL 模板（{z}/{x}/{y}，{s} 为子域名）；xyz 必填，其他类型可覆盖内置地址',
      en: 'Tile URL template ({z}/{x}/{y}, {s} for the subdomain); required for xyz, overrides the preset of the other kinds',
    }),
    mapTileKey: text({
      secret: true,
      zh: '天地图浏览器端密钥（tk）；会随瓦片地址发给已登录用户的浏览器',
      en: "Tianditu browser key (tk); it reaches signed-in users' browsers inside the tile URL",
    }),
    mapTileDatum: oneOf(['wgs84', 'gcj02'], {
      defaultText: '(tianditu, xyz: wgs84; amap: gcj02)',
      zh: '底图的坐标系：wgs84（天地图、OSM）或 gcj02（高德、腾讯）；gcj02 时驿站坐标先转换再画',
      en: 'Datum the tiles are drawn in: wgs84 (Tianditu, OSM) or gcj02 (AMap, Tencent); with gcj02 the stations are converted before drawing',
    }),
    planningWalkSpeed: num({
      min: 1,
      max: 10,
      default: DEFAULT_SPEED_KMH.walk,
      zh: '覆盖分析：步行速度，公里/小时',
      en: 'Coverage: walking speed, km/h',
    }),
    planningEbikeSpeed: num({
      min: 5,
      max: 25,
      default: DEFAULT_SPEED_KMH.ebike,
      zh: '覆盖分析：电动自行车速度，公里/小时（含路口等待）',
      en: 'Coverage: e-bike speed, km/h (with waits at crossings)',
    }),
    planningDetour: num({
      min: 1,
      max: 3,
      default: DEFAULT_DETOUR,
      zh: '覆盖分析：道路绕行系数（道路距离 ÷ 直线距离）',
      en: 'Coverage: road detour factor (road distance ÷ straight-line distance)',
    }),
    planningThreshold: num({
      min: 1,
      max: 120,
      default: DEFAULT_THRESHOLD_MIN,
      zh: '覆盖分析：服务圈阈值，分钟（15 分钟服务圈）',
      en: 'Coverage: service-circle threshold, minutes (the 15-minute circle)',
    }),
    planningH3Resolution: int({
      min: 6,
      max: 10,
      default: DEFAULT_RESOLUTION,
      zh: '覆盖分析：H3 网格分辨率（9：每格约 0.1 平方公里）',
      en: 'Coverage: H3 grid resolution (9: cells of about 0.1 km²)',
    }),
    rankingStoreRetention: duration({
      default: formatDuration(DEFAULT_RANKING_STORE_RETENTION_MS),
      min: MIN_RANKING_STORE_RETENTION_MS,
      minText: formatDuration(MIN_RANKING_STORE_RETENTION_MS),
      zh: '排名数据表（操作数据库中的每日汇总副本）保留时长；默认为 InfluxDB 日汇总最长保留时间（2 年保留策略加一个 52 周分片组）。更早的行每次同步后分批删除，更早的排名从 InfluxDB 读取',
      en: 'How long the ranking store (the copy of the daily rollups in the operations store) keeps days; default: the longest InfluxDB keeps a daily rollup (the 2-year policy plus one 52-week shard group). Older rows are deleted in batches after each sync; rankings further back read InfluxDB',
    }),
    lang: oneOf(['zh-CN', 'en'], {
      default: 'zh-CN',
      zh: '页面和消息的默认语言（?lang= 或 Accept-Language 可覆盖）',
      en: 'Default language of pages and messages (?lang= or Accept-Language override it)',
    }),
    timezone: text({
      default: DEFAULT_TIMEZONE,
      zh: '县的时区（IANA 名称）：静默的每周维护时段按此地时间计算',
      en: "The county's time zone (IANA name): silences' weekly maintenance windows are its local time",
    }),
    ingestMaxFuture: duration({
      default: formatDuration(DEFAULT_INGEST_OPTIONS.maxFutureSkewMs),
      zh: '时间戳超前服务器时钟超过此值的消息被拒绝（ts_future）',
      en: 'Messages stamped further ahead of the server clock are refused (ts_future)',
    }),
    sseHeartbeat: duration({
      default: formatDuration(DEFAULT_SSE_HEARTBEAT_MS),
      zh: '/api/v1/events 的保活注释间隔',
      en: 'Interval of the keep-alive comment on /api/v1/events',
    }),
    sseMaxPerAddress: int({
      min: 1,
      max: 100_000,
      default: DEFAULT_SSE_MAX_PER_ADDRESS,
      zh: '一个客户端地址最多同时打开的 /api/v1/events 实时流；超出返回 429 并计数',
      en: 'Open /api/v1/events streams one client address may hold; more get 429 and are counted',
    }),
    riderRequestsPerMin: int({
      min: 1,
      max: 100_000,
      default: DEFAULT_RIDER_REQUESTS_PER_MIN,
      zh: '一个客户端地址每分钟最多请求骑手公开接口（附近驿站、乡镇列表）的次数；超出返回 429 并计数（同一 4G 出口地址后可能有许多手机）',
      en: "Requests one client address may make a minute to the riders' public endpoints (nearby stations, townships); more get 429 and are counted (many phones may share one 4G carrier address)",
    }),
    ...REPORT_SETTINGS,
    shutdownGrace: duration({
      default: formatDuration(DEFAULT_SHUTDOWN_GRACE_MS),
      zh: '关闭时等待 InfluxDB 和 webhook 写完的最长时间',
      en: 'Longest wait for flushing InfluxDB and webhooks at shutdown',
    }),
    logLevel: logLevel(),
  },
});
