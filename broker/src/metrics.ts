/**
 * Prometheus metrics of the broker. Each broker has its own Registry (several can run in one
 * process, as in tests). Names start with `yizhan_broker_`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Role } from './credentials.js';
import type { CredentialStore } from './credential-store.js';

export interface BrokerMetrics {
  registry: Registry;
  authFailures: Counter<'reason'>;
  aclDenials: Counter<'action' | 'reason' | 'role'>;
  messagesIn: Counter<'qos'>;
  sessionsRevoked: Counter<'reason'>;
  reloads: Counter<'result'>;
}

export interface MetricsSources {
  store: CredentialStore;
  /** Connected, authenticated clients per role right now. */
  connectedByRole(): Record<Role, number>;
}

export function createBrokerMetrics(src: MetricsSources): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'yizhan_broker_' });
  const registers = [registry];

  new Gauge({
    name: 'yizhan_broker_connected_clients',
    help: 'Authenticated MQTT clients connected now, by account role',
    labelNames: ['role'],
    registers,
    collect() {
      for (const [role, n] of Object.entries(src.connectedByRole())) this.set({ role }, n);
    },
  });
  new Gauge({
    name: 'yizhan_broker_accounts',
    help: 'Accounts in the credentials file in use, by role',
    labelNames: ['role'],
    registers,
    collect() {
      for (const [role, n] of Object.entries(src.store.stats().accountsByRole)) this.set({ role }, n);
    },
  });
  new Gauge({
    name: 'yizhan_broker_credentials_file_ok',
    help: '1 when the credentials file on disk is the one in use, 0 when the last reload failed (previous accounts kept)',
    registers,
    collect() {
      this.set(src.store.stats().lastError === undefined ? 1 : 0);
    },
  });
  new Counter({
    name: 'yizhan_broker_auth_cache_hits_total',
    help: 'CONNECTs verified from the in-memory cache instead of scrypt',
    registers,
    collect() {
      this.reset();
      this.inc(src.store.stats().cacheHits);
    },
  });
  new Counter({
    name: 'yizhan_broker_auth_cache_misses_total',
    help: 'CONNECTs that needed a scrypt verification',
    registers,
    collect() {
      this.reset();
      this.inc(src.store.stats().cacheMisses);
    },
  });

  return {
    registry,
    authFailures: new Counter({
      name: 'yizhan_broker_auth_failures_total',
      help: 'Refused CONNECTs, by reason (unknown_user, bad_password, missing_credentials, empty_client_id, client_id_mismatch, client_id_reserved, will_denied, overloaded)',
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
