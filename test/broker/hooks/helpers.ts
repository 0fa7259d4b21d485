/** In-process context for the hook modules: real metrics and ACL, no sockets. */
import type { Client } from 'aedes';
import { pino } from 'pino';
import type { Principal } from '../../../broker/src/acl.js';
import type { CredentialStore } from '../../../broker/src/credential-store.js';
import { createReporter, type HookContext, type Session } from '../../../broker/src/hooks/context.js';
import { resolveLimits, type LimitsInput } from '../../../broker/src/limits.js';
import { createBrokerMetrics } from '../../../broker/src/metrics.js';

export function hookContext(limits: LimitsInput = {}) {
  const metrics = createBrokerMetrics({
    store: {} as CredentialStore, // read only when /metrics is scraped
    connectedByRole: () => ({ station: 0, server: 0, operator: 0 }),
    bytes: () => ({ in: 0, out: 0 }),
    queueDepth: () => 0,
  });
  const ctx: HookContext = {
    store: {} as CredentialStore,
    log: pino({ level: 'silent' }),
    metrics,
    sessions: new WeakMap<Client, Session>(),
    limits: resolveLimits(limits),
    guard: { loginFailed: () => undefined, addressOf: () => undefined },
  };
  return { ctx, report: createReporter(ctx) };
}

/** A client object as aedes gives it to the hooks, authenticated as `principal` (or not). */
export function fakeClient(ctx: HookContext, principal?: Omit<Principal, 'clientId'>): Client {
  const id = principal?.username ?? 'anonymous';
  const client = { id, closed: false, conn: {} } as unknown as Client;
  if (principal) ctx.sessions.set(client, { principal: { ...principal, clientId: id }, accountHash: 'h' });
  return client;
}

/** The value of a counter with these labels (0 when never incremented). */
export async function counter(ctx: HookContext, name: keyof HookContext['metrics'], labels: Record<string, string> = {}): Promise<number> {
  const c = ctx.metrics[name] as { get(): Promise<{ values: { labels: Record<string, string | number>; value: number }[] }> };
  const { values } = await c.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}
