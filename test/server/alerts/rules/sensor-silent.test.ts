/**
 * sensor_silent on station time, one alert per sensor: silent 10 min while the station reports
 * fires, reporting again for 1 min resolves (the schema defaults). Frames come every minute.
 */
import { describe, expect, it } from 'vitest';
import { sensorSilentRule } from '../../../../server/src/alerts/rules/sensor-silent.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import { stationFixture } from '../../../helpers/station.js';
import { MIN, reading, runRule, T, transitions } from './sensor-rules.js';

const station = stationFixture('st-001');

/** A READINGS frame at `minute` with every sensor of the station except `omit`. */
function frame(minute: number, omit: string[] = [], historical = false): Observation[] {
  return station.sensors
    .filter((s) => !omit.includes(s.id))
    .map((s) => reading(minute, s.id, s.kind, 1, historical));
}
/** Frames at minutes from..to, `omitAt(minute)` sensors left out of each. */
function frames(from: number, to: number, omitAt: (m: number) => string[] = () => [], historical = false) {
  const out: Observation[][] = [];
  for (let m = from; m <= to; m++) out.push(frame(m, omitAt(m), historical));
  return out;
}

describe('sensor_silent', () => {
  const cases = [
    {
      name: 'ambient silent for 10 min while the rest reports → fires',
      messages: frames(0, 11, (m) => (m > 0 ? ['ambient'] : [])),
      want: ['firing ambient'],
    },
    {
      name: 'ambient silent for 9 min → nothing',
      messages: [...frames(0, 10, (m) => (m > 0 && m < 10 ? ['ambient'] : []))],
      want: [],
    },
    {
      name: 'a sensor reporting every 9 min only → nothing',
      messages: frames(0, 40, (m) => (m % 9 === 0 ? [] : ['ambient'])),
      want: [],
    },
    {
      name: 'the whole station silent for 30 min, then back → nothing (that is a dark station)',
      messages: [...frames(0, 2), ...frames(32, 35)],
      want: [],
    },
    {
      name: 'a sensor never seen since start → fires 10 min after the station started talking',
      messages: frames(0, 11, () => ['heater']),
      want: ['firing heater'],
    },
    {
      name: 'reports again and keeps reporting 1 min → resolves',
      messages: frames(0, 15, (m) => (m > 0 && m < 13 ? ['ambient'] : [])),
      want: ['firing ambient', 'resolved ambient'],
    },
    {
      name: 'one report, then silent again → keeps firing',
      messages: frames(0, 20, (m) => (m > 0 && m !== 13 ? ['ambient'] : [])),
      want: ['firing ambient'],
    },
    {
      name: 'sensors are independent: door and ambient silent, ambient comes back → only ambient resolves',
      messages: frames(0, 16, (m) => (m === 0 ? [] : m < 13 ? ['ambient', 'door'] : ['door'])),
      want: ['firing door', 'firing ambient', 'resolved ambient'],
    },
    {
      name: 'replayed (historical) frames neither advance station time nor fire',
      messages: [...frame(0).map((o) => [o]), ...frames(1, 30, () => ['ambient'], true)],
      want: [],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    expect(transitions(runRule(sensorSilentRule(), messages, { station }).events)).toEqual(want);
  });

  it('startsAt is the last reading; texts name the sensor and how long; a sensor never seen says so', () => {
    const { events } = runRule(
      sensorSilentRule(),
      frames(0, 13, (m) => (m > 2 ? ['water-level'] : [])),
      { station },
    );
    expect(events[0]).toMatchObject({
      rule: 'sensor_silent',
      severity: 'warning',
      startsAt: new Date(T + 2 * MIN).toISOString(),
      evidence: {
        sensor: 'water-level',
        lastReadingAt: new Date(T + 2 * MIN).toISOString(),
        silentForMs: 10 * MIN,
      },
    });
    expect(events[0]?.message['zh-CN']).toBe(
      '测试001号驿站：传感器“water-level”已 10 分钟无数据，驿站其他数据正常',
    );
    const never = runRule(
      sensorSilentRule(),
      frames(0, 11, () => ['heater']),
      { station },
    ).events[0];
    expect(never?.evidence).toMatchObject({ lastReadingAt: null });
    expect(never?.message.en).toContain('since the server started');
  });
});
