/**
 * The yizhan MQTT broker: aedes with per-account authentication, topic ACLs, metrics and a
 * health endpoint. `startBroker()` is used by broker/src/main.ts (its own process) and by tests.
 */
import { Aedes, type AedesOptions } from 'aedes';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { patchAedes, type Patched } from './aedes-patches/index.js';
import { CredentialStore, type CredentialStoreOptions } from './credential-store.js';
import type { DiskState } from './disk-state.js';
import { logBrokerEvents } from './events.js';
import { createGuard, type ConnectionGuard } from './guard.js';
import { brokerHealth } from './health.js';
import { createHooks } from './hooks/index.js';
import { startSideHttp, type HealthReport, type SideHttp } from './http.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import { resolveLimits, type BrokerLimits, type LimitsInput } from './limits.js';
import { DEFAULT_MAX_CONNECTIONS, startTcpListener, startTlsListener, startWsListener, type Listener, type TlsListener } from './listeners.js';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.js';
import { redisBackend, resumeRoutingAfterOutage, type ClusterBackend } from './persistence.js';
import { clearUnretainable, type RetainedStore } from './retained.js';
import { Sessions } from './sessions.js';

export interface BrokerOptions {
  /** MQTT TCP port; 0 picks a free one (see BrokerHandle.port). */
  port: number;
  /** Interface to bind (see DEFAULT_BROKER_HOST). */
  host?: string;
  /** The credential store file (credentials-file.ts). Must exist and be valid. */
  credentialsFile: string;
  logger?: Logger;
  /** Port of the side HTTP server (/metrics, /healthz); undefined = none, 0 = a free one. */
  metricsPort?: number;
  /** Interface of the side HTTP server (see DEFAULT_BROKER_HOST). */
  metricsHost?: string;
  /** Open MQTT connections at most (see DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Reload polling, verification cache and limits of the credential store. */
  credentials?: Omit<CredentialStoreOptions, 'file' | 'logger'>;
  /** Limits against misbehaving clients (see DEFAULT_LIMITS); fields left out keep their defaults. */
  limits?: LimitsInput;
  /** MQTT over TLS: port (0 = a free one) and PEM files. SIGHUP in main.ts calls reloadTls(). */
  tls?: { port: number; certFile: string; keyFile: string };
  /** MQTT over WebSocket on this port (0 = a free one), same host. */
  ws?: { port: number };
  /** `redis://host:port/db`: share sessions, retained messages and queues with other brokers on it. */
  redisUrl?: string;
  /** Refuse a Redis without appendonly yes / with an evicting policy (default true; false: not checked). */
  redisDurabilityCheck?: boolean;
  /**
   * Keep sessions, subscriptions, queued QoS 1/2 messages, retained messages and wills in this
   * folder (broker/src/disk-state.ts), so a restart loses nothing; a station's PUBACK then waits
   * until its message is on disk. Undefined: in memory only. Not used with redisUrl.
   */
  stateDir?: string;
  /** Compact the state journal beyond this size (see DEFAULT_COMPACT_BYTES). */
  stateCompactBytes?: number;
  /**
   * Every node announces itself this often (aedes' heartbeat); with Redis a node not heard for 3
   * heartbeats is dead and its clients' wills are published (see DEFAULT_HEARTBEAT_MS).
   */
  heartbeatMs?: number;
  /** Passed to aedes. Hooks, persistence, mq and the heartbeat are set by the broker. */
  aedes?: Omit<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward' | 'published'>;
}

export interface BrokerHandle {
  /** The bound MQTT port. */
  port: number;
  host: string;
  /** `mqtt://host:port`, usable by clients on this machine. */
  url: string;
  /** The bound metrics port, when the side HTTP server runs. */
  metricsPort: number | undefined;
  /** The bound TLS port, when TLS is on. */
  tlsPort: number | undefined;
  /** The bound WebSocket port, when WebSocket is on. */
  wsPort: number | undefined;
  limits: BrokerLimits;
  /** Read the TLS certificate and key again (no-op without TLS). Rejects with TlsFilesError, keeping the old ones. */
  reloadTls(): Promise<void>;
  aedes: Aedes;
  metrics: Registry;
  credentials: CredentialStore;
  health(): HealthReport;
  /** Stop accepting, close every client (their wills are published), stop the side server. */
  close(): Promise<void>;
}

/**
 * Default interface: loopback. Plain TCP carries secrets in clear text: remote stations should
 * use the TLS listener (BrokerOptions.tls); set host (YIZHAN_MQTT_HOST) to 0.0.0.0 deliberately.
 */
export const DEFAULT_BROKER_HOST = '127.0.0.1';

/**
 * Heartbeat of a broker node. With Redis, a dead node's wills are published 15–20 s after its
 * death (3 to 4 heartbeats); one message per node and heartbeat. aedes' default (60 s) gave
 * 3–7 minutes, after the stations had long reconnected.
 */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/** aedes' own ceiling (its topic matcher allows 100 levels). */
const AEDES_MAX_TOPIC_LEVELS = 100;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Start the broker. Throws CredentialsFileError (nothing started) when the credentials file is
 * missing or broken, AedesVersionError on an aedes release the patches were not written for, and
 * the listen error (e.g. EADDRINUSE) when a port is taken.
 */
export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const log = opts.logger ?? pino({ name: 'broker', level: process.env.LOG_LEVEL ?? 'info' });
  const host = opts.host ?? DEFAULT_BROKER_HOST;
  const store = new CredentialStore({ ...opts.credentials, file: opts.credentialsFile, logger: log });
  await store.load();

  const sessions = new Sessions(store, log);
  const limits = resolveLimits(opts.limits);
  const backend = await openBackend(opts, limits, log);
  const late: { guard?: ConnectionGuard; patched?: Patched } = {};
  const metrics = createBrokerMetrics({
    store,
    connectedByRole: () => sessions.connectedByRole(),
    bytes: () => late.guard?.bytes() ?? { in: 0, out: 0 },
    queueDepth: () => late.patched?.queues.depth() ?? 0,
    redis: backend ? () => backend.redis.stats() : undefined,
  });
  // aedes calls the hooks only for connections, which the guard admits: late.guard is set by then.
  const guardProxy: Pick<ConnectionGuard, 'loginFailed' | 'addressOf'> = {
    loginFailed: (c) => late.guard?.loginFailed(c),
    addressOf: (c) => late.guard?.addressOf(c),
  };
  const hooks = createHooks({ store, log, metrics, sessions: sessions.byClient, limits, guard: guardProxy });
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const aedes = await createAedes({ ...opts, heartbeatMs }, limits, hooks, backend);
  if (backend) resumeRoutingAfterOutage(aedes, backend, log);
  const patched = await patchAedes(aedes, {
    log,
    registry: metrics.registry,
    redis: backend !== undefined,
    cluster: backend ? { redis: backend.redis.db, heartbeatMs } : undefined,
    stateDir: opts.stateDir,
    stateCompactBytes: opts.stateCompactBytes,
    maxQueuedPerClient: limits.maxQueuedPerClient,
    onQueueDrop: queueDropReporter(metrics, limits, log),
  }).catch((err: unknown) => abandon(err, aedes, undefined, backend));
  late.patched = patched;
  const { disk } = patched;
  try {
    await clearUnretainable((aedes as Aedes & { persistence: RetainedStore }).persistence, log);
  } catch (err) {
    log.error({ err }, 'could not check retained messages on never-retained topics; old ones may be replayed');
  }
  const guard = createGuard(aedes, limits, log, metrics.registry);
  late.guard = guard;
  sessions.attach(aedes, metrics);
  logBrokerEvents(aedes, metrics, limits, log);

  let closing = false;
  const health = (): HealthReport => brokerHealth({ store, sessions, disk, redis: backend?.redis, closing: () => closing });
  const started = await listen(guard, opts, host, (o) => startSideHttp({ ...o, registry: metrics.registry, health, log }), log).catch((err: unknown) =>
    abandon(err, aedes, disk, backend),
  );
  store.start();
  const listener = started.listener;
  if (!LOOPBACK.has(host))
    log.warn({ host }, 'MQTT listens on a non-loopback interface over plain TCP: secrets are not encrypted on the wire; prefer TLS (YIZHAN_MQTT_TLS_PORT) for remote stations');
  log.info(
    { host, port: listener.port, tlsPort: started.tls?.port, wsPort: started.ws?.port, metricsPort: started.http?.port, credentialsFile: store.file, cluster: backend ? 'redis' : 'memory' },
    'broker listening',
  );

  let closed: Promise<void> | undefined;
  return {
    port: listener.port,
    host,
    url: `mqtt://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${listener.port}`,
    metricsPort: started.http?.port,
    tlsPort: started.tls?.port,
    wsPort: started.ws?.port,
    limits,
    reloadTls: async () => started.tls?.reload(),
    aedes,
    metrics: metrics.registry,
    credentials: store,
    health,
    close() {
      closing = true;
      patched.stop();
      return (closed ??= closeAll(store, started, aedes, disk, backend, log));
    },
  };
}

/** Counts every message dropped by a full session queue; logs one line per client and interval. */
function queueDropReporter(metrics: BrokerMetrics, limits: BrokerLimits, log: Logger): (clientId: string) => void {
  const throttle = new LogThrottle(limits.logIntervalMs);
  return (clientId) => {
    metrics.queueDrops.inc();
    const suppressed = throttle.pass(clientId);
    if (suppressed !== undefined)
      log.warn({ clientId, max: limits.maxQueuedPerClient, ...(suppressed ? { suppressed } : {}) }, 'queue full: QoS 1/2 message dropped for this client');
  };
}

type Hooks = ReturnType<typeof createHooks>;

/** Cluster mode: connect to Redis and check it (throws RedisStartError). */
async function openBackend(opts: BrokerOptions, limits: BrokerLimits, log: Logger): Promise<ClusterBackend | undefined> {
  if (!opts.redisUrl) return undefined;
  const backend = await redisBackend(opts.redisUrl, { log, logIntervalMs: limits.logIntervalMs, durabilityCheck: opts.redisDurabilityCheck });
  log.info(
    { cluster: 'redis', heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, docs: 'docs/broker.md#cluster-several-broker-processes-as-one' },
    'cluster mode: sessions, queues, retained messages and wills in Redis, shared with the other broker nodes on it; Redis is the one part every node needs',
  );
  return backend;
}

/** Create aedes on the backend; on a failure (e.g. Redis gone during its set-up), disconnect from Redis and throw. */
async function createAedes(opts: BrokerOptions & { heartbeatMs: number }, limits: BrokerLimits, hooks: Hooks, backend: ClusterBackend | undefined): Promise<Aedes> {
  return Aedes.createBroker({
    // aedes' default (100 messages in flight in its emitter, more are queued) crashes the broker in
    // a reconnect storm: every connect and disconnect publishes a $SYS message, and mqemitter
    // releases a queue of messages that complete synchronously by recursion, so thousands queued at
    // once overflow the stack ("Maximum call stack size exceeded", mcollina/mqemitter#204; seen
    // with 10,000 stations in bench:ingest --storm). 0: no in-flight limit, nothing queued there
    // (that queue was unbounded anyway; the per-client queue bounds memory).
    concurrency: 0,
    ...opts.aedes,
    heartbeatInterval: opts.heartbeatMs,
    ...(backend ? { persistence: backend.persistence, mq: backend.mq } : {}),
    connectTimeout: limits.connectTimeoutMs,
    drainTimeout: limits.drainTimeoutMs,
    // aedes closes the connection for a filter deeper than this; the hooks refuse deeper than
    // limits.maxTopicLevels with SUBACK 0x80 first (publish: ACL, outside the station tree).
    maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
    queueLimit: limits.preConnectQueue,
    ...hooks,
  }).catch(async (err: unknown) => {
    await backend?.close();
    throw err;
  });
}

interface Started {
  listener: Listener;
  tls?: TlsListener;
  ws?: Listener;
  http?: SideHttp;
}

/** Open the MQTT listeners and the side HTTP port; on a failure, close what was opened and throw. */
async function listen(
  guard: ConnectionGuard,
  opts: BrokerOptions,
  host: string,
  startHttp: (o: { port: number; host: string }) => Promise<SideHttp>,
  log: Logger,
): Promise<Started> {
  const started: Partial<Started> = {};
  try {
    const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    started.listener = await startTcpListener(guard, { port: opts.port, host, maxConnections }, log);
    if (opts.tls) started.tls = await startTlsListener(guard, { ...opts.tls, host, maxConnections }, log);
    if (opts.ws) started.ws = await startWsListener(guard, { port: opts.ws.port, host, maxConnections }, log);
    if (opts.metricsPort !== undefined) started.http = await startHttp({ port: opts.metricsPort, host: opts.metricsHost ?? DEFAULT_BROKER_HOST });
    return { ...started, listener: started.listener };
  } catch (err) {
    await Promise.all([started.listener?.close(), started.tls?.close(), started.ws?.close()]);
    throw err;
  }
}

/** A start failed after aedes was created: close what was opened, then throw `err`. */
async function abandon(err: unknown, aedes: Aedes, disk: DiskState | undefined, backend: ClusterBackend | undefined): Promise<never> {
  await new Promise<void>((r) => aedes.close(() => r()));
  await disk?.close().catch(() => undefined);
  await backend?.close().catch(() => undefined);
  throw err;
}

async function closeAll(store: CredentialStore, started: Started, aedes: Aedes, disk: DiskState | undefined, backend: ClusterBackend | undefined, log: Logger): Promise<void> {
  store.stop();
  // stop accepting now; resolves when sockets are gone
  const listenersDone = Promise.all([started.listener.close(), started.tls?.close(), started.ws?.close()]);
  await new Promise<void>((r) => aedes.close(() => r()));
  await listenersDone;
  await disk?.close().catch((err: unknown) => log.error({ err, dir: disk.dir }, 'closing the broker state journal failed'));
  await backend?.close().catch((err: unknown) => log.error({ err }, 'closing the Redis connection failed'));
  await started.http?.close();
  log.info('broker closed');
}
