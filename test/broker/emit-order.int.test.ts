/**
 * With the broker's state on disk (the default), a message that takes longer to store (a retained
 * status: stored as retained, then queued) must not be overtaken by a later one (a reading, a QoS 0
 * message): aedes drops an overtaken message on a live connection as a duplicate. The station
 * behaves like the edge agent (edge/src/agent/mqtt-link.ts): status retained right after CONNACK,
 * readings after it.
 */
import { describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { emitInCounterOrder } from '../../broker/src/aedes-patches/emit-order.js';
import { brokerSuite, inbox } from './helpers.js';

const STATUS = 'yizhan/v1/stations/st-001/status';
const TELEMETRY = 'yizhan/v1/stations/st-001/telemetry';

describe('live delivery order with the state journal on disk', () => {
  const s = brokerSuite([
    { username: 'st-001', role: 'station' },
    { username: 'yizhan-server', role: 'server' },
  ]);

  /** The server's persistent session, subscribed; then a station publishing `steps` at CONNACK. */
  async function run(steps: { topic: string; qos: 0 | 1; retain: boolean }[]): Promise<void> {
    const srv = await s.as('yizhan-server', { clean: false });
    const box = inbox(srv);
    await srv.subscribeAsync([STATUS, TELEMETRY], { qos: 1 });
    const st = mqtt.connect(s.tb.broker.url, { username: 'st-001', password: s.tb.secret('st-001'), clientId: 'st-001', protocolVersion: 4, reconnectPeriod: 0 });
    await s.keep(
      new Promise<mqtt.MqttClient>((resolve, reject) => {
        st.once('error', reject);
        st.once('connect', () => {
          steps.forEach((m, i) => st.publish(m.topic, JSON.stringify({ v: 1, i }), { qos: m.qos, retain: m.retain }));
          resolve(st);
        });
      }),
    );
    for (const m of steps) await box.next(m.topic); // rejects when one does not arrive
  }

  it('delivers a retained QoS 1 status followed by a QoS 1 reading to the server', async () => {
    await run([
      { topic: STATUS, qos: 1, retain: true },
      { topic: TELEMETRY, qos: 1, retain: false },
    ]);
  });

  it('delivers a retained QoS 0 status between two QoS 1 statuses, the QoS 1 ones in order', async () => {
    const srv = await s.as('yizhan-server', { clean: false });
    const got: number[] = [];
    // live deliveries only (the retained status of the test before arrives with the SUBACK, retain set)
    srv.on('message', (_t, p, pk) => {
      if (!pk.retain) got.push((JSON.parse(p.toString()) as { i: number }).i);
    });
    await srv.subscribeAsync([STATUS], { qos: 1 });
    const st = await s.as('st-001');
    st.publish(STATUS, JSON.stringify({ v: 1, i: 0 }), { qos: 1, retain: true });
    st.publish(STATUS, JSON.stringify({ v: 1, i: 1 }), { qos: 0, retain: true });
    st.publish(STATUS, JSON.stringify({ v: 1, i: 2 }), { qos: 1, retain: false });
    await expect.poll(() => got.length, { timeout: 5_000 }).toBe(3);
    // aedes publishes a QoS 1 message after writing its PUBACK, so the QoS 0 one may come first
    // (MQTT orders messages of the same QoS only)
    expect([...got].sort()).toEqual([0, 1, 2]);
    expect(got.indexOf(0)).toBeLessThan(got.indexOf(2));
  });
});

describe('emitInCounterOrder on a bare aedes', () => {
  type Store = { storeRetained: (p: { topic: string }) => Promise<void> };
  const topic = 'yizhan/v1/stations/st-001/status';

  /** An aedes whose storeRetained is `store`, with the ordering installed; what its subscriber got. */
  async function bare(
    store: Store['storeRetained'],
    opts: Parameters<typeof emitInCounterOrder>[1] = {},
  ): Promise<{ aedes: Aedes; got: string[]; publish: (payload: string, retain: boolean) => Promise<Error | undefined> }> {
    const aedes = await Aedes.createBroker();
    (aedes as unknown as { persistence: Store }).persistence.storeRetained = store;
    emitInCounterOrder(aedes, opts);
    const got: string[] = [];
    await new Promise<void>((r) =>
      aedes.subscribe(topic, (p, cb) => {
        got.push(p.payload.toString());
        cb();
      }, r),
    );
    const publish = (payload: string, retain: boolean): Promise<Error | undefined> =>
      new Promise((r) => aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain, dup: false }, (err) => r(err ?? undefined)));
    return { aedes, got, publish };
  }

  it('a message stored slowly is handed over before a later one that needs no storing', async () => {
    const { aedes, got, publish } = await bare(() => new Promise((r) => setTimeout(r, 50)));
    await Promise.all([publish('retained', true), publish('plain', false)]);
    expect(got).toEqual(['retained', 'plain']);
    aedes.close();
  });

  it('a message whose storing fails does not hold back later ones, and is not handed over', async () => {
    const { aedes, got, publish } = await bare(() => new Promise((_, reject) => setTimeout(() => reject(new Error('disk full')), 50)));
    const [failed] = await Promise.all([publish('retained', true), publish('plain', false)]);
    expect(failed?.message).toBe('disk full');
    expect(got).toEqual(['plain']);
    // refused before it is numbered (too many topic levels): nothing is held behind it
    const deep = await new Promise<Error | null | undefined>((r) => aedes.publish({ cmd: 'publish', topic: 'a/'.repeat(200) + 'b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, r));
    expect(deep?.message).toBe('topic has too many levels');
    await publish('after', false);
    expect(got).toEqual(['plain', 'after']);
    aedes.close();
  });

  it('a store that never answers holds later messages back for stallMs only, and is reported', async () => {
    const stalls: number[] = [];
    const { aedes, got, publish } = await bare(() => new Promise(() => {}), { stallMs: 200, onStall: ({ held }) => stalls.push(held) });
    void publish('retained', true);
    const t0 = Date.now();
    await publish('plain', false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(got).toEqual(['plain']);
    expect(stalls).toEqual([1]);
    aedes.close();
  });
});

describe("a connection's duplicate filter", () => {
  const s = brokerSuite([{ username: 'yizhan-server', role: 'server' }], { stateDir: undefined });

  it('passes messages of one broker id whatever the order of their counters (a will published by another node, a restarted node), and drops only a message it was handed before', async () => {
    const srv = await s.as('yizhan-server', { clean: false });
    const box = inbox(srv);
    await srv.subscribeAsync(TELEMETRY, { qos: 1 });
    const aedes = s.tb.broker.aedes as unknown as { publish(p: object, cb: (err?: Error) => void): void };
    const publish = (brokerCounter: number, payload: string): Promise<void> =>
      new Promise((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic: TELEMETRY, payload: Buffer.from(payload), qos: 1, retain: false, brokerId: 'node-x', brokerCounter }, (err) => (err ? reject(err) : resolve())),
      );
    await publish(100_000, 'numbered high by another node');
    await publish(5, 'numbered low by its own node');
    await publish(5, 'numbered low by its own node'); // the very same message again
    await publish(6, 'the next one');
    await expect.poll(() => box.messages.map((m) => m.payload)).toEqual(['numbered high by another node', 'numbered low by its own node', 'the next one']);
  });
});
