/**
 * socket_fault on station time, one alert per socket: tripped (fault or state 2) at once,
 * charging under 2 W for 5 min, healthy for 1 min resolves (the schema defaults).
 */
import { describe, expect, it } from 'vitest';
import { pairSockets, socketFaultRule } from '../../../../server/src/alerts/rules/socket-fault.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import { stationFixture } from '../../../helpers/station.js';
import { fault, reading, runRule, transitions } from './sensor-rules.js';

/** One READINGS frame of socket n: state and power at `minute`. */
const sock = (
  minute: number,
  n: number,
  state: number,
  powerW: number,
  historical = false,
): Observation[] => [
  reading(minute, `socket-${n}`, 'socket_state', state, historical),
  reading(minute, `socket-${n}-power`, 'socket_power', powerW, historical),
];

describe('socket_fault', () => {
  const cases = [
    { name: 'state 2 (tripped) → fires at once', messages: [sock(0, 3, 2, 0)], want: ['firing socket-3'] },
    {
      name: 'socket_tripped fault → fires at once; reset and idle 1 min → resolves',
      messages: [
        [fault(0, 'socket-1', 'socket_tripped', true)],
        [fault(2, 'socket-1', 'socket_tripped', false)],
        sock(2, 1, 0, 0),
        sock(3, 1, 0, 0),
      ],
      want: ['firing socket-1', 'resolved socket-1'],
    },
    {
      name: 'charging at 0.5 W for 5 min → fires',
      messages: [sock(0, 2, 1, 0.5), sock(3, 2, 1, 0.4), sock(5, 2, 1, 0)],
      want: ['firing socket-2'],
    },
    {
      name: 'charging at 0 W for 4 min, then 120 W → nothing',
      messages: [sock(0, 2, 1, 0), sock(4, 2, 1, 0), sock(4.5, 2, 1, 120), sock(10, 2, 1, 100)],
      want: [],
    },
    { name: 'idle at 0 W for hours → nothing', messages: [sock(0, 1, 0, 0), sock(120, 1, 0, 0)], want: [] },
    {
      name: 'power hovering around 2 W (under, over, under …) → nothing',
      messages: Array.from({ length: 20 }, (_, i) => sock(i, 1, 1, i % 2 ? 2.5 : 1.5)),
      want: [],
    },
    {
      name: 'firing no-power, power back 30 s then gone → keeps firing; power 1 min → resolves',
      messages: [
        sock(0, 1, 1, 0),
        sock(5, 1, 1, 0),
        sock(6, 1, 1, 50),
        sock(6.5, 1, 1, 0),
        sock(7, 1, 1, 60),
        sock(8, 1, 1, 60),
      ],
      want: ['firing socket-1', 'resolved socket-1'],
    },
    {
      name: 'sockets are independent: 1 trips, 2 charges nothing, 1 is reset → only 1 resolves',
      messages: [
        sock(0, 1, 2, 0),
        sock(0, 2, 1, 0),
        sock(5, 2, 1, 0),
        sock(6, 1, 0, 0),
        sock(7, 1, 0, 0),
        sock(7, 2, 1, 0),
      ],
      want: ['firing socket-1', 'firing socket-2', 'resolved socket-1'],
    },
    {
      name: 'replayed (historical) trip → nothing',
      messages: [sock(0, 1, 2, 0, true), [fault(0, 'socket-1', 'socket_tripped', true, true)]],
      want: [],
    },
  ];
  it.each(cases)('$name', ({ messages, want }) => {
    expect(transitions(runRule(socketFaultRule(), messages).events)).toEqual(want);
  });

  it('texts: "<station>：<socket label>跳闸"; evidence names both sensors', () => {
    const station = stationFixture('st-001');
    station.sensors = station.sensors.map((s) => (s.id === 'socket-3' ? { ...s, label: '3号充电口' } : s));
    const { events } = runRule(socketFaultRule(), [sock(0, 3, 2, 0)], { station });
    expect(events[0]?.message['zh-CN']).toBe('测试001号驿站：3号充电口跳闸');
    expect(events[0]?.message.en).toBe('Test Station 001: socket-3 (3号充电口) tripped');
    expect(events[0]).toMatchObject({
      severity: 'warning',
      evidence: { cause: 'state', sensor: 'socket-3', powerSensor: 'socket-3-power' },
    });
  });

  it('a frame of charging 150 W after 5 min at 0 W does not fire on its state before its power', () => {
    const { events } = runRule(socketFaultRule(), [sock(0, 1, 1, 0), sock(4, 1, 1, 0), sock(5, 1, 1, 150)]);
    expect(events).toEqual([]);
  });

  it('no-power text: the power to 0.1 W and how long', () => {
    const { events } = runRule(socketFaultRule(), [sock(0, 2, 1, 0.43), sock(5, 2, 1, 0.4321)]);
    expect(events[0]?.message['zh-CN']).toBe('测试001号驿站：socket-2充电中但无功率（0.4 W，已持续 5 分钟）');
    expect(events[0]).toMatchObject({ evidence: { cause: 'no_power', powerW: 0.4321, minPowerW: 2 } });
  });

  it('pairs sockets with power sensors by name, else by channel order', () => {
    const st = stationFixture('st-001', { sockets: 2 });
    expect([...pairSockets(st).powerOfSocket]).toEqual([
      ['socket-1', 'socket-1-power'],
      ['socket-2', 'socket-2-power'],
    ]);
    st.sensors = st.sensors.map((s) => (s.kind === 'socket_power' ? { ...s, id: `p${s.channel}` } : s));
    expect([...pairSockets(st).powerOfSocket]).toEqual([
      ['socket-1', 'p40'],
      ['socket-2', 'p41'],
    ]);
  });
});
