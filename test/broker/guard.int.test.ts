/**
 * Abuse: limits on the wire, per client and per address. Each case checks that the abuser is cut
 * off, that it is counted, and that a well-behaved client on the same broker is not disturbed.
 */
import type { MqttClient } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import {
  closed,
  connect,
  connectInbox,
  connectRefused,
  inbox,
  metric,
  startTestBroker,
  subscribeCodes,
  type TestBroker,
} from './helpers.js';
import { rawClient, rawLogin, type RawClient } from './raw.js';
import { waitFor } from '../helpers/wait.js';

let tb: TestBroker;
const clients: MqttClient[] = [];
const raws: RawClient[] = [];
beforeAll(async () => {
  tb = await startTestBroker(
    [
      { username: 'st-001', role: 'station' },
      { username: 'st-002', role: 'station' },
      { username: 'st-003', role: 'station' },
      { username: 'server', role: 'server' },
      { username: 'ops', role: 'operator' },
    ],
    {
      limits: {
        connectTimeoutMs: 1_000,
        drainTimeoutMs: 1_000,
        maxQueuedPerClient: 10,
        logIntervalMs: 2_000,
        publishRate: { station: { perSecond: 100, burst: 50 } },
        publishMaxDelayMs: 1_500,
        connectRate: { perSecond: 50, burst: 60 }, // the probes connect often from 127.0.0.1
        maxStrikes: 10,
      },
    },
  );
});
afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});
afterAll(async () => tb.stop());

const login = async (user: string, opts: Parameters<typeof connect>[3] = {}): Promise<MqttClient> => {
  const c = await connect(tb.broker.url, user, tb.secret(user), opts);
  clients.push(c);
  return c;
};
const drops = (reason: string): Promise<number> =>
  metric(tb.broker.metrics, 'yizhan_broker_guard_drops_total', { reason });

/** Round trip st-003 → ops of one QoS 0 message, in ms: the "other clients keep their latency" probe. */
async function probe(): Promise<number> {
  const ops = await login('ops', { clientId: `ops-probe-${Math.random().toString(36).slice(2, 8)}` });
  const st = await login('st-003');
  const box = inbox(ops);
  await ops.subscribeAsync(stationTopic('st-003', 'telemetry'), { qos: 0 });
  const t0 = Date.now();
  await st.publishAsync(stationTopic('st-003', 'telemetry'), '{}', { qos: 0 });
  await box.next(stationTopic('st-003', 'telemetry'), 3_000);
  return Date.now() - t0;
}

describe('limits on the wire', () => {
  it('a packet announcing more than the maximum is cut at its header, before it is buffered', async () => {
    const { client, returnCode } = await rawLogin(tb.broker.port, 'st-001', tb.secret('st-001'));
    raws.push(client);
    expect(returnCode).toBe(0);
    // PUBLISH announcing 200 MB; mqtt-packet alone would wait for (and buffer) all of it
    client.socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x64]));
    client.socket.write(Buffer.alloc(64 * 1024, 0x41));
    expect(await client.closed).toBeLessThan(2_000);
    expect(await drops('oversized_packet')).toBeGreaterThanOrEqual(1);
    expect(await probe()).toBeLessThan(500);
  });

  it('megabytes of junk before CONNECT: cut at the first byte; memory of the broker does not grow', async () => {
    const rss0 = process.memoryUsage().rss;
    const junk = await rawClient(tb.broker.port, { localAddress: '127.0.0.21' });
    raws.push(junk);
    const chunk = Buffer.alloc(1024 * 1024, 0x42);
    for (let i = 0; i < 8 && !junk.socket.destroyed; i++) junk.socket.write(chunk);
    expect(await junk.closed).toBeLessThan(2_000);
    expect(await drops('not_connect_first')).toBeGreaterThanOrEqual(1);
    // a CONNECT header announcing 1 MB is also cut: before authentication only 16 KiB are accepted
    const big = await rawClient(tb.broker.port, { localAddress: '127.0.0.21' });
    raws.push(big);
    big.socket.write(Buffer.from([0x10, 0x80, 0x80, 0x40]));
    big.socket.write(chunk);
    expect(await big.closed).toBeLessThan(2_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(32 * 1024 * 1024);
  });

  it('a CONNECT that never completes is closed at the connect timeout (1 s here, aedes default 30 s)', async () => {
    const slow = await rawClient(tb.broker.port, { localAddress: '127.0.0.22' });
    raws.push(slow);
    slow.socket.write(Buffer.from([0x10, 100, 0, 4])); // CONNECT header + 2 of its 100 bytes
    const ms = await slow.closed;
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3_000);
  });

  it('keepalive 0 is refused with CONNACK 2 (a dead link must be detectable)', async () => {
    expect(await connectRefused(tb.broker.url, 'st-002', tb.secret('st-002'), { keepalive: 0 })).toBe(2);
  });

  it('deeply nested topics (40 levels, the limit is 16): the filter gets SUBACK 0x80 and the connection stays; a PUBLISH closes it', async () => {
    const server = await login('server');
    const deep = ['yizhan', 'v1', 'stations', '+', ...Array.from({ length: 36 }, (_, i) => `l${i}`)].join(
      '/',
    );
    expect(await subscribeCodes(server, [deep, stationTopic('st-001', 'telemetry')])).toEqual([128, 1]);
    expect(server.connected).toBe(true);
    expect(
      await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', {
        action: 'subscribe',
        reason: 'too_many_levels',
      }),
    ).toBe(1);
    const st = await login('st-001');
    st.publish(stationTopic('st-001', 'telemetry') + '/x'.repeat(40), '{}', { qos: 1 });
    await closed(st);
    expect(await probe()).toBeLessThan(500);
  });
});

describe('limits per client', () => {
  it('publishes above the rate are delayed, not dropped; far above it, the station is disconnected', async () => {
    const ops = await login('ops');
    const box = inbox(ops);
    await ops.subscribeAsync(stationTopic('st-002', 'telemetry'), { qos: 0 });
    const st = await login('st-002');
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) st.publish(stationTopic('st-002', 'telemetry'), String(i), { qos: 0 });
    await waitFor('100 messages', () => box.messages.length >= 100, 5_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400); // 50 at once, 50 more at 100/s
    expect(box.messages.map((m) => m.payload)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(
      await metric(tb.broker.metrics, 'yizhan_broker_publish_throttled_total', { role: 'station' }),
    ).toBeGreaterThan(0);
    // 400 at once is 3.5 s behind the rate: more than publishMaxDelayMs (1.5 s)
    const flood = await login('st-002');
    for (let i = 0; i < 400; i++) flood.publish(stationTopic('st-002', 'telemetry'), 'x', { qos: 0 });
    await closed(flood, 5_000);
    expect(
      await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', { reason: 'rate_limit' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a subscriber that stops reading is disconnected at the drain timeout; the others keep their latency', async () => {
    const { client: stuck, returnCode } = await rawLogin(tb.broker.port, 'server', tb.secret('server'), {
      clientId: 'server-stuck',
    });
    raws.push(stuck);
    expect(returnCode).toBe(0);
    stuck.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'yizhan/v1/stations/st-001/telemetry', qos: 0 }],
    });
    await stuck.next('suback');
    stuck.socket.pause(); // stops reading: the kernel buffers fill, then the broker's writes wait
    const st = await login('st-001');
    const payload = 'x'.repeat(60_000);
    for (let i = 0; i < 200 && !stuck.socket.destroyed; i++) {
      await st.publishAsync(stationTopic('st-001', 'telemetry'), payload, { qos: 1 });
      if (i % 20 === 19) expect(await probe()).toBeLessThan(500);
    }
    await waitFor(
      'drain timeout',
      async () =>
        (await metric(tb.broker.metrics, 'yizhan_broker_forced_disconnects_total', {
          reason: 'drain_timeout',
        })) >= 1,
      5_000,
    );
    expect(await probe()).toBeLessThan(500);
  });

  it('a persistent session queues at most maxQueuedPerClient QoS 1 messages while away; the rest are counted', async () => {
    const server = await login('server', { clientId: 'server-q', clean: false });
    await server.subscribeAsync(stationTopic('st-003', 'events'), { qos: 1 });
    await server.endAsync();
    const st = await login('st-003');
    for (let i = 0; i < 25; i++)
      await st.publishAsync(stationTopic('st-003', 'events'), String(i), { qos: 1 });
    expect(await metric(tb.broker.metrics, 'yizhan_broker_queued_messages')).toBe(10);
    const { client: back, box } = await connectInbox(tb.broker.url, 'server', tb.secret('server'), {
      clientId: 'server-q',
      clean: false,
    });
    clients.push(back);
    await waitFor('queued messages', () => box.messages.length >= 10, 3_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(box.messages.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(await metric(tb.broker.metrics, 'yizhan_broker_queue_dropped_total')).toBe(15);
    await waitFor(
      'queue emptied by PUBACKs',
      async () => (await metric(tb.broker.metrics, 'yizhan_broker_queued_messages')) === 0,
    );
  });

  it('a connected persistent subscriber over the bound: each acknowledged message delivered or counted as dropped, and it stays connected', async () => {
    const { client: sub, returnCode } = await rawLogin(tb.broker.port, 'server', tb.secret('server'), {
      clientId: 'server-live',
      clean: false,
    });
    raws.push(sub);
    expect(returnCode).toBe(0);
    const stations = ['st-001', 'st-002', 'st-003'];
    sub.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: stations.map((s) => ({ topic: stationTopic(s, 'telemetry'), qos: 1 as const })),
    });
    await sub.next('suback');
    const dropped0 = await metric(tb.broker.metrics, 'yizhan_broker_queue_dropped_total');
    const received = (): Packet[] => sub.packets.filter((p) => p.cmd === 'publish');
    // closed loop: each station publishes its next message once the previous one is acknowledged
    const publishers = await Promise.all(stations.map((s) => login(s)));
    await Promise.all(
      publishers.map(async (st, k) => {
        for (let i = 0; i < 15; i++)
          await st.publishAsync(stationTopic(stations[k] ?? '', 'telemetry'), `${k}-${i}`, { qos: 1 });
      }),
    );
    await waitFor(
      'all 45 delivered or dropped',
      async () =>
        received().length +
          (await metric(tb.broker.metrics, 'yizhan_broker_queue_dropped_total')) -
          dropped0 ===
        45,
    );
    expect(received()).toHaveLength(10);
    expect((await metric(tb.broker.metrics, 'yizhan_broker_queue_dropped_total')) - dropped0).toBe(35);
    // still connected: its PUBACKs free the queue and the next messages reach it
    for (const p of received())
      sub.send({ cmd: 'puback', messageId: (p as { messageId: number }).messageId });
    await waitFor(
      'queue emptied by PUBACKs',
      async () => (await metric(tb.broker.metrics, 'yizhan_broker_queued_messages')) === 0,
    );
    const before = received().length;
    for (let i = 0; i < 5; i++)
      await publishers[0]?.publishAsync(stationTopic('st-001', 'telemetry'), `after-${i}`, { qos: 1 });
    await waitFor('the 5 messages after the PUBACKs', () => received().length === before + 5, 3_000);
    expect(
      received()
        .slice(before)
        .map((p) => String((p as { payload: Buffer }).payload)),
    ).toEqual(Array.from({ length: 5 }, (_, i) => `after-${i}`));
    for (const p of received().slice(before))
      sub.send({ cmd: 'puback', messageId: (p as { messageId: number }).messageId });
    await waitFor(
      'queue emptied by the last PUBACKs',
      async () => (await metric(tb.broker.metrics, 'yizhan_broker_queued_messages')) === 0,
    );
  });

  it('repeated denials of one client: every one counted, one log line per interval with the suppressed count', async () => {
    const st = await login('st-003');
    const before = await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', {
      action: 'subscribe',
    });
    const lines = (): number =>
      tb.logs.filter((l) => l.action === 'subscribe' && l.clientId === 'st-003').length;
    for (let i = 0; i < 30; i++)
      expect(await subscribeCodes(st, stationTopic('st-002', 'cmd'))).toEqual([0x80]);
    expect(
      (await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', { action: 'subscribe' })) - before,
    ).toBe(30);
    expect(lines()).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100));
    await subscribeCodes(st, stationTopic('st-002', 'cmd'));
    expect(lines()).toBe(2);
    expect(tb.logs.findLast((l) => l.action === 'subscribe' && l.clientId === 'st-003')).toMatchObject({
      suppressed: 29,
    });
  });
});

describe('limits per address', () => {
  it('repeated failed logins ban the address; the right secret from there is refused too; other addresses are served', async () => {
    for (let i = 0; i < 10; i++) {
      const { client, returnCode } = await rawLogin(tb.broker.port, 'st-001', 'wrong-secret', {
        localAddress: '127.0.0.31',
      });
      client.socket.destroy();
      expect(returnCode).toBe(4);
    }
    const { client, returnCode } = await rawLogin(tb.broker.port, 'st-001', tb.secret('st-001'), {
      localAddress: '127.0.0.31',
    });
    client.socket.destroy();
    expect(returnCode).toBe(-1); // closed without CONNACK
    expect(await drops('banned')).toBeGreaterThanOrEqual(1);
    expect(await metric(tb.broker.metrics, 'yizhan_broker_banned_addresses')).toBeGreaterThanOrEqual(1);
    const ok = await rawLogin(tb.broker.port, 'st-001', tb.secret('st-001'), { localAddress: '127.0.0.32' });
    ok.client.socket.destroy();
    expect(ok.returnCode).toBe(0);
  });

  it('a connect flood from one address is cut at accept and banned; a station elsewhere keeps its latency', async () => {
    const socks = await Promise.allSettled(
      Array.from({ length: 200 }, () => rawClient(tb.broker.port, { localAddress: '127.0.0.41' })),
    );
    for (const s of socks) if (s.status === 'fulfilled') raws.push(s.value);
    await waitFor('connect_rate drops', async () => (await drops('connect_rate')) >= 10);
    expect(await metric(tb.broker.metrics, 'yizhan_broker_bans_total')).toBeGreaterThanOrEqual(1);
    expect(await probe()).toBeLessThan(500);
  });
});

describe('observability', () => {
  it('/metrics shows traffic in and out by QoS, bytes, drops and queue depth after the abuse above', async () => {
    const res = await fetch(`http://127.0.0.1:${tb.broker.metricsPort}/metrics`);
    const text = await res.text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^yizhan_broker_messages_in_total\{qos="0"\} (\d+)/m)).toBeGreaterThan(100);
    expect(value(/^yizhan_broker_messages_out_total\{qos="0"\} (\d+)/m)).toBeGreaterThan(100);
    expect(value(/^yizhan_broker_messages_in_total\{qos="1"\} (\d+)/m)).toBeGreaterThan(10);
    expect(value(/^yizhan_broker_bytes_received_total (\d+)/m)).toBeGreaterThan(1_000_000);
    expect(value(/^yizhan_broker_bytes_sent_total (\d+)/m)).toBeGreaterThan(10_000);
    expect(
      value(/^yizhan_broker_guard_drops_total\{listener="tcp",reason="oversized_packet"\} (\d+)/m),
    ).toBeGreaterThanOrEqual(1);
    expect(value(/^yizhan_broker_queued_messages (\d+)/m)).toBe(0);
    expect(text).toMatch(/^yizhan_broker_connected_clients\{role="station"\} \d+/m);
  });
});
