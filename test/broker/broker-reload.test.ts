/** Credential changes while the broker runs, and its metrics/health side port. */
import { readFile, writeFile, rename } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { provisionAccounts, revokeAccount, rotateAccount } from '@yizhan/broker/credentials';
import { brokerSuite, closed, connectRefused, metric, waitFor } from './helpers.js';

const suite = brokerSuite([
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'st-003', role: 'station' },
    { username: 'server', role: 'server' },
  ]);

const as = (username: string, password?: string): Promise<MqttClient> => suite.as(username, { password });

describe('credential changes without a restart', () => {
  it('rotate: the old secret is refused, its live connection is closed, the new secret works', async () => {
    const old = suite.tb.secret('st-001');
    const live = await as('st-001', old);
    const gone = closed(live);
    const fresh = await rotateAccount(suite.tb.file, 'st-001');
    await gone;
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_sessions_revoked_total', { reason: 'rotated' })).toBe(1);
    expect(await connectRefused(suite.tb.broker.url, 'st-001', old)).toBe(4); // also not served from the verification cache
    const again = await as('st-001', fresh);
    expect(again.connected).toBe(true);
    expect(suite.tb.logs.some((l) => l.msg === 'closing connection: account rotated' && l.clientId === 'st-001')).toBe(true);
  });

  it('revoke: the station is disconnected and cannot log in again; other stations are untouched', async () => {
    const st2 = await as('st-002');
    const st3 = await as('st-003');
    const gone = closed(st2);
    await revokeAccount(suite.tb.file, 'st-002');
    await gone;
    expect(await connectRefused(suite.tb.broker.url, 'st-002', suite.tb.secret('st-002'))).toBe(4);
    expect(st3.connected).toBe(true);
    await st3.publishAsync('yizhan/v1/stations/st-003/health', '{}', { qos: 1 });
  });

  it('a new account works as soon as it is provisioned', async () => {
    const secrets = await provisionAccounts(suite.tb.file, [{ username: 'st-004', role: 'station' }]);
    const secret = secrets.get('st-004') ?? '';
    await waitFor(() => suite.tb.broker.credentials.get('st-004') !== undefined, 'reload of st-004');
    const c = await as('st-004', secret);
    expect(c.connected).toBe(true);
  });

  it('a broken file keeps the previous accounts, logs the file and problem, and health says degraded until fixed', async () => {
    const good = await readFile(suite.tb.file, 'utf8');
    const errorsBefore = await metric(suite.tb.broker.metrics, 'yizhan_broker_credentials_reloads_total', { result: 'error' });
    // written the way an editor might: not atomically, half a file
    await writeFile(suite.tb.file, good.slice(0, good.length / 2));
    await waitFor(() => suite.tb.logs.some((l) => l.level === 50 && l.problem === 'not_json'), 'error log of the broken file');
    const line = suite.tb.logs.find((l) => l.level === 50 && l.problem === 'not_json');
    expect(line?.msg).toContain(suite.tb.file);
    expect(line?.detail).toMatch(/not valid JSON at line \d+/);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_credentials_reloads_total', { result: 'error' })).toBe(errorsBefore + 1);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_credentials_file_ok')).toBe(0);

    // accounts still work, and the broken version is reported once, not on every poll
    const st3 = await as('st-003');
    expect(st3.connected).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    expect(suite.tb.logs.filter((l) => l.problem === 'not_json')).toHaveLength(1);

    const health = (await (await fetch(`http://127.0.0.1:${suite.tb.broker.metricsPort}/healthz`)).json()) as { status: string; problems: string[] };
    expect(health.status).toBe('degraded');
    expect(health.problems[0]).toContain(suite.tb.file);

    const tmp = `${suite.tb.file}.fix`;
    await writeFile(tmp, good, { mode: 0o600 });
    await rename(tmp, suite.tb.file);
    await waitFor(async () => (await metric(suite.tb.broker.metrics, 'yizhan_broker_credentials_file_ok')) === 1, 'reload of the fixed file');
    const fixed = (await (await fetch(`http://127.0.0.1:${suite.tb.broker.metricsPort}/healthz`)).json()) as { status: string };
    expect(fixed.status).toBe('ok');
  });
});

describe('side HTTP port', () => {
  it('serves Prometheus metrics with the broker counters', async () => {
    const c = await as('server');
    await c.publishAsync('yizhan/v1/stations/st-003/cmd', JSON.stringify({ v: 1, id: 'x1', ts: Date.now(), name: 'ping' }), { qos: 1 });
    const res = await fetch(`http://127.0.0.1:${suite.tb.broker.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^yizhan_broker_connected_clients\{role="server"\} 1$/m);
    expect(text).toMatch(/^yizhan_broker_messages_in_total\{qos="1"\} [1-9]\d*$/m);
    expect(text).toMatch(/^yizhan_broker_accounts\{role="station"\} \d+$/m);
    expect(text).toContain('yizhan_broker_auth_failures_total');
    expect(text).toContain('yizhan_broker_acl_denials_total');
    expect(text).toContain('yizhan_broker_process_resident_memory_bytes');
  });

  it('answers /healthz with JSON, 404 elsewhere and 405 for writes', async () => {
    const base = `http://127.0.0.1:${suite.tb.broker.metricsPort}`;
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', credentialsFile: suite.tb.file, accounts: { server: 1 } });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
