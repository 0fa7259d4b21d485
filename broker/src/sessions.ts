/**
 * Authenticated connections: which are live, how many per role, and enforcement of account
 * changes on them. When the credentials file changes (a secret rotated, an account revoked or
 * given another role), every live connection that no longer matches its account is closed.
 */
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { CredentialStore } from './credential-store.js';
import type { Role } from './credentials.js';
import { remoteOf, type Session } from './hooks/index.js';
import type { BrokerMetrics } from './metrics.js';

export class Sessions {
  /** Authenticated sessions by client object (set by the CONNECT hook). */
  readonly byClient = new WeakMap<Client, Session>();
  /** Authenticated clients that are connected now. */
  private readonly live = new Map<Client, Session>();

  constructor(
    private readonly store: CredentialStore,
    private readonly log: Logger,
  ) {}

  connectedByRole(): Record<Role, number> {
    const n: Record<Role, number> = { station: 0, server: 0, operator: 0 };
    for (const [client, s] of this.live) {
      if (client.closed) this.live.delete(client);
      else n[s.principal.role]++;
    }
    return n;
  }

  /** Track connections of this broker and close those whose account changed (counted in metrics). */
  attach(aedes: Aedes, metrics: BrokerMetrics): void {
    const { store, log, live } = this;
    const endIfStale = (client: Client, s: Session): void => {
      const reason = this.staleReason(s);
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
      const s = this.byClient.get(client);
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
  }

  /** Why a session may no longer continue under the accounts in use, if it may not. */
  private staleReason(s: Session): 'revoked' | 'role_changed' | 'rotated' | undefined {
    const acc = this.store.get(s.principal.username);
    if (!acc) return 'revoked';
    if (acc.role !== s.principal.role) return 'role_changed';
    return acc.hash === s.accountHash ? undefined : 'rotated';
  }
}
