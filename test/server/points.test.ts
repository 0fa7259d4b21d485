/**
 * The server builds line protocol itself (server/src/influx/points.ts) instead of through the
 * client's Point. These tests hold it to the client's output for any text a station config may
 * carry (townships with spaces, commas, equals signs, line breaks), so InfluxDB sees the same
 * series either way, and to the data model the dashboards read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Point } from '@influxdata/influxdb-client';
import { faultPoint, healthPoint, readingPoint, statusPoint } from '../../server/src/influx/points.js';
import type { HealthPayload } from '@yizhan/protocol';

const T0 = 1_790_000_000_123;
const text = fc.string({
  unit: fc.constantFrom('a', 'Z', '镇', ' ', ',', '=', '\\', '"', '\n', '\t', '\r', '1'),
});
const nonEmpty = text.filter((s) => s.length > 0);
const value = fc.double({ noNaN: true, noDefaultInfinity: true });

describe('line protocol built by the server', () => {
  it.each([
    {
      what: 'reading',
      line: readingPoint({ id: 'st-001', township: '青岚镇' }, 'water-temp', 'water_temp', 61.5, T0),
      want: `water_temp,sensor=water-temp,station=st-001,township=青岚镇 value=61.5 ${T0}`,
    },
    {
      what: 'reading, township with space and comma',
      line: readingPoint({ id: 'st-002', township: 'East side, 2' }, 'door', 'door', 1, T0),
      want: `door,sensor=door,station=st-002,township=East\\ side\\,\\ 2 value=1 ${T0}`,
    },
    {
      what: 'status',
      line: statusPoint({ id: 'st-003', township: 't' }, false, T0),
      want: `station_status,station=st-003,township=t online=0 ${T0}`,
    },
    {
      what: 'fault',
      line: faultPoint({ id: 'st-004', township: 't' }, 'heater', 'heater_failure', true, T0),
      want: `fault,fault=heater_failure,sensor=heater,station=st-004 active=1 ${T0}`,
    },
    {
      what: 'empty township: tag left out (line protocol has no empty tag values)',
      line: readingPoint({ id: 'st-005', township: '' }, 'door', 'door', 0, T0),
      want: `door,sensor=door,station=st-005 value=0 ${T0}`,
    },
  ])('$what', ({ line, want }) => {
    expect(line).toBe(want);
  });

  it('health: every field, frames_bad summed over reasons, last_frame_age_ms only when known', () => {
    const h = {
      ts: T0,
      uptimeS: 3600,
      rssBytes: 52_000_000,
      serial: { state: 'down', framesGood: 10, framesBad: { crc: 2, garbage: 3 }, lastFrameAgeMs: null },
    } as unknown as HealthPayload;
    expect(healthPoint({ id: 'st-006', township: 't' }, h)).toBe(
      `agent_health,station=st-006 uptime_s=3600,rss_bytes=52000000,frames_good=10,frames_bad=5,serial_up=0 ${T0}`,
    );
    const up = { ...h, serial: { ...h.serial, state: 'up', lastFrameAgeMs: 120 } } as HealthPayload;
    expect(healthPoint({ id: 'st-006', township: 't' }, up)).toMatch(/serial_up=1,last_frame_age_ms=120 /);
  });

  it('matches the client Point for any station, sensor, township and value', () => {
    fc.assert(
      fc.property(
        nonEmpty,
        nonEmpty,
        text,
        value,
        fc.integer({ min: 0, max: 2 ** 45 }),
        (id, sensor, township, v, ts) => {
          const ours = readingPoint({ id, township }, sensor, 'water_temp', v, ts);
          const p = new Point('water_temp')
            .tag('station', id)
            .tag('sensor', sensor)
            .tag('township', township)
            .floatField('value', v)
            .timestamp(ts);
          expect(ours).toBe(p.toLineProtocol());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a value InfluxDB cannot store instead of writing a broken line', () => {
    expect(() => readingPoint({ id: 'st-007', township: 't' }, 'door', 'door', Number.NaN, T0)).toThrow(
      /not a finite number/,
    );
  });
});
