/**
 * MqttIngest sends the PUBACKs of one event-loop turn in one socket write; this test holds it to
 * what the plain code gave: every message acknowledged once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createMetrics } from '../../../server/src/metrics.js';
import { MqttIngest } from '../../../server/src/ingest/mqtt.js';
import { FakeStation, publisher } from '../helpers.js';
import { type PlainBroker, startPlainBroker } from '../../helpers/mqtt-broker.js';

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

describe('MqttIngest: acknowledgements sent in one write per loop turn', () => {
  let broker: PlainBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('acknowledges every message once: a new connection of the session gets no redelivery', async () => {
    broker = await startPlainBroker();
    const metrics = createMetrics({ defaultMetrics: false });
    const seen: number[] = [];
    const connect = async () => {
      const m = new MqttIngest(
        { url: broker?.url ?? '', clientId: 'hotpath-server', reconnectPeriodMs: 100 },
        (_topic, payload) => seen.push((JSON.parse(payload.toString()) as { seq: number }).seq),
        metrics,
        log,
      );
      m.start();
      await expect.poll(() => m.ready, { timeout: 10_000 }).toBe(true);
      return m;
    };
    let server = await connect();
    const pub = await publisher(broker.url);
    const st = new FakeStation('st-001', 'boot-0002');
    const N = 400;
    await Promise.all(
      Array.from({ length: N }, () =>
        pub.pub('st-001', 'telemetry', st.telemetry([{ sensor: 'door', kind: 'door', value: 1 }])),
      ),
    );
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(N);
    await server.stop();
    server = await connect();
    // Unacknowledged messages would come again now; one more proves the session delivers.
    await pub.pub('st-001', 'telemetry', st.telemetry([{ sensor: 'door', kind: 'door', value: 0 }]));
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(N + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
    await server.stop();
    await pub.close();
  });
});
