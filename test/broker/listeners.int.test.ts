/**
 * TLS (certificate from files, reloaded on SIGHUP without dropping connections) and MQTT over
 * WebSocket. Certificates are made with openssl at test time; no key is ever committed.
 */
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { stationTopic } from '@yizhan/protocol';
import { freePort } from '../../scripts/lib/ports.js';
import { closed, connect, inbox, makeCert, spawnBroker, startTestBroker, tempDir, type TestBroker } from './helpers.js';
import { run } from '../helpers/processes.js';
import { mosquittoAuth } from './raw.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('yizhan-tls-')));
afterAll(async () => cleanup());

/** The CN of the certificate the server presents to a new TLS connection. */
function presentedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      const raw = s.getPeerX509Certificate();
      s.destroy();
      resolve(raw ? (/CN=([^\n,]+)/.exec(new X509Certificate(raw.raw).subject)?.[1] ?? '') : '');
    });
    s.on('error', reject);
  });
}

describe('TLS and WebSocket listeners (in-process broker)', () => {
  let tb: TestBroker;
  let ca: string;
  beforeAll(async () => {
    const { cert, key } = await makeCert(dir, 'yizhan-test');
    ca = cert;
    tb = await startTestBroker(
      [
        { username: 'st-001', role: 'station' },
        { username: 'server', role: 'server' },
      ],
      { tls: { port: 0, certFile: cert, keyFile: key }, ws: { port: 0 } },
    );
  });
  afterAll(async () => tb.stop());

  it('mosquitto_pub over TLS (verifying the certificate) reaches a server subscribed over plain TCP', async () => {
    const server = await connect(tb.broker.url, 'server', tb.secret('server'), { clientId: 'server-main' });
    const box = inbox(server);
    await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 1 });
    const r = await run('mosquitto_pub', [
      ...mosquittoAuth(tb.broker.tlsPort, 'st-001', tb.secret('st-001'), { cafile: ca, v311: true }),
      '-t',
      stationTopic('st-001', 'telemetry'),
      '-m',
      '{"tls":true}',
      '-q',
      '1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await box.next(stationTopic('st-001', 'telemetry'))).payload).toBe('{"tls":true}');
    await server.endAsync();
  });

  it('a client that does not trust the certificate is refused by its own TLS check', async () => {
    const r = await run('mosquitto_pub', [
      ...mosquittoAuth(tb.broker.tlsPort, 'st-001', 'x'),
      '--capath',
      '/nonexistent',
      '-t',
      'a',
      '-m',
      'x',
    ]);
    expect(r.code).not.toBe(0);
  });

  it('a station over WebSocket publishes; credentials and ACLs apply as on TCP', async () => {
    const wsUrl = `ws://127.0.0.1:${tb.broker.wsPort}/mqtt`;
    const server = await connect(tb.broker.url, 'server', tb.secret('server'), { clientId: 'server-main' });
    const box = inbox(server);
    await server.subscribeAsync(stationTopic('st-001', 'status'), { qos: 1 });
    const st = await connect(wsUrl, 'st-001', tb.secret('st-001'));
    await st.publishAsync(stationTopic('st-001', 'status'), '{"ws":true}', { qos: 1 });
    expect((await box.next(stationTopic('st-001', 'status'))).payload).toBe('{"ws":true}');
    // an ACL denial closes a WebSocket connection like a TCP one
    st.publish(stationTopic('st-002', 'status'), 'x', { qos: 1 });
    await closed(st);
    await server.endAsync();
  });
});

describe('broker process: SIGHUP reloads the TLS certificate', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // a minute to start: on a loaded 2-core machine compiling and starting the broker takes seconds
  it(
    'new connections get the new certificate, open ones stay connected; a broken pair keeps the old one',
    { timeout: 90_000 },
    async () => {
      const dataDir = join(dir, 'proc');
      const secrets = await provisionAccounts(join(dataDir, 'credentials.json'), [
        { username: 'st-001', role: 'station' },
      ]);
      const { cert, key } = await makeCert(dir, 'first-cert');
      const [mqttPort, tlsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const broker = spawnBroker({
        YIZHAN_DATA_DIR: dataDir,
        YIZHAN_MQTT_PORT: String(mqttPort),
        YIZHAN_MQTT_TLS_PORT: String(tlsPort),
        YIZHAN_MQTT_TLS_CERT: cert,
        YIZHAN_MQTT_TLS_KEY: key,
        YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
      });
      const proc = broker.proc;
      child = proc;
      const out = (): string => broker.output();
      await broker.listening([mqttPort, tlsPort, metricsPort]);
      expect(await presentedCn(tlsPort)).toBe('first-cert');
      const secret = secrets.get('st-001') ?? '';
      const st = await connect(`mqtts://127.0.0.1:${tlsPort}`, 'st-001', secret, {
        ca: await readFile(cert),
      });

      await makeCert(dir, 'second-cert'); // renewal writes the same files
      proc.kill('SIGHUP');
      await waitFor('reload log line', () => out().includes('TLS certificate reloaded'));
      expect(await presentedCn(tlsPort)).toBe('second-cert');
      expect(st.connected).toBe(true);

      await writeFile(key, 'not a key');
      proc.kill('SIGHUP');
      await waitFor('reload error line', () => out().includes('TLS files not reloaded'));
      expect(await presentedCn(tlsPort)).toBe('second-cert');
      await st.endAsync();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  );
});
