/**
 * The ingest hot path builds lines from parts made once (registry readingHead + readingTail);
 * these tests hold that shortcut to what readingPoint gives: the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { StationRegistry } from '../../../server/src/registry.js';
import { readingPoint, readingTail, timeSuffix } from '../../../server/src/influx/points.js';
import { stationFixture } from '../../helpers/station.js';

const T0 = 1_790_000_000_123;

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
