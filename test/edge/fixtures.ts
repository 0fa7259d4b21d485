/**
 * Station configs built by hand for edge tests, following the sample-station conventions
 * (door 1, occupancy 2, ambient 3, socket-N 10.., socket-N-power 40.., water 80/81/82).
 */
import type { StationConfig } from '@yizhan/station-config/schema';

export interface StationFixtureOptions {
  id?: string;
  seats?: number;
  sockets?: number;
  setpointC?: number;
  hours?: string;
  serialPath?: string;
  frameTimeout?: string;
  heatingTimeout?: string;
  minRiseC?: number;
}

export function stationFixture(o: StationFixtureOptions = {}): StationConfig {
  const id = o.id ?? 'st-001';
  const sockets = o.sockets ?? 4;
  const sensors: StationConfig['sensors'] = [
    { channel: 1, id: 'door', kind: 'door' },
    { channel: 2, id: 'occupancy', kind: 'occupancy' },
    { channel: 3, id: 'ambient', kind: 'ambient_temp' },
  ];
  for (let n = 1; n <= sockets; n++)
    sensors.push({ channel: 9 + n, id: `socket-${n}`, kind: 'socket_state' });
  for (let n = 1; n <= sockets; n++)
    sensors.push({ channel: 39 + n, id: `socket-${n}-power`, kind: 'socket_power' });
  sensors.push(
    { channel: 80, id: 'water-temp', kind: 'water_temp' },
    { channel: 81, id: 'heater', kind: 'heater' },
    { channel: 82, id: 'water-level', kind: 'water_level' },
  );
  return {
    sample: true,
    id,
    name: '测试驿站',
    nameEn: 'Test station',
    township: '城关镇',
    address: '人民路 1 号',
    location: { lat: 30.1, lon: 120.2 },
    seats: o.seats ?? 12,
    sockets,
    dispenser: {
      model: 'YR-30',
      setpointC: o.setpointC ?? 90,
      heatingTimeout: o.heatingTimeout ?? '10min',
      minRiseC: o.minRiseC ?? 2,
    },
    hours: o.hours ?? '00:00-24:00',
    serial: {
      path: o.serialPath ?? '/dev/ttyYZ0',
      baudRate: 115200,
      parity: 'none',
      frameTimeout: o.frameTimeout ?? '30s',
    },
    sensors,
  };
}

/** 2025-01-15 00:00 China Standard Time, in Unix ms: a fixed simulated start for deterministic runs. */
export const MIDNIGHT_CST = Date.UTC(2025, 0, 14, 16, 0, 0);
