import { describe, expect, it } from 'vitest';
import { FrameMapper, type MappedBody } from '../../../edge/src/agent/mapper.js';
import type { Frame } from '@yizhan/protocol/serial';
import { stationFixture } from '../../helpers/station.js';

describe('FrameMapper', () => {
  const m = new FrameMapper(stationFixture('st-001', { sockets: 1 }));
  it.each<[string, Frame, MappedBody]>([
    [
      'socket power in 0.1 W',
      { type: 'readings', seq: 0, uptimeMs: 0, readings: [{ channel: 40, raw: 655 }] },
      { leaf: 'telemetry', readings: [{ sensor: 'socket-1-power', kind: 'socket_power', value: 65.5 }] },
    ],
    [
      'negative room temperature',
      { type: 'event', seq: 0, uptimeMs: 0, channel: 3, raw: -52 },
      { leaf: 'events', event: { type: 'state', sensor: 'ambient', kind: 'ambient_temp', value: -5.2 } },
    ],
    [
      'fault cleared',
      { type: 'fault', seq: 0, uptimeMs: 0, channel: 10, code: 3, active: false },
      {
        leaf: 'events',
        event: { type: 'fault', sensor: 'socket-1', fault: 'socket_tripped', active: false },
      },
    ],
  ])('%s', (_name, frame, body) => {
    expect(m.map(frame)).toEqual({ bodies: [body], problems: [], notes: [] });
  });
  it('notes a HELLO inventory that differs from the config, and names unknown kinds', () => {
    const r = m.map({
      type: 'hello',
      seq: 0,
      firmware: { major: 2, minor: 0, patch: 1 },
      boardId: 'X',
      sensors: [
        { channel: 1, kind: 1 },
        { channel: 2, kind: 5 },
        { channel: 200, kind: 99 },
      ],
    });
    expect(r.bodies[0]).toMatchObject({
      leaf: 'events',
      event: {
        firmware: '2.0.1',
        sensors: [
          { channel: 1, kind: 'door' },
          { channel: 2, kind: 'water_temp' },
          { channel: 200, kind: 'unknown:99' },
        ],
      },
    });
    expect(r.notes[0]).toMatch(/channel 2 is water_temp on the controller, occupancy in the config/);
    expect(r.notes[0]).toMatch(/channel 3 \(ambient_temp\) configured but not reported/);
    expect(r.notes[0]).toMatch(/channel 200 \(unknown:99\) reported but not configured/);
  });
  it('calls a CONFIG_SET from the controller unexpected', () => {
    expect(m.map({ type: 'config_set', seq: 4, key: 1, value: 1 }).problems).toEqual([
      { reason: 'unexpected_type', detail: 'config_set frame from the controller (seq 4)' },
    ]);
  });
});
