/**
 * A flood of connections that never finish their handshake (TLS without a ClientHello, WebSocket
 * without an upgrade, silent TCP) must not lock anybody else out: every listener applies the
 * connect rate, bans and the unauthenticated-connection budget on the raw socket, closes at the
 * connect timeout, and counts and logs it. Thousands of raw sockets from 127.0.0.x while a
 * station on 127.0.0.1 connects with Debian's mosquitto_pub (TCP, TLS) or mqtt.js (WebSocket).
 */
import { connect as tcp, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, inbox, makeCert, metric, startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { run } from '../helpers/processes.js';
import { mosquittoAuth } from './raw.js';
import { waitFor } from '../helpers/wait.js';

const FLOOD = 2_000;
const CONNECT_TIMEOUT_MS = 1_000;

/**
 * Open `n` TCP connections from `localAddress` that send nothing; resolves once all are opened or
 * refused. In batches of 250, below the listen backlog (511): beyond it the kernel leaves
 * connections half-open that the broker never sees.
 */
async function silentSockets(port: number, localAddress: string, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 250) await openBatch(sockets, port, localAddress, Math.min(250, n - i));
  return sockets;
}

async function openBatch(sockets: Socket[], port: number, localAddress: string, n: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const s = tcp({ port, host: '127.0.0.1', localAddress });
          sockets.push(s);
          s.on('error', () => resolve());
          s.once('connect', () => resolve());
          s.once('close', () => resolve());
        }),
    ),
  );
}

const open = (sockets: Socket[]): number =>
  sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;

describe('unauthenticated connections on every listener', () => {
  let tb: TestBroker;
  let ca: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const d = await tempDir('yizhan-preauth-');
    cleanup = d.cleanup;
    const { cert, key } = await makeCert(d.dir, 'yizhan-test');
    ca = cert;
    tb = await startTestBroker(
      [
        { username: 'st-001', role: 'station' },
        { username: 'server', role: 'server' },
      ],
      {
        tls: { port: 0, certFile: cert, keyFile: key },
        ws: { port: 0 },
        limits: { connectTimeoutMs: CONNECT_TIMEOUT_MS },
      },
    );
  });
  afterAll(async () => {
    await tb.stop();
    await cleanup();
  });

  const publishWithMosquitto = (port: number, tls: boolean, text: string) =>
    run('mosquitto_pub', [
      ...mosquittoAuth(port, 'st-001', tb.secret('st-001'), tls ? { cafile: ca } : {}),
      '-q',
      '1',
      '-t',
      stationTopic('st-001', 'telemetry'),
      '-m',
      text,
    ]);

  const cases = [
    { listener: 'tcp', from: '127.0.0.2' },
    { listener: 'tls', from: '127.0.0.3' },
    { listener: 'ws', from: '127.0.0.4' },
  ] as const;

  it.each(cases)(
    '$listener: $from opens 2,000 silent sockets; they are refused or closed at the connect timeout, and a station on 127.0.0.1 still publishes',
    async ({ listener, from }) => {
      const port = { tcp: tb.broker.port, tls: tb.broker.tlsPort, ws: tb.broker.wsPort }[listener];
      if (port === undefined) throw new Error(`no ${listener} port`);
      const server = await connect(tb.broker.url, 'server', tb.secret('server'), {
        clientId: `server-${listener}`,
      });
      const box = inbox(server);
      await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 1 });

      const flood = await silentSockets(port, from, FLOOD);

      const text = `through the ${listener} flood`;
      if (listener === 'ws') {
        const st = await mqtt.connectAsync(`ws://127.0.0.1:${port}/mqtt`, {
          clientId: 'st-001',
          username: 'st-001',
          password: tb.secret('st-001'),
          protocolVersion: 4,
          reconnectPeriod: 0,
        });
        await st.publishAsync(stationTopic('st-001', 'telemetry'), text, { qos: 1 });
        await st.endAsync();
      } else {
        const r = await publishWithMosquitto(port, listener === 'tls', text);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      expect((await box.next(stationTopic('st-001', 'telemetry'))).payload).toBe(text);

      // every silent socket is gone soon after the connect timeout (TLS: no ClientHello ever sent)
      await waitFor(
        `all ${listener} flood sockets closed`,
        () => open(flood) === 0,
        CONNECT_TIMEOUT_MS + 4_000,
      );
      const drops = (reason: string) =>
        metric(tb.broker.metrics, 'yizhan_broker_guard_drops_total', { listener, reason });
      expect(await drops('connect_timeout')).toBeGreaterThanOrEqual(1);
      expect(
        (await drops('connect_rate')) + (await drops('preauth_per_address')) + (await drops('banned')),
      ).toBeGreaterThanOrEqual(FLOOD - tb.broker.limits.maxPreAuthPerAddress);
      expect(await metric(tb.broker.metrics, 'yizhan_broker_preauth_connections')).toBe(0);
      const logged = tb.logs.filter(
        (l) => l.listener === listener && l.remote === from && String(l.msg).startsWith('connection closed'),
      );
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect(logged.length).toBeLessThan(20); // rate-limited: one line per reason and address per interval
      await server.endAsync();
    },
  );
});

describe('the global budget of unauthenticated connections', () => {
  it('two flooding addresses share it; a third address still gets in (the oldest of the largest holder is closed)', async () => {
    const d = await tempDir('yizhan-preauth-');
    const { cert, key } = await makeCert(d.dir, 'yizhan-test');
    const tb = await startTestBroker([{ username: 'st-001', role: 'station' }], {
      tls: { port: 0, certFile: cert, keyFile: key },
      limits: {
        connectTimeoutMs: 10_000,
        maxPreAuth: 60,
        maxPreAuthPerAddress: 40,
        connectRate: { perSecond: 1_000, burst: 1_000 },
      },
    });
    try {
      const port = tb.broker.tlsPort ?? 0;
      const a = await silentSockets(port, '127.0.0.5', 40);
      const b = await silentSockets(port, '127.0.0.6', 40);
      // 127.0.0.6 evicts 127.0.0.5's oldest until both hold their share (60 ÷ 2), then is refused
      const drops = (reason: string) =>
        metric(tb.broker.metrics, 'yizhan_broker_guard_drops_total', { listener: 'tls', reason });
      await waitFor(
        'all 80 flood sockets admitted or refused',
        async () => (await drops('preauth_evicted')) + (await drops('preauth_full')) === 20,
      );
      expect(await drops('preauth_evicted')).toBe(10);
      expect(await drops('preauth_full')).toBe(10);
      expect(await metric(tb.broker.metrics, 'yizhan_broker_preauth_connections')).toBe(60);
      const r = await run('mosquitto_pub', [
        ...mosquittoAuth(port, 'st-001', tb.secret('st-001'), { cafile: cert }),
        '-q',
        '1',
        '-t',
        stationTopic('st-001', 'status'),
        '-r',
        '-m',
        '{}',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await drops('preauth_evicted')).toBe(11);
      await waitFor('one flood socket closed to make room', () => open(a) + open(b) === 59);
      for (const s of [...a, ...b]) s.destroy();
    } finally {
      await tb.stop();
      await d.cleanup();
    }
  });
});
