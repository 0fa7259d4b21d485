/**
 * The yizhan MQTT broker: aedes with per-account authentication, topic ACLs, metrics and a
 * health endpoint. `startBroker()` is used by broker/src/main.ts (its own process) and by tests.
 */
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CredentialStore, type CredentialStoreOptions } from './credential-store.js';
import type { Role } from './credentials.js';
import { createHooks, remoteOf, type Session } from './hooks.js';
import { createGuard } from './guard.js';
import { LogThrottle } from './limits.js';
import { startSideHttp, type HealthReport, type SideHttp } from './http.js';
import { resolveLimits, type BrokerLimits, type LimitsInput } from './limits.js';
import { DEFAULT_MAX_CONNECTIONS, startTcpListener, startTlsListener, startWsListener, type Listener, type TlsListener } from './listeners.js';
import { createBrokerMetrics } from './metrics.js';
import { indexOutgoing } from './outgoing-index.js';
import { holdAcksUntilStored } from './ack-gate.js';
import { DEFAULT_STALL_MS, emitInCounterOrder } from './emit-order.js';
import { openDiskState, type DiskState } from './disk-state.js';
import { clearUnretainable, type RetainedStore } from './retained.js';
import { boundQueues, coalesceAddSubscriptions, redisBackend, skipDroppedDeliveries, type ClusterBackend, type QueueBound } from './persistence.js';

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
  /**
   * Keep sessions, subscriptions, queued QoS 1/2 messages, retained messages and wills in this
   * folder (broker/src/disk-state.ts), so a restart loses nothing; a station's PUBACK then waits
   * until its message is on disk. Undefined: in memory only. Not used with redisUrl.
   */
  stateDir?: string;
  /** Compact the state journal beyond this size (see DEFAULT_COMPACT_BYTES). */
  stateCompactBytes?: number;
  /** Passed to aedes (e.g. heartbeatInterval). Hooks, persistence and mq are set by the broker. */
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

/** aedes' own ceiling (its topic matcher allows 100 levels). */
const AEDES_MAX_TOPIC_LEVELS = 100;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Start the broker. Throws CredentialsFileError (nothing started) when the credentials file is
 * missing or broken, and the listen error (e.g. EADDRINUSE) when a port is taken.
 */
export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const log = opts.logger ?? pino({ name: 'broker', level: process.env.LOG_LEVEL ?? 'info' });
  const host = opts.host ?? DEFAULT_BROKER_HOST;
  const store = new CredentialStore({ ...opts.credentials, file: opts.credentialsFile, logger: log });
  await store.load();

  const sessions = new WeakMap<Client, Session>();
  /** Authenticated clients that are connected now. */
  const live = new Map<Client, Session>();
  const connectedByRole = (): Record<Role, number> => {
    const n: Record<Role, number> = { station: 0, server: 0, operator: 0 };
    for (const [client, s] of live) {
      if (client.closed) live.delete(client);
      else n[s.principal.role]++;
    }
    return n;
  };
  const limits = resolveLimits(opts.limits);
  const backend: ClusterBackend | undefined = opts.redisUrl ? redisBackend(opts.redisUrl) : undefined;
  const late: { guard?: ReturnType<typeof createGuard>; queues?: QueueBound } = {};
  const metrics = createBrokerMetrics({
    store,
    connectedByRole,
    bytes: () => late.guard?.bytes() ?? { in: 0, out: 0 },
    queueDepth: () => late.queues?.depth() ?? 0,
  });
  // aedes calls the hooks only for connections, which the guard admits: late.guard is set by then.
  const guardProxy = {
    loginFailed: (c: Client) => late.guard?.loginFailed(c),
    addressOf: (c: Client) => late.guard?.addressOf(c),
  } as ReturnType<typeof createGuard>;
  const hooks = createHooks({ store, log, metrics, sessions, limits, guard: guardProxy });
  const aedes = await Aedes.createBroker({
    // aedes' default (100 messages in flight in its emitter, more are queued) crashes the broker in
    // a reconnect storm: every connect and disconnect publishes a $SYS message, and mqemitter
    // releases a queue of messages that complete synchronously by recursion, so thousands queued at
    // once overflow the stack ("Maximum call stack size exceeded", mcollina/mqemitter#204; seen
    // with 10,000 stations in bench:ingest --storm). 0: no in-flight limit, nothing queued there
    // (that queue was unbounded anyway; the per-client queue bounds memory).
    concurrency: 0,
    ...opts.aedes,
    ...(backend ? { persistence: backend.persistence, mq: backend.mq } : {}),
    connectTimeout: limits.connectTimeoutMs,
    drainTimeout: limits.drainTimeoutMs,
    // aedes closes the connection for a filter deeper than this; the hooks refuse deeper than
    // limits.maxTopicLevels with SUBACK 0x80 first (publish: ACL, outside the station tree).
    maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
    queueLimit: limits.preConnectQueue,
    ...hooks,
  });
  // In memory: an indexed outgoing store, so a consumer that falls behind does not make every
  // delivery slower (broker/src/outgoing-index.ts). Before boundQueues, which wraps it.
  // Also gives every connection unused packet ids (a resumed session lost messages without it).
  const index = backend ? undefined : indexOutgoing(aedes as Aedes & { persistence: unknown });
  if (backend) coalesceAddSubscriptions(aedes);
  else if (!index) log.warn('aedes persistence is not the expected in-memory shape; outgoing queues stay unindexed (O(n) per delivery)');
  let disk: DiskState | undefined;
  if (opts.stateDir && !backend) {
    try {
      if (!index) throw new Error('the in-memory store is not the expected shape; broker state cannot be kept on disk');
      const inner = (aedes as unknown as { persistence: { asyncPersistence: unknown } }).persistence.asyncPersistence;
      disk = await openDiskState(inner, index, { dir: opts.stateDir, log, registry: metrics.registry, compactBytes: opts.stateCompactBytes });
    } catch (err) {
      await new Promise<void>((r) => aedes.close(() => r()));
      throw err;
    }
  }
  // Storing a message before its delivery takes a varying time; aedes drops a message that another
  // published after it overtook, so deliveries keep publish order (broker/src/emit-order.ts).
  emitInCounterOrder(aedes, {
    onStall: ({ brokerCounter, held }) =>
      log.error({ brokerCounter, held, stallMs: DEFAULT_STALL_MS }, 'a message has not finished storing; the messages held behind it are delivered without waiting for it'),
  });
  // On disk or in Redis: a QoS 1 PUBACK leaves once the message is stored (broker/src/ack-gate.ts).
  if (disk || backend) holdAcksUntilStored(aedes);
  try {
    await clearUnretainable((aedes as Aedes & { persistence: RetainedStore }).persistence, log);
  } catch (err) {
    log.error({ err }, 'could not check retained messages on never-retained topics; old ones may be replayed');
  }
  const guard = createGuard(aedes, limits, log, metrics.registry);
  late.guard = guard;
  const dropThrottle = new LogThrottle(limits.logIntervalMs);
  const dropLog = (clientId: string): void => {
    const suppressed = dropThrottle.pass(clientId);
    if (suppressed !== undefined)
      log.warn({ clientId, max: limits.maxQueuedPerClient, ...(suppressed ? { suppressed } : {}) }, 'queue full: QoS 1/2 message dropped for this client');
  };
  late.queues = boundQueues(
    (aedes as Aedes & { persistence: unknown }).persistence,
    limits.maxQueuedPerClient,
    (clientId) => {
      metrics.queueDrops.inc();
      dropLog(clientId);
    },
    disk?.restoredQueues,
  );
  skipDroppedDeliveries(aedes, late.queues);
  let closing = false;

  /** Why a session may no longer continue under the accounts in use, if it may not. */
  const staleReason = (s: Session): 'revoked' | 'role_changed' | 'rotated' | undefined => {
    const acc = store.get(s.principal.username);
    if (!acc) return 'revoked';
    if (acc.role !== s.principal.role) return 'role_changed';
    return acc.hash === s.accountHash ? undefined : 'rotated';
  };
  const endIfStale = (client: Client, s: Session): void => {
    const reason = staleReason(s);
    if (!reason) return;
    metrics.sessionsRevoked.inc({ reason });
    log.warn({ clientId: client.id, username: s.principal.username, reason }, `closing connection: account ${reason}`);
    live.delete(client);
    client.close();
  };

  store.on('reload', () => {
    metrics.reloads.inc({ result: 'ok' });
    for (const [client, s] of live) endIfStale(client, s);
  });
  store.on('reloadError', () => metrics.reloads.inc({ result: 'error' }));

  aedes.on('clientReady', (client) => {
    const s = sessions.get(client);
    if (!s) return;
    live.set(client, s);
    log.info({ clientId: client.id, username: s.principal.username, role: s.principal.role, remote: remoteOf(client) }, 'client connected');
    endIfStale(client, s); // the file may have changed while this CONNECT was being checked
  });
  aedes.on('clientDisconnect', (client) => {
    const s = live.get(client);
    live.delete(client);
    log.info({ clientId: client.id, username: s?.principal.username }, 'client disconnected');
  });
  aedes.on('keepaliveTimeout', (client) => {
    metrics.disconnects.inc({ reason: 'keepalive' });
    log.info({ clientId: client.id }, 'client keepalive timed out');
  });
  const errored = new WeakSet<Client>(); // a dropped client reports one error per pending write
  aedes.on('clientError', (client, err) => {
    if (errored.has(client)) return;
    errored.add(client);
    const slow = err.message === 'drain timeout';
    metrics.disconnects.inc({ reason: slow ? 'drain_timeout' : 'client_error' });
    if (slow) log.warn({ clientId: client.id, drainTimeoutMs: limits.drainTimeoutMs }, 'client disconnected: it stopped reading (drain timeout)');
    else log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => log.debug({ remote: remoteOf(client), err: err.message }, 'connection error before CONNECT'));
  // aedes emits 'error' for persistence failures; without a listener they would end the process.
  (aedes as EventEmitter).on('error', (err: Error) => log.error({ err }, 'aedes error'));

  const started: { listener?: Listener; tls?: TlsListener; ws?: Listener; http?: SideHttp } = {};
  const health = (): HealthReport => {
    const st = store.stats();
    const problems: string[] = [];
    if (st.lastError) problems.push(`credentials file not reloaded (previous accounts in use): ${st.lastError}`);
    const diskProblem = disk?.problem();
    if (diskProblem) problems.push(diskProblem);
    return {
      status: closing ? 'closing' : problems.length ? 'degraded' : 'ok',
      problems,
      clients: connectedByRole(),
      cluster: backend ? 'redis' : 'memory',
      state: disk ? { dir: disk.dir, journalBytes: disk.journalBytes() } : backend ? 'redis' : 'memory',
      accounts: st.accountsByRole,
      credentialsFile: st.file,
      credentialsLoadedAt: st.lastReloadAt,
      uptimeS: Math.round(process.uptime()),
    };
  };

  try {
    const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    started.listener = await startTcpListener(guard, { port: opts.port, host, maxConnections }, log);
    if (opts.tls) started.tls = await startTlsListener(guard, { ...opts.tls, host, maxConnections }, log);
    if (opts.ws) started.ws = await startWsListener(guard, { port: opts.ws.port, host, maxConnections }, log);
    if (opts.metricsPort !== undefined)
      started.http = await startSideHttp({ port: opts.metricsPort, host: opts.metricsHost ?? DEFAULT_BROKER_HOST, registry: metrics.registry, health, log });
  } catch (err) {
    await Promise.all([started.listener?.close(), started.tls?.close(), started.ws?.close()]);
    await new Promise<void>((r) => aedes.close(() => r()));
    await disk?.close().catch(() => undefined);
    await backend?.close().catch(() => undefined);
    throw err;
  }
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
      closed ??= (async () => {
        closing = true;
        store.stop();
        // stop accepting now; resolves when sockets are gone
        const listenersDone = Promise.all([listener.close(), started.tls?.close(), started.ws?.close()]);
        await new Promise<void>((r) => aedes.close(() => r()));
        await listenersDone;
        await disk?.close().catch((err: unknown) => log.error({ err, dir: disk?.dir }, 'closing the broker state journal failed'));
        await backend?.close().catch((err: unknown) => log.error({ err }, 'closing the Redis connection failed'));
        await started.http?.close();
        log.info('broker closed');
      })();
      return closed;
    },
  };
}
