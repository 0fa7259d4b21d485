/**
 * The Ingestor binds its counters once and builds lines from parts made once; these tests hold
 * it to what the plain code gave: the same lines, the same counts, only the bad reading refused.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { StationRegistry } from '../../../server/src/registry.js';
import { StateStore } from '../../../server/src/state/store.js';
import { createMetrics } from '../../../server/src/metrics.js';
import { Ingestor } from '../../../server/src/ingest/ingest.js';
import { readingPoint } from '../../../server/src/influx/points.js';
import { stationTopic } from '@yizhan/protocol';
import { FakeStation } from '../helpers.js';
import { stationFixture } from '../../helpers/station.js';

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

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
