/**
 * 1,000 stations reconnecting at once (e.g. after a mobile network outage): all get back in, and
 * a station and the server that stay connected keep their latency meanwhile.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, inbox, startTestBroker, type TestBroker } from './helpers.js';
import { rawLogin, type RawClient } from './raw.js';

const N = 1_000;
const ids = Array.from({ length: N }, (_, i) => `ld-${String(i).padStart(4, '0')}`);
/** Stations spread over 10 loopback addresses, as they would come from many networks. */
const addressOf = (i: number): string => `127.0.1.${(i % 10) + 1}`;

let tb: TestBroker;
beforeAll(async () => {
  // Cheap scrypt (N = 2^10) for the 1,000 test accounts only: provisioning stays in seconds.
  tb = await startTestBroker(
    [...ids.map((username) => ({ username, role: 'station' as const })), { username: 'st-001', role: 'station' }, { username: 'server', role: 'server' }],
    {},
    { params: { algo: 'scrypt', N: 2 ** 10, r: 8, p: 1, keyLen: 32 } },
  );
}, 120_000);
afterAll(async () => tb.stop());

async function connectAll(): Promise<RawClient[]> {
  const results = await Promise.all(
    ids.map((id, i) => rawLogin(tb.broker.port, id, tb.secret(id), { localAddress: addressOf(i) }).then(({ client, returnCode }) => ({ client, returnCode }))),
  );
  expect(results.filter((r) => r.returnCode !== 0).map((r) => r.returnCode)).toEqual([]);
  return results.map((r) => r.client);
}

it('1,000 stations reconnect at once; a connected station → server keeps its latency', async () => {
  // first connection of each: scrypt for all 1,000, in batches of 100 (what a rolling start looks like)
  let first: RawClient[] = [];
  for (let b = 0; b < N; b += 100) {
    const batch = await Promise.all(ids.slice(b, b + 100).map((id, j) => rawLogin(tb.broker.port, id, tb.secret(id), { localAddress: addressOf(b + j) })));
    expect(batch.every((r) => r.returnCode === 0)).toBe(true);
    first = first.concat(batch.map((r) => r.client));
  }

  const server = await connect(tb.broker.url, 'server', tb.secret('server'), { clientId: 'server-main' });
  const station = await connect(tb.broker.url, 'st-001', tb.secret('st-001'));
  const box = inbox(server);
  await server.subscribeAsync(stationTopic('st-001', 'telemetry'), { qos: 0 });
  const latencies: number[] = [];
  let stop = false;
  const prober = (async () => {
    for (let i = 0; !stop; i++) {
      const t0 = Date.now();
      station.publish(stationTopic('st-001', 'telemetry'), String(i), { qos: 0 });
      await box.next(stationTopic('st-001', 'telemetry'), 5_000);
      latencies.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  // the network drops every station at once; they all come back at once
  await new Promise((r) => setTimeout(r, 200));
  for (const c of first) c.socket.destroy();
  const t0 = Date.now();
  const again = await connectAll();
  const stormMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 200));
  stop = true;
  await prober;
  for (const c of again) c.socket.destroy();
  await Promise.all([server.endAsync(true), station.endAsync(true)]);

  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length * 0.5)] ?? Infinity;
  const max = latencies[latencies.length - 1] ?? Infinity;
  console.log(`1,000 reconnects in ${stormMs} ms; probe latency p50 ${p50} ms, max ${max} ms over ${latencies.length} probes`);
  expect(stormMs).toBeLessThan(10_000);
  expect(p50).toBeLessThan(50);
  expect(max).toBeLessThan(1_500);
}, 90_000);
