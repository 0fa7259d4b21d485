/**
 * The ingest hot path builds lines from parts made once (registry readingHead + readingTail),
 * reads write times from the joined request body (lineTimes), binds its counters once and sends
 * the PUBACKs of one event-loop turn in one socket write. These tests hold each shortcut to what
 * the plain code gave: the same bytes, the same numbers, every message acknowledged once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { StationRegistry } from '../../server/src/registry.js';
import { StateStore } from '../../server/src/state/store.js';
import { createMetrics } from '../../server/src/metrics.js';
import { Ingestor } from '../../server/src/ingest/ingest.js';
import { MqttIngest } from '../../server/src/ingest/mqtt.js';
import { readingPoint, readingTail, timeSuffix } from '../../server/src/influx/points.js';
import { lineTimes } from '../../server/src/influx/delivery.js';
import { stationTopic } from '@yizhan/protocol';
import { FakeStation, publisher, startTestBroker, stationFixture, type TestBroker } from './helpers.js';

const T0 = 1_790_000_000_123;
const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

describe('reading lines from parts built once', () => {
  const townships = ['城关镇', 'East side, 2', 'a=b', 'line\nbreak', ''];
  const registry = new StationRegistry(
    townships.map((township, i) => stationFixture(`st-10${i}`, { township, sockets: 3 })),
  );

  it.each(townships.map((township, i) => ({ township, id: `st-10${i}` })))(
    'every sensor of a station with township $township: the same line as readingPoint',
    ({ id }) => {
      const entry = registry.get(id);
      expect(entry).toBeDefined();
      if (!entry) return;
      for (const s of entry.config.sensors)
        for (const [v, ts] of [
          [61.5, T0],
          [-0.1, T0 + 1],
          [1e21, 0],
          [38.12999999523163, T0 + 0.7],
        ] as const)
          expect(registry.readingHead(entry, s.id, s.kind) + readingTail(v, timeSuffix(ts))).toBe(
            readingPoint(entry.config, s.id, s.kind, v, ts),
          );
    },
  );

  it.each([
    { what: 'unknown sensor', sensor: 'socket-9', kind: 'socket_state' },
    { what: 'kind differs from the config', sensor: 'door', kind: 'occupancy' },
    { what: 'kind of another sensor', sensor: 'heater', kind: 'water_temp' },
  ])('no head for $what', ({ sensor, kind }) => {
    const entry = registry.get('st-100');
    expect(entry && registry.readingHead(entry, sensor, kind)).toBeUndefined();
  });
});

describe('lineTimes: the time of each line, read from the joined body', () => {
  const slow = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));

  it.each([
    { what: 'reading line', line: `door,sensor=door,station=st-001 value=1 ${T0}` },
    { what: 'no space', line: '12345' },
    { what: 'ends in a space', line: 'a value=1 ' },
    { what: 'letters after the space', line: 'a value=1 12x' },
    { what: 'empty line', line: '' },
    { what: 'sixteen digits', line: 'a b 1234567890123456' },
    { what: 'leading zeros', line: 'a b 000042' },
    { what: 'newline inside the line', line: 'a\nb 17' },
  ])('$what', ({ line }) => {
    const lines = ['x 1', line, 'y 2'];
    expect([...lineTimes(lines, lines.join('\n'))]).toEqual(lines.map(slow));
  });

  it('equals Number(line.slice(lastIndexOf(" ") + 1)) for any lines', () => {
    const line = fc.string({ unit: fc.constantFrom('a', '镇', ' ', '\n', '0', '7', '9', '.', '-', 'e') });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        expect([...lineTimes(lines, lines.join('\n'))]).toEqual(lines.map(slow));
      }),
      { numRuns: 500 },
    );
  });
});

describe('Ingestor: lines, counters and refusals of telemetry', () => {
  it('writes each reading as readingPoint would, counts by leaf and refuses only the bad reading', async () => {
    const config = stationFixture('st-201', { township: '桃源乡', sockets: 2 });
    const registry = new StationRegistry([config]);
    const metrics = createMetrics({ defaultMetrics: false });
    const written: string[] = [];
    const ing = new Ingestor({
      registry,
      store: new StateStore(registry),
      metrics,
      log,
      listener: { observe: () => {} },
      sink: { write: (l) => written.push(...l), flush: async () => {}, close: async () => {} },
    });
    const st = new FakeStation('st-201', 'boot-0001');
    const ts = Date.now();
    const readings = [
      { sensor: 'occupancy', kind: 'occupancy', value: 3 },
      { sensor: 'socket-2-power', kind: 'socket_power', value: 38.12999999523163 },
      { sensor: 'socket-9', kind: 'socket_state', value: 1 },
      { sensor: 'heater', kind: 'water_temp', value: 1 },
      { sensor: 'water-temp', kind: 'water_temp', value: 61.5 },
    ];
    const topic = stationTopic('st-201', 'telemetry');
    const msg = Buffer.from(JSON.stringify(st.telemetry(readings, ts)));
    ing.handle(topic, msg);
    ing.handle(topic, msg); // redelivery
    expect(written).toEqual([
      readingPoint(config, 'occupancy', 'occupancy', 3, ts),
      readingPoint(config, 'socket-2-power', 'socket_power', 38.12999999523163, ts),
      readingPoint(config, 'water-temp', 'water_temp', 61.5, ts),
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('yizhan_ingest_messages_total{leaf="telemetry"} 1\n');
    expect(text).toContain('yizhan_ingest_rejected_total{reason="unknown_sensor"} 1\n');
    expect(text).toContain('yizhan_ingest_rejected_total{reason="kind_mismatch"} 1\n');
    expect(text).toContain('yizhan_ingest_duplicates_total 1\n');
    expect(text).not.toContain('leaf="status"');
  });
});

describe('MqttIngest: acknowledgements sent in one write per loop turn', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('acknowledges every message once: a new connection of the session gets no redelivery', async () => {
    broker = await startTestBroker();
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
