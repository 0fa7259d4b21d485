import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '@yizhan/edge/agent';
import { mockDevice, mockPathFor, PairedMockBinding } from '../../edge/src/serial/mock-pair.js';
import { encodeFrame } from '@yizhan/protocol/serial';
import { freePort } from '../../scripts/lib/ports.js';
import { stationFixture } from './fixtures.js';
import { startHarness, type Harness } from './agent-harness.js';
import { record, startTestBroker, waitFor, type Recorder, type TestBroker } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * A broker that can be taken down and brought back on the same port. While it comes back, only
 * the recorder may connect, so that it is subscribed before the agent reconnects.
 */
async function restartableBroker(): Promise<{
  url: string;
  rec: () => Recorder;
  down(): Promise<void>;
  up(): Promise<void>;
  openGate(): void;
}> {
  let b: TestBroker = await startTestBroker();
  const port = b.port;
  let r = await record(b.url);
  let gate = true;
  cleanup.push(async () => {
    await r.close();
    await b.close();
  });
  return {
    url: b.url,
    rec: () => r,
    async down() {
      await r.close();
      await b.close();
    },
    async up() {
      gate = false;
      b = await startTestBroker(port, { admit: (id) => gate || id.startsWith('rec-') });
      r = await record(b.url);
    },
    openGate() {
      gate = true;
    },
  };
}

const occ = (h: Harness, n: number) =>
  h.send({ type: 'readings', uptimeMs: n, readings: [{ channel: 2, raw: n }] });
const values = (r: Recorder) =>
  r.on('telemetry').map((m) => ({
    occ: (m.json.readings as { value: number }[])[0]?.value,
    historical: m.json.historical,
    seq: m.json.seq,
  }));

describe('edge agent and a broker that goes away', () => {
  it('queues while disconnected, reconnects with backoff, then delivers in order, late ones marked historical', async () => {
    const broker = await restartableBroker();
    const h = await startHarness(broker.rec(), broker.url, { id: 'st-201' }, { historicalAfterMs: 150 });
    cleanup.push(() => h.agent.stop());
    occ(h, 1);
    await waitFor('live telemetry', () => broker.rec().on('telemetry').length === 1);
    await broker.down();
    await waitFor('agent notices', () => !h.agent.health().mqtt.connected);
    for (let n = 2; n <= 6; n++) occ(h, n);
    await waitFor('5 queued', () => h.agent.health().outbox.depth === 5);
    await broker.up();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.agent.health().mqtt.connectFailures).toBeGreaterThan(0);
    broker.openGate();
    await waitFor('queued telemetry delivered', () => broker.rec().on('telemetry').length === 5);
    occ(h, 7);
    await waitFor('live again', () => broker.rec().on('telemetry').length === 6);
    const got = values(broker.rec());
    expect(got.map((g) => g.occ)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(got.map((g) => g.historical)).toEqual([true, true, true, true, true, undefined]);
    const first = got[0]?.seq as number;
    expect(got.map((g) => g.seq)).toEqual(got.map((_, i) => first + i));
    expect(broker.rec().on('status').at(-1)?.json).toMatchObject({ state: 'online', bootId: h.agent.bootId });
    expect(h.agent.health()).toMatchObject({
      mqtt: { connected: true, connects: 2 },
      outbox: { depth: 0, dropped: 0 },
    });
    expect(h.lines.some((l) => l.msg === 'mqtt reconnect scheduled' && typeof l.retryInMs === 'number')).toBe(
      true,
    );
  });

  it('bounds the outbox: the oldest messages are dropped and counted in health', async () => {
    const broker = await restartableBroker();
    const h = await startHarness(
      broker.rec(),
      broker.url,
      { id: 'st-202' },
      { outboxCapacity: 3, healthIntervalMs: 250 },
    );
    cleanup.push(() => h.agent.stop());
    await broker.down();
    await waitFor('agent notices', () => !h.agent.health().mqtt.connected);
    for (let n = 1; n <= 10; n++) occ(h, n);
    await waitFor('drops counted', () => h.agent.health().outbox.dropped >= 7);
    await broker.up();
    broker.openGate();
    const health = await waitFor('a health message', () => broker.rec().on('health').at(-1));
    expect((health.json.spool as { dropped: number }).dropped).toBeGreaterThanOrEqual(7);
    const occs = values(broker.rec()).map((g) => g.occ);
    // Whatever survived is the newest, in order (health messages share the 3 slots).
    expect(occs.length).toBeLessThanOrEqual(3);
    expect(occs).toEqual([...occs].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(occs.every((o) => (o ?? 0) >= 8)).toBe(true);
  });

  it('starts without a broker, keeps reading serial, and stops promptly', async () => {
    const nobody = `mqtt://127.0.0.1:${await freePort()}`;
    const station = stationFixture({ id: 'st-203' });
    const device = mockDevice(mockPathFor('st-203'));
    const agent = await startAgent({
      station,
      mqttUrl: nobody,
      password: 'x',
      binding: PairedMockBinding,
      serialPath: mockPathFor('st-203'),
      logger: pino({ level: 'silent' }),
      mqttBackoff: { initialMs: 50, maxMs: 100, factor: 2, jitter: 0 },
    });
    await waitFor('serial open', () => device.connected);
    device.write(encodeFrame({ type: 'readings', seq: 0, uptimeMs: 0, readings: [{ channel: 2, raw: 1 }] }));
    await waitFor('queued', () => agent.health().outbox.depth >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.health().mqtt.connectFailures).toBeGreaterThanOrEqual(2);
    expect(agent.health().serial).toMatchObject({ state: 'up', framesGood: 1 });
    const t0 = Date.now();
    await agent.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
