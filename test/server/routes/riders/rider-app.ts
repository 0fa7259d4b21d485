/**
 * The whole server app in process with four stations around a rider standing at 30.0 N 120.0 E,
 * and helpers that put live readings into the state store as ingest would. Times come from the
 * (faked) Date, so thresholds are crossed by moving the clock, not by waiting.
 */
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type ServerOptions } from '@yizhan/server';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { Observation } from '../../../../server/src/state/observation.js';
import { NOTHING_BEHIND } from '../../full-app.js';
import { stationFixture } from '../../../helpers/station.js';

export const RIDER = { lat: 30, lon: 120 };
/** Metres per degree of latitude (haversine sphere); a degree of longitude at 30° is cos(30°) of it. */
const M_PER_DEG = 111_195;
const north = (m: number) => ({ lat: RIDER.lat + m / M_PER_DEG, lon: RIDER.lon });
const east = (m: number) => ({ lat: RIDER.lat, lon: RIDER.lon + m / (M_PER_DEG * Math.cos(Math.PI / 6)) });

const at = (s: StationConfig, location: { lat: number; lon: number }): StationConfig => ({ ...s, location });

/** Sockets 1 and 2 charge e-bike batteries, 3 and 4 phones (`charges:` in the station file). */
function withCharges(s: StationConfig): StationConfig {
  const charges = {
    'socket-1': 'ebike',
    'socket-2': 'ebike',
    'socket-3': 'phone',
    'socket-4': 'phone',
  } as const;
  return {
    ...s,
    sensors: s.sensors.map((c) =>
      c.id in charges ? { ...c, charges: charges[c.id as keyof typeof charges] } : c,
    ),
  };
}

/**
 * st-001 500 m N, st-002 1 km E with e-bike and phone sockets (城关镇); st-003 300 m S, st-004 200 m W
 * (新塘镇, open 20:00-22:00).
 */
export const STATIONS = [
  at(stationFixture('st-001', { township: '城关镇' }), north(500)),
  at(withCharges(stationFixture('st-002', { township: '城关镇' })), east(1000)),
  at(stationFixture('st-003', { township: '新塘镇' }), north(-300)),
  at(stationFixture('st-004', { township: '新塘镇', hours: '20:00-22:00' }), east(-200)),
];

export const TOWNSHIPS = [
  { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
  { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
];

/** 2026-06-01 12:00 China Standard Time: st-004 is closed. */
export const NOON = Date.UTC(2026, 5, 1, 4, 0, 0);

export async function riderApp(extra: Partial<ServerOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    ...NOTHING_BEHIND,
    stations: STATIONS,
    townships: TOWNSHIPS,
    defaultMetrics: false,
    loggerInstance: pino({ level: 'silent' }),
    ...extra,
  });
  await app.ready();
  return app;
}

export interface LiveFacts {
  /** People inside. */
  occupancy: number;
  /** socket_state of socket-1..4: 0 idle, 1 charging, 2 tripped. */
  sockets: [number, number, number, number];
  waterC: number;
  door?: 0 | 1;
  serialUp?: boolean;
}

/** The station comes online, its agent reports health, and one message of readings arrives (now). */
export function goLive(app: FastifyInstance, id: string, f: LiveFacts): void {
  const ts = Date.now();
  const reading = (sensor: string, kind: Extract<Observation, { type: 'reading' }>['kind'], value: number) =>
    ({ type: 'reading', sensor, kind, value, ts, historical: false }) satisfies Observation;
  app.store.apply(id, [
    { type: 'status', online: true, bootId: 'boot-1', ts },
    {
      type: 'health',
      ts,
      health: {
        v: 1,
        stationId: id,
        bootId: 'boot-1',
        seq: 1,
        ts,
        agentVersion: '1.0.0',
        uptimeS: 60,
        rssBytes: 1,
        serial: {
          state: f.serialUp === false ? 'down' : 'up',
          port: '/dev/ttyYZ0',
          lastFrameAgeMs: 5,
          framesGood: 1,
          framesBad: {},
        },
      },
    },
    reading('occupancy', 'occupancy', f.occupancy),
    ...f.sockets.map((v, i) => reading(`socket-${i + 1}`, 'socket_state', v)),
    reading('water-temp', 'water_temp', f.waterC),
    reading('door', 'door', f.door ?? 0),
  ]);
}

/** A message from the station now (keeps it from going dark), changing nothing else. */
export function heardFrom(app: FastifyInstance, id: string): void {
  app.store.apply(id, [{ type: 'status', online: true, bootId: 'boot-1', ts: Date.now() }]);
}
