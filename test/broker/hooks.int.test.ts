/** Who may connect: real mqtt.js clients (and hand-made CONNECT packets) against an in-process broker. */
import { describe, expect, it } from 'vitest';
import { brokerSuite, connect, connectRefused, metric } from './helpers.js';
import { rawConnect } from './raw.js';
import { waitFor } from '../helpers/wait.js';

const suite = brokerSuite([
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'server', role: 'server' },
    { username: 'ops', role: 'operator' },
    // every refusal logged here; one line per client per interval is tested in guard.int.test.ts
  ], { limits: { logIntervalMs: 0 } });

const keep = suite.keep;

describe('authentication', () => {
  it('stations, the server and operators connect with their own secrets, counted by role', async () => {
    const url = suite.tb.broker.url;
    const st1 = await keep(connect(url, 'st-001', suite.tb.secret('st-001')));
    await keep(connect(url, 'server', suite.tb.secret('server'), { clientId: 'server-main' }));
    await keep(connect(url, 'ops', suite.tb.secret('ops'), { clientId: 'ops-laptop' }));
    expect(st1.connected).toBe(true);
    await waitFor('station gauge', async () => (await metric(suite.tb.broker.metrics, 'yizhan_broker_connected_clients', { role: 'station' })) === 1);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_connected_clients', { role: 'server' })).toBe(1);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_connected_clients', { role: 'operator' })).toBe(1);
    const line = suite.tb.logs.find((l) => l.msg === 'client connected' && l.clientId === 'ops-laptop');
    expect(line).toMatchObject({ username: 'ops', role: 'operator' });
  });

  // [name, username, password, client id, CONNACK return code, counted reason]
  const refusals: [string, string, string | undefined, string, number, string][] = [
    ['wrong password', 'st-001', 'not-the-secret', 'st-001', 4, 'bad_password'],
    ['another account\'s secret', 'st-001', '<st-002>', 'st-001', 4, 'bad_password'],
    ['unknown user', 'st-099', 'whatever-secret', 'st-099', 4, 'unknown_user'],
    ['no password', 'st-001', undefined, 'st-001', 4, 'missing_credentials'],
    ['station impersonating another station (client id ≠ username)', 'st-001', '<st-001>', 'st-002', 5, 'client_id_mismatch'],
    ['station with a made-up client id', 'st-001', '<st-001>', 'mqttjs_1234', 5, 'client_id_mismatch'],
    ['server taking a station\'s client id', 'server', '<server>', 'st-001', 5, 'client_id_reserved'],
    ['operator taking the server\'s client id', 'ops', '<ops>', 'server', 5, 'client_id_reserved'],
  ];
  const table = refusals.map(([name, username, password, clientId, code, reason]) => ({ name, username, password, clientId, code, reason }));
  it.each(table)('refuses $name with CONNACK $code ($reason)', async ({ username, password, clientId, code, reason }) => {
    const pw = password?.startsWith('<') ? suite.tb.secret(password.slice(1, -1)) : password;
    const before = await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_failures_total', { reason });
    expect(await connectRefused(suite.tb.broker.url, username, pw, { clientId })).toBe(code);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_failures_total', { reason })).toBe(before + 1);
    const log = suite.tb.logs.findLast((l) => l.reason === reason && String(l.msg).startsWith('connection refused'));
    expect(log).toMatchObject({ clientId, username });
    expect(JSON.stringify(suite.tb.logs)).not.toContain(suite.tb.secret('st-001')); // secrets never logged
  });

  it('an impersonation attempt does not disturb the real station\'s session (MQTT-3.1.4-2 takeover refused)', async () => {
    const real = await keep(connect(suite.tb.broker.url, 'st-002', suite.tb.secret('st-002')));
    let closedEarly = false;
    real.on('close', () => (closedEarly = true));
    expect(await connectRefused(suite.tb.broker.url, 'st-001', suite.tb.secret('st-001'), { clientId: 'st-002' })).toBe(5);
    expect(await connectRefused(suite.tb.broker.url, 'server', suite.tb.secret('server'), { clientId: 'st-002' })).toBe(5);
    await real.publishAsync('yizhan/v1/stations/st-002/health', '{}', { qos: 1 }); // still works
    expect(closedEarly).toBe(false);
  });

  it.each([
    ['CleanSession 0 (MQTT-3.1.3-8)', false],
    ['CleanSession 1 (server does not assign ids)', true],
  ])('refuses a zero-length client id with %s: CONNACK 2, identifier rejected', async (_name, clean) => {
    const code = await rawConnect(suite.tb.broker.port, { clientId: '', clean, username: 'server', password: suite.tb.secret('server') });
    expect(code).toBe(2);
  });

  it('hand-made CONNECT with good credentials is accepted (the raw helper is sound)', async () => {
    expect(await rawConnect(suite.tb.broker.port, { clientId: 'st-001', clean: true, username: 'st-001', password: suite.tb.secret('st-001') })).toBe(0);
  });

  it('a will on a topic other than the station\'s own status refuses the CONNECT before anything is stored', async () => {
    const before = await metric(suite.tb.broker.metrics, 'yizhan_broker_acl_denials_total', { action: 'will', reason: 'will_not_allowed', role: 'station' });
    const will = { topic: 'yizhan/v1/stations/st-002/status', payload: Buffer.from('{"state":"offline"}'), qos: 1 as const, retain: true };
    expect(await connectRefused(suite.tb.broker.url, 'st-001', suite.tb.secret('st-001'), { will })).toBe(5);
    expect(await metric(suite.tb.broker.metrics, 'yizhan_broker_acl_denials_total', { action: 'will', reason: 'will_not_allowed', role: 'station' })).toBe(before + 1);
    // nothing was stored: a subscriber to st-002's status sees no retained offline message
    const ops = await keep(connect(suite.tb.broker.url, 'ops', suite.tb.secret('ops')));
    const got: string[] = [];
    ops.on('message', (t) => got.push(t));
    await ops.subscribeAsync('yizhan/v1/stations/+/status', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
  });

  it('a reconnect storm is answered from the cache, not by running scrypt again', async () => {
    const misses = await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_cache_misses_total');
    const hits = await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_cache_hits_total');
    for (let i = 0; i < 20; i++) {
      const c = await connect(suite.tb.broker.url, 'st-002', suite.tb.secret('st-002'));
      await c.endAsync();
    }
    expect((await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_cache_misses_total')) - misses).toBeLessThanOrEqual(1);
    expect((await metric(suite.tb.broker.metrics, 'yizhan_broker_auth_cache_hits_total')) - hits).toBeGreaterThanOrEqual(19);
  });
});
