/**
 * The station fixture of every test: a station config built by hand as the 47 samples are (door 1,
 * occupancy 2, ambient 3, socket-N 10.., socket-N-power 40.., water 80/81/82), named after its
 * number so a page or an alert shows which one it is (st-041: 测试041号驿站).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import {
  DEFAULT_FRAME_TIMEOUT,
  DEFAULT_HEATING_TIMEOUT,
  DEFAULT_MIN_RISE_C,
} from '@yizhan/station-config/timings';

export interface StationFixtureOptions {
  seats?: number;
  sockets?: number;
  setpointC?: number;
  heatingTimeout?: string;
  minRiseC?: number;
  township?: string;
  hours?: string;
  serialPath?: string;
  frameTimeout?: string;
}

export function stationFixture(id = 'st-001', o: StationFixtureOptions = {}): StationConfig {
  const sockets = o.sockets ?? 4;
  const n = id.slice(-3);
  return {
    sample: true,
    id,
    name: `测试${n}号驿站`,
    nameEn: `Test Station ${n}`,
    township: o.township ?? '城关镇',
    address: `测试路${n}号`,
    location: { lat: 30, lon: 120 },
    seats: o.seats ?? 10,
    sockets,
    hours: o.hours ?? '00:00-24:00',
    dispenser: {
      model: 'TEST-1',
      setpointC: o.setpointC ?? 95,
      heatingTimeout: o.heatingTimeout ?? DEFAULT_HEATING_TIMEOUT,
      minRiseC: o.minRiseC ?? DEFAULT_MIN_RISE_C,
    },
    serial: {
      path: o.serialPath ?? '/dev/ttyYZ0',
      baudRate: 115200,
      parity: 'none',
      frameTimeout: o.frameTimeout ?? DEFAULT_FRAME_TIMEOUT,
    },
    sensors: [
      { channel: 1, id: 'door', kind: 'door' },
      { channel: 2, id: 'occupancy', kind: 'occupancy' },
      { channel: 3, id: 'ambient', kind: 'ambient_temp' },
      ...Array.from({ length: sockets }, (_, i) => ({
        channel: 10 + i,
        id: `socket-${i + 1}`,
        kind: 'socket_state' as const,
      })),
      ...Array.from({ length: sockets }, (_, i) => ({
        channel: 40 + i,
        id: `socket-${i + 1}-power`,
        kind: 'socket_power' as const,
      })),
      { channel: 80, id: 'water-temp', kind: 'water_temp' },
      { channel: 81, id: 'heater', kind: 'heater' },
      { channel: 82, id: 'water-level', kind: 'water_level' },
    ],
  };
}
