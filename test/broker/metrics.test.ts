/**
 * The broker's metric catalogue: every name, type, label and help text of what /metrics serves
 * (metrics.ts and the guard's), in order, against test/broker/fixtures/metrics-catalogue.txt.
 * Dashboards, alerts and operators' queries read these names; a change here must be deliberate
 * (update the fixture and broker/README.md together).
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Aedes } from 'aedes';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CredentialStore } from '../../broker/src/credential-store.js';
import { createGuard } from '../../broker/src/guard.js';
import { resolveLimits } from '../../broker/src/limits.js';
import { createBrokerMetrics } from '../../broker/src/metrics.js';
import { valueOf } from '../helpers/prom.js';

const FIXTURE = new URL('./fixtures/metrics-catalogue.txt', import.meta.url);

function broker() {
  const store = {
    stats: () => ({
      accountsByRole: { station: 3, server: 1, operator: 2 },
      lastError: undefined,
      cacheHits: 7,
      cacheMisses: 2,
    }),
  } as unknown as CredentialStore;
  const metrics = createBrokerMetrics({
    store,
    connectedByRole: () => ({ station: 2, server: 1, operator: 0 }),
    bytes: () => ({ in: 1234, out: 5678 }),
    queueDepth: () => 9,
  });
  const aedes = Object.assign(new EventEmitter(), { handle: () => undefined }) as unknown as Aedes;
  createGuard(aedes, resolveLimits(), pino({ level: 'silent' }), metrics.registry);
  aedes.emit('closed'); // stops the guard's sweep timer
  return metrics;
}

/** Names of Node's default metrics, as the broker registers them. */
async function defaultNames(): Promise<Set<string>> {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: 'yizhan_broker_' });
  return new Set((await defaults.getMetricsAsJSON()).map((m) => m.name));
}

/** HELP and TYPE lines of the broker's own metrics (Node's default ones left out). */
async function catalogue(registry: Registry): Promise<string> {
  const skip = await defaultNames();
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((l) => /^# (HELP|TYPE) /.test(l) && !skip.has(l.split(' ')[2] ?? ''))
    .join('\n');
}

describe('broker metrics', () => {
  it('serves the same names, types and help texts, in the same order', async () => {
    const { registry } = broker();
    expect(await catalogue(registry)).toBe(readFileSync(FIXTURE, 'utf8').trimEnd());
  });

  it('keeps every label name', async () => {
    const { registry } = broker();
    const skip = await defaultNames();
    const labelled: Record<string, string[]> = {};
    for (const { name } of await registry.getMetricsAsJSON()) {
      const { labelNames } = registry.getSingleMetric(name) as unknown as { labelNames: string[] };
      if (!skip.has(name) && labelNames.length > 0) labelled[name] = labelNames;
    }
    expect(labelled).toEqual({
      yizhan_broker_connected_clients: ['role'],
      yizhan_broker_accounts: ['role'],
      yizhan_broker_messages_out_total: ['qos'],
      yizhan_broker_publish_throttled_total: ['role'],
      yizhan_broker_forced_disconnects_total: ['reason'],
      yizhan_broker_auth_failures_total: ['reason'],
      yizhan_broker_acl_denials_total: ['action', 'reason', 'role'],
      yizhan_broker_messages_in_total: ['qos'],
      yizhan_broker_sessions_revoked_total: ['reason'],
      yizhan_broker_credentials_reloads_total: ['result'],
      yizhan_broker_guard_drops_total: ['listener', 'reason'],
    });
  });

  it('reads its sources at each scrape', async () => {
    const { registry } = broker();
    const text = await registry.metrics();
    expect(valueOf(text, 'yizhan_broker_connected_clients', { role: 'station' })).toBe(2);
    expect(valueOf(text, 'yizhan_broker_accounts', { role: 'operator' })).toBe(2);
    expect(valueOf(text, 'yizhan_broker_credentials_file_ok')).toBe(1);
    expect(valueOf(text, 'yizhan_broker_auth_cache_hits_total')).toBe(7);
    expect(valueOf(text, 'yizhan_broker_auth_cache_misses_total')).toBe(2);
    expect(valueOf(text, 'yizhan_broker_bytes_received_total')).toBe(1234);
    expect(valueOf(text, 'yizhan_broker_bytes_sent_total')).toBe(5678);
    expect(valueOf(text, 'yizhan_broker_queued_messages')).toBe(9);
  });

  it('counts what the hooks count, by label', async () => {
    const metrics = broker();
    metrics.aclDenials.inc({ action: 'publish', reason: 'acl', role: 'station' });
    metrics.reloads.inc({ result: 'error' });
    const text = await metrics.registry.metrics();
    expect(
      valueOf(text, 'yizhan_broker_acl_denials_total', { action: 'publish', reason: 'acl', role: 'station' }),
    ).toBe(1);
    expect(valueOf(text, 'yizhan_broker_credentials_reloads_total', { result: 'error' })).toBe(1);
  });
});
