/**
 * The field tests' broker outage (gatedBroker): the stations' connections break, and the broker goes
 * away only after the server has every message the broker acknowledged to a station. MQTT QoS 1
 * hands a message over at PUBACK: the station forgets it then, so an in-memory broker that died
 * with it queued for the server would lose it — a loss no edge agent can prevent, and one the
 * outage test must not blame on the agents (it did, 1 run in 3 under load).
 */
import mqtt from 'mqtt';
import { afterAll, expect, it } from 'vitest';
import { gatedBroker } from './field-helpers.js';
import { waitFor } from '../helpers/wait.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

it('down(): stations cut off first; what the broker acknowledged reaches the server before it goes', async () => {
  const broker = await gatedBroker(['yizhan-server']);
  cleanup.push(() => broker.close());
  const server = await mqtt.connectAsync(broker.url, { clientId: 'yizhan-server-t', clean: false });
  cleanup.push(() => server.endAsync(true));
  const got: string[] = [];
  server.on('message', (_t, p) => got.push(p.toString()));
  await server.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
  const station = await mqtt.connectAsync(broker.url, { clientId: 'st-001', reconnectPeriod: 0 });
  cleanup.push(() => station.endAsync(true));
  const closed = new Promise<void>((resolve) => station.once('close', () => resolve()));

  // The server is slow to read: the broker holds acknowledged messages for it.
  (server.stream as unknown as { pause(): void }).pause();
  const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
  for (const m of sent) await station.publishAsync('yizhan/v1/stations/st-001/telemetry', m, { qos: 1 });
  let gone = false;
  const down = broker.down().then((held) => {
    gone = true;
    return held;
  });
  await closed; // the station is cut off while the broker still runs
  await new Promise((r) => setTimeout(r, 300));
  expect(gone).toBe(false); // it still holds the 20 for the server
  (server.stream as unknown as { resume(): void }).resume();
  expect(await down).toBe(sent.length);
  await waitFor('the server has every acknowledged message', () => got.length >= sent.length, 5000);
  expect(got).toEqual(sent);
});
