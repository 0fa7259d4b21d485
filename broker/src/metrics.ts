/**
 * Prometheus metrics of the broker. Each broker has its own Registry (several can run in one
 * process, as in tests). Names start with `yizhan_broker_`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Role } from './credentials.js';
import type { CredentialStore } from './credential-store.js';
import type { RedisStats } from './redis.js';

export interface BrokerMetrics {
  registry: Registry;
  authFailures: Counter<'reason'>;
  aclDenials: Counter<'action' | 'reason' | 'role'>;
  messagesIn: Counter<'qos'>;
  messagesOut: Counter<'qos'>;
  publishThrottled: Counter<'role'>;
  /** Clients disconnected by aedes for a reason worth counting (drain_timeout, keepalive). */
  disconnects: Counter<'reason'>;
  /** QoS 1/2 messages not queued for a persistent session because its queue was full. */
  queueDrops: Counter;
  /** Delayed (rate-limited) PUBLISHes dropped because their client was gone by their time. */
  delayedDropped: Counter;
  /** PUBLISHes whose retain flag was removed (leaves that are never retained). */
  retainStripped: Counter;
  sessionsRevoked: Counter<'reason'>;
  reloads: Counter<'result'>;
}

export interface MetricsSources {
  store: CredentialStore;
  /** Connected, authenticated clients per role right now. */
  connectedByRole(): Record<Role, number>;
  /** Bytes read from and written to client sockets so far. */
  bytes(): { in: number; out: number };
  /** Messages queued for persistent sessions on this node now. */
  queueDepth(): number;
  /** The Redis connections, in cluster mode. */
  redis?: () => RedisStats;
}

type Registers = Registry[];

export function createBrokerMetrics(src: MetricsSources): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'yizhan_broker_' });
  const registers = [registry];
  // Registered in this order, which is the order of /metrics.
  accountGauges(src, registers);
  trafficGauges(src, registers);
  if (src.redis) redisGauges(src.redis, registers);
  return { registry, ...packetCounters(registers), ...credentialCounters(registers) };
}

/** Clients connected and the accounts and their verification cache, read at each scrape. */
function accountGauges(src: MetricsSources, registers: Registers): void {
  perRoleGauge(
    registers,
    'yizhan_broker_connected_clients',
    'Authenticated MQTT clients connected now, by account role',
    () => src.connectedByRole(),
  );
  perRoleGauge(
    registers,
    'yizhan_broker_accounts',
    'Accounts in the credentials file in use, by role',
    () => src.store.stats().accountsByRole,
  );
  readGauge(
    registers,
    'yizhan_broker_credentials_file_ok',
    '1 when the credentials file on disk is the one in use, 0 when the last reload failed (previous accounts kept)',
    () => (src.store.stats().lastError === undefined ? 1 : 0),
  );
  readCounter(
    registers,
    'yizhan_broker_auth_cache_hits_total',
    'CONNECTs verified from the in-memory cache instead of scrypt',
    () => src.store.stats().cacheHits,
  );
  readCounter(
    registers,
    'yizhan_broker_auth_cache_misses_total',
    'CONNECTs that needed a scrypt verification',
    () => src.store.stats().cacheMisses,
  );
}

/** Bytes on the client sockets and messages queued, read at each scrape. */
function trafficGauges(src: MetricsSources, registers: Registers): void {
  readCounter(
    registers,
    'yizhan_broker_bytes_received_total',
    'Bytes read from MQTT client sockets',
    () => src.bytes().in,
  );
  readCounter(
    registers,
    'yizhan_broker_bytes_sent_total',
    'Bytes written to MQTT client sockets',
    () => src.bytes().out,
  );
  readGauge(
    registers,
    'yizhan_broker_queued_messages',
    'QoS 1/2 messages queued on this node for persistent sessions (offline or awaiting PUBACK)',
    () => src.queueDepth(),
  );
}

/** Cluster mode: the Redis connections, read at each scrape. */
function redisGauges(read: () => RedisStats, registers: Registers): void {
  new Counter({
    name: 'yizhan_broker_redis_errors_total',
    help: 'Redis failures, by kind (connection: a connection error, retried; command: a command that failed, e.g. a QoS 1 message not stored and so not acknowledged)',
    labelNames: ['kind'],
    registers,
    collect() {
      const s = read();
      this.reset();
      this.inc({ kind: 'connection' }, s.connectionErrors);
      this.inc({ kind: 'command' }, s.failedCommands);
    },
  });
  readGauge(registers, 'yizhan_broker_redis_up', '1 when all three Redis connections (persistence, publish, subscribe) are ready, 0 while one is down', () =>
    read().down.length === 0 ? 1 : 0,
  );
}

/** Counted by the hooks and aedes' events, packet by packet. */
function packetCounters(
  registers: Registers,
): Omit<BrokerMetrics, 'registry' | 'sessionsRevoked' | 'reloads'> {
  return {
    messagesOut: new Counter({
      name: 'yizhan_broker_messages_out_total',
      help: 'PUBLISH packets delivered to subscribers, by QoS of the delivery',
      labelNames: ['qos'],
      registers,
    }),
    publishThrottled: new Counter({
      name: 'yizhan_broker_publish_throttled_total',
      help: 'PUBLISH packets delayed because the client exceeded its publish rate, by role',
      labelNames: ['role'],
      registers,
    }),
    disconnects: new Counter({
      name: 'yizhan_broker_forced_disconnects_total',
      help: 'Clients disconnected by the broker, by reason (drain_timeout: stopped reading; keepalive; client_error)',
      labelNames: ['reason'],
      registers,
    }),
    delayedDropped: new Counter({
      name: 'yizhan_broker_delayed_publishes_dropped_total',
      help: 'PUBLISH packets held back by the publish rate and dropped because their client was disconnected meanwhile (never published, never acknowledged)',
      registers,
    }),
    retainStripped: new Counter({
      name: 'yizhan_broker_retain_stripped_total',
      help: 'PUBLISH packets with retain set on a leaf that is never retained (telemetry, events, health, cmd/result): delivered without retain',
      registers,
    }),
    queueDrops: new Counter({
      name: 'yizhan_broker_queue_dropped_total',
      help: 'QoS 1/2 messages dropped because a persistent session already had the maximum queued',
      registers,
    }),
    authFailures: new Counter({
      name: 'yizhan_broker_auth_failures_total',
      help: 'Refused CONNECTs, by reason (unknown_user, bad_password, missing_credentials, empty_client_id, client_id_mismatch, client_id_reserved, will_denied, invalid_filter, keepalive_out_of_range, overloaded)',
      labelNames: ['reason'],
      registers,
    }),
    aclDenials: new Counter({
      name: 'yizhan_broker_acl_denials_total',
      help: 'Refused publishes, subscriptions and wills, by action, reason and role',
      labelNames: ['action', 'reason', 'role'],
      registers,
    }),
    messagesIn: new Counter({
      name: 'yizhan_broker_messages_in_total',
      help: 'PUBLISH packets accepted from clients (wills included), by QoS',
      labelNames: ['qos'],
      registers,
    }),
  };
}

/** Counted by the credential store and the sessions it closes. */
function credentialCounters(registers: Registers): Pick<BrokerMetrics, 'sessionsRevoked' | 'reloads'> {
  return {
    sessionsRevoked: new Counter({
      name: 'yizhan_broker_sessions_revoked_total',
      help: 'Connections closed because their account was removed, rotated or changed role',
      labelNames: ['reason'],
      registers,
    }),
    reloads: new Counter({
      name: 'yizhan_broker_credentials_reloads_total',
      help: 'Reloads of the credentials file, by result (ok, error)',
      labelNames: ['result'],
      registers,
    }),
  };
}

/** A gauge with one series per account role. */
function perRoleGauge(
  registers: Registers,
  name: string,
  help: string,
  read: () => Partial<Record<Role, number>>,
): void {
  new Gauge({
    name,
    help,
    labelNames: ['role'],
    registers,
    collect() {
      for (const [role, n] of Object.entries(read())) this.set({ role }, n);
    },
  });
}

function readGauge(registers: Registers, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A counter whose total another part keeps: set to that total at each scrape. */
function readCounter(registers: Registers, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
