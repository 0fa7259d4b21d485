/**
 * What the hooks of every packet type share: the broker's view of an authenticated connection,
 * and how a refusal is counted and logged.
 */
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { AclDecision, Principal } from '../acl.js';
import type { CredentialStore } from '../credential-store.js';
import type { ConnectionGuard } from '../guard.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import type { BrokerLimits } from '../limits.js';
import type { BrokerMetrics } from '../metrics.js';

/** What the broker knows about an authenticated connection. */
export interface Session {
  principal: Principal;
  /** Hash of the account when it authenticated; a different hash later means the secret was rotated. */
  accountHash: string;
}

export interface HookContext {
  store: CredentialStore;
  log: Logger;
  metrics: BrokerMetrics;
  /** Authenticated sessions by client object (kept until the client object is collected). */
  sessions: WeakMap<Client, Session>;
  limits: BrokerLimits;
  guard: Pick<ConnectionGuard, 'loginFailed' | 'addressOf'>;
}

export interface Reporter {
  /** Log once per key and interval (the counters count every occurrence). */
  warnOnce(key: string, fields: Record<string, unknown>, msg: string): void;
  /** Count and log a refusal of the ACL. */
  denied(action: 'publish' | 'subscribe' | 'will', client: Client | null, principal: Principal | undefined, topic: string, decision: AclDecision & { ok: false }): void;
}

/** One log line per client (or address) and kind of refusal per interval; the counters count all. */
export function createReporter(ctx: Pick<HookContext, 'log' | 'metrics' | 'limits'>): Reporter {
  const throttle = new LogThrottle(ctx.limits.logIntervalMs);
  const warnOnce: Reporter['warnOnce'] = (key, fields, msg) => {
    const suppressed = throttle.pass(key);
    if (suppressed !== undefined) ctx.log.warn(suppressed ? { ...fields, suppressed } : fields, msg);
  };
  return {
    warnOnce,
    denied(action, client, principal, topic, decision) {
      ctx.metrics.aclDenials.inc({ action, reason: decision.reason, role: principal?.role ?? 'none' });
      warnOnce(
        `acl|${action}|${client?.id ?? principal?.username ?? 'none'}`,
        { action, clientId: client?.id, username: principal?.username, role: principal?.role, topic, reason: decision.reason },
        `${action} denied: ${decision.reason}`,
      );
    },
  };
}

export function remoteOf(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string; remotePort?: number };
  return conn.remoteAddress ? `${conn.remoteAddress}:${conn.remotePort ?? ''}` : undefined;
}
