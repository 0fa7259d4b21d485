/** The broker's `/healthz` report: degraded while the credentials file, the state journal or Redis fails. */
import type { CredentialStore } from './credential-store.js';
import type { DiskState } from './disk-state.js';
import type { HealthReport } from './http.js';
import type { Sessions } from './sessions.js';

export interface HealthSources {
  store: CredentialStore;
  sessions: Sessions;
  disk: DiskState | undefined;
  /** The Redis connections, in cluster mode. */
  redis: { problem(): string | undefined } | undefined;
  closing(): boolean;
}

export function brokerHealth(src: HealthSources): HealthReport {
  const { store, disk, redis } = src;
  const st = store.stats();
  const problems: string[] = [];
  if (st.lastError) problems.push(`credentials file not reloaded (previous accounts in use): ${st.lastError}`);
  const diskProblem = disk?.problem();
  if (diskProblem) problems.push(diskProblem);
  const redisProblem = redis?.problem();
  if (redisProblem) problems.push(redisProblem);
  return {
    status: src.closing() ? 'closing' : problems.length ? 'degraded' : 'ok',
    problems,
    clients: src.sessions.connectedByRole(),
    cluster: redis ? 'redis' : 'memory',
    state: disk ? { dir: disk.dir, journalBytes: disk.journalBytes() } : redis ? 'redis' : 'memory',
    accounts: st.accountsByRole,
    credentialsFile: st.file,
    credentialsLoadedAt: st.lastReloadAt,
    uptimeS: Math.round(process.uptime()),
  };
}
