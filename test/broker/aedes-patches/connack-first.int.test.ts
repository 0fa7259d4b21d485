/**
 * No PUBLISH before the CONNACK (broker/src/aedes-patches/connack-first.ts): a persistent session
 * reconnecting while its stations publish. aedes restores the session's subscriptions before it
 * writes the CONNACK; here the will's storing, which lies between the two, is slowed so that the
 * station's messages fall into that window every time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, connectInbox, startTestBroker, type TestBroker } from '../helpers.js';
import { rawLogin } from '../raw.js';
import { sleep, waitFor } from '../../helpers/wait.js';

let tb: TestBroker;
const TOPIC = stationTopic('st-001', 'telemetry');
const SESSION = 'server-resume';
/** How long storing the reconnecting session's will takes (after its subscriptions are restored). */
const WILL_STORE_MS = 300;

beforeAll(async () => {
  tb = await startTestBroker([
    { username: 'st-001', role: 'station' },
    { username: 'server', role: 'server' },
  ]);
  const persistence = (
    tb.broker.aedes as unknown as { persistence: { delWill(c: { id: string }): Promise<unknown> } }
  ).persistence;
  const delWill = persistence.delWill.bind(persistence);
  persistence.delWill = async (c) => {
    if (c.id === SESSION) await sleep(WILL_STORE_MS);
    return delWill(c);
  };
  // the session exists, with its subscription, and is away
  const first = await connect(tb.broker.url, 'server', tb.secret('server'), {
    clientId: SESSION,
    clean: false,
  });
  await first.subscribeAsync(TOPIC, { qos: 1 });
  await first.endAsync();
});

afterAll(() => tb?.stop());

/** A station publishing QoS 1 every 10 ms until stopped; what it was acknowledged. */
async function publishing(): Promise<{ acked: string[]; stop(): Promise<void> }> {
  const st = await connect(tb.broker.url, 'st-001', tb.secret('st-001'));
  const acked: string[] = [];
  let on = true;
  const loop = (async () => {
    for (let i = 1; on; i++) {
      await st.publishAsync(TOPIC, `m-${i}`, { qos: 1 });
      acked.push(`m-${i}`);
      await sleep(10);
    }
  })();
  return {
    acked,
    async stop() {
      on = false;
      await loop;
      await st.endAsync();
    },
  };
}

it('the first packet a reconnecting session gets is its CONNACK, even with messages published while it connects [MQTT-3.2.0-1]', async () => {
  const station = await publishing();
  try {
    const { client, returnCode } = await rawLogin(tb.broker.port, 'server', tb.secret('server'), {
      clientId: SESSION,
      clean: false,
    });
    expect(returnCode).toBe(0);
    await waitFor('messages after the CONNACK', () => client.received.includes('publish'), 5_000);
    expect(client.received[0]).toBe('connack');
    client.socket.destroy();
    await client.closed;
  } finally {
    await station.stop();
  }
});

it('mqtt.js (the server) resumes its session under traffic and gets every acknowledged message', async () => {
  const station = await publishing();
  // before the fix, mqtt.js took the early PUBLISH, held its PUBACK until the CONNACK, and never
  // read the CONNACK queued behind it: this connect timed out and nothing was delivered
  const { client: server, box } = await connectInbox(tb.broker.url, 'server', tb.secret('server'), {
    clientId: SESSION,
    clean: false,
  });
  await sleep(500);
  await station.stop();
  await waitFor(
    'every acknowledged message',
    () => station.acked.every((p) => box.messages.some((m) => m.payload === p)),
    10_000,
  ).catch(() => undefined);
  const got = new Set(box.messages.map((m) => m.payload));
  expect(station.acked.filter((p) => !got.has(p))).toEqual([]);
  await server.endAsync();
});
