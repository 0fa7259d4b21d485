/** What connected clients may do: topic ACLs, retained status, wills — real mqtt.js clients. */
import { describe, expect, it } from 'vitest';
import { stationTopic, type StatusPayload, type TelemetryPayload } from '@yizhan/protocol';
import { brokerSuite, closed, connect, inbox, metric, subscribeCodes } from './helpers.js';

const suite = brokerSuite([
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'st-003', role: 'station' },
    { username: 'server', role: 'server' },
    { username: 'ops', role: 'operator' },
    // every refusal logged here; one line per client per interval is tested in broker-limits.test.ts
  ], { limits: { logIntervalMs: 0 } });

const as = suite.as;

let seq = 0;
const telemetry = (stationId: string): string =>
  JSON.stringify({
    v: 1,
    stationId,
    bootId: 'boot-test-1',
    seq: seq++,
    ts: Date.now(),
    readings: [{ sensor: 'occupancy', kind: 'occupancy', value: 3 }],
  } satisfies TelemetryPayload);
const status = (stationId: string, state: 'online' | 'offline', reason?: string): string =>
  JSON.stringify({ v: 1, stationId, state, bootId: 'boot-test-1', ts: Date.now(), ...(reason ? { reason } : {}) } satisfies StatusPayload);

const denials = (labels: Record<string, string>): Promise<number> => metric(suite.tb.broker.metrics, 'yizhan_broker_acl_denials_total', labels);

describe('publish ACL', () => {
  it('the server reads telemetry of all stations; each station only publishes its own', async () => {
    const server = await as('server');
    const box = inbox(server);
    await server.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
    for (const id of ['st-001', 'st-002', 'st-003']) {
      const st = await as(id);
      await st.publishAsync(stationTopic(id, 'telemetry'), telemetry(id), { qos: 1 });
    }
    for (const id of ['st-001', 'st-002', 'st-003']) {
      const m = await box.next(stationTopic(id, 'telemetry'));
      expect((JSON.parse(m.payload) as TelemetryPayload).stationId).toBe(id);
    }
  });

  // [publisher, topic, retain, reason]
  const denied: [string, string, boolean, string][] = [
    ['st-001', stationTopic('st-002', 'telemetry'), false, 'other_station'],
    ['st-001', stationTopic('st-002', 'status'), true, 'other_station'],
    ['st-001', stationTopic('st-001', 'cmd'), false, 'leaf_not_allowed'],
    ['st-001', stationTopic('st-001', 'config/desired'), true, 'leaf_not_allowed'],
    ['st-001', '$SYS/broker/uptime', false, 'reserved_topic'],
    ['st-001', 'somewhere/else', false, 'outside_tree'],
    ['server', stationTopic('st-002', 'status'), true, 'leaf_not_allowed'],
    ['server', stationTopic('st-002', 'cmd'), true, 'retain_not_allowed'],
    ['ops', stationTopic('st-002', 'telemetry'), false, 'leaf_not_allowed'],
  ];
  const table = denied.map(([who, topic, retain, reason]) => ({ who, topic, retain, reason }));
  it.each(table)('$who → $topic (retain $retain) is denied ($reason): connection closed, nothing delivered', async ({ who, topic, retain, reason }) => {
    const watcher = await as('ops', { clientId: 'ops-watch' });
    const box = inbox(watcher);
    await watcher.subscribeAsync('yizhan/v1/stations/#', { qos: 1 });
    const role = who.startsWith('st-') ? 'station' : who === 'ops' ? 'operator' : 'server';
    const before = await denials({ action: 'publish', reason, role });

    const offender = await as(who);
    const gone = closed(offender);
    offender.publish(topic, '{"v":1}', { qos: 1, retain }, () => {});
    await gone; // MQTT-3.3.5-2: 3.1.1 cannot NAK, so the broker closes the connection

    expect(await denials({ action: 'publish', reason, role })).toBe(before + 1);
    const log = suite.tb.logs.findLast((l) => l.action === 'publish' && l.topic === topic);
    expect(log).toMatchObject({ clientId: who, username: who, reason, level: 40 });
    // a legitimate message sent afterwards arrives, and the denied one never did
    const st3 = await as('st-003');
    await st3.publishAsync(stationTopic('st-003', 'health'), '{}', { qos: 1 });
    await box.next(stationTopic('st-003', 'health'));
    expect(box.messages.filter((m) => m.topic === topic)).toEqual([]);
  });

  it('the server sends a command to one station; only that station receives it', async () => {
    const st1 = await as('st-001');
    const st2 = await as('st-002');
    const box1 = inbox(st1);
    const box2 = inbox(st2);
    expect((await st1.subscribeAsync(stationTopic('st-001', 'cmd'), { qos: 1 }))[0]?.qos).toBe(1);
    expect((await st2.subscribeAsync(stationTopic('st-002', 'cmd'), { qos: 1 }))[0]?.qos).toBe(1);
    const server = await as('server');
    await server.publishAsync(stationTopic('st-001', 'cmd'), JSON.stringify({ v: 1, id: 'c1', ts: Date.now(), name: 'ping' }), { qos: 1 });
    expect(JSON.parse((await box1.next(stationTopic('st-001', 'cmd'))).payload)).toMatchObject({ name: 'ping' });
    await new Promise((r) => setTimeout(r, 100));
    expect(box2.messages).toEqual([]);
  });
});

describe('subscribe ACL', () => {
  it.each([
    ['st-001', '#'],
    ['st-001', 'yizhan/v1/stations/+/cmd'],
    ['st-001', stationTopic('st-002', 'cmd')],
    ['st-001', stationTopic('st-002', 'telemetry')],
    ['server', '#'],
    ['server', '$SYS/#'],
    ['ops', 'yizhan/#'],
  ])('%s subscribing to %s gets SUBACK 0x80 and keeps its connection', async (who, filter) => {
    const c = await as(who);
    const before = await denials({ action: 'subscribe' });
    expect(await subscribeCodes(c, filter)).toEqual([0x80]);
    expect(c.connected).toBe(true);
    expect(await denials({ action: 'subscribe' })).toBe(before + 1);
    expect(suite.tb.logs.findLast((l) => l.action === 'subscribe')).toMatchObject({ clientId: who, username: who, topic: filter });
  });

  it('a station subscribing to # and its own cmd in one SUBSCRIBE gets [0x80, 1] and still receives its commands', async () => {
    const st1 = await as('st-001');
    const box = inbox(st1);
    expect(await subscribeCodes(st1, ['#', stationTopic('st-001', 'cmd')])).toEqual([0x80, 1]);
    const st2 = await as('st-002');
    await st2.publishAsync(stationTopic('st-002', 'telemetry'), telemetry('st-002'), { qos: 1 });
    const server = await as('server');
    await server.publishAsync(stationTopic('st-001', 'cmd'), JSON.stringify({ v: 1, id: 'c2', ts: Date.now(), name: 'ping' }), { qos: 1 });
    await box.next(stationTopic('st-001', 'cmd'));
    expect(box.messages.map((m) => m.topic)).not.toContain(stationTopic('st-002', 'telemetry'));
  });
});

describe('retained status and wills', () => {
  it('a retained status is delivered to a subscriber that connects later', async () => {
    const st3 = await as('st-003');
    await st3.publishAsync(stationTopic('st-003', 'status'), status('st-003', 'online'), { qos: 1, retain: true });
    const late = await as('ops', { clientId: 'ops-late' });
    const box = inbox(late);
    await late.subscribeAsync('yizhan/v1/stations/+/status', { qos: 1 });
    const m = await box.next(stationTopic('st-003', 'status'));
    expect(m.retain).toBe(true);
    expect(JSON.parse(m.payload)).toMatchObject({ stationId: 'st-003', state: 'online' });
  });

  it('the will (offline status) is published when a station drops without DISCONNECT, and retained', async () => {
    const server = await as('server');
    const box = inbox(server);
    await server.subscribeAsync(stationTopic('st-002', 'status'), { qos: 1 });
    const will = { topic: stationTopic('st-002', 'status'), payload: Buffer.from(status('st-002', 'offline', 'will')), qos: 1 as const, retain: true };
    const st2 = await connect(suite.tb.broker.url, 'st-002', suite.tb.secret('st-002'), { will });
    await st2.publishAsync(stationTopic('st-002', 'status'), status('st-002', 'online'), { qos: 1, retain: true });
    expect(JSON.parse((await box.next(will.topic)).payload)).toMatchObject({ state: 'online' });

    st2.stream.destroy(); // the link dies: no DISCONNECT packet
    const m = await box.next(will.topic);
    expect(JSON.parse(m.payload)).toMatchObject({ stationId: 'st-002', state: 'offline', reason: 'will' });
    st2.end(true);

    const late = await as('ops', { clientId: 'ops-after-will' });
    const lateBox = inbox(late);
    await late.subscribeAsync(will.topic, { qos: 1 });
    expect(JSON.parse((await lateBox.next(will.topic)).payload)).toMatchObject({ state: 'offline' });
  });

  it('no will after a clean DISCONNECT (MQTT-3.14.4-3)', async () => {
    const server = await as('server');
    const box = inbox(server);
    await server.subscribeAsync(stationTopic('st-001', 'status'), { qos: 1 });
    const will = { topic: stationTopic('st-001', 'status'), payload: Buffer.from(status('st-001', 'offline', 'will')), qos: 1 as const, retain: false };
    const st1 = await connect(suite.tb.broker.url, 'st-001', suite.tb.secret('st-001'), { will });
    await st1.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    expect(box.messages).toEqual([]);
  });
});
