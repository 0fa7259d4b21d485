/** Options, clock and observable state of a {@link StationSimulator}. */
import type { ControllerSettings } from './settings.js';

export interface Clock {
  /** Milliseconds, monotonic enough for scheduling (Date.now by default). */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Faults the simulator can be told to have. The controller reports the first three as FAULT frames;
 * the others show only in what it sends:
 * - `water_low`: the inlet is shut and the tank drains to 5 % and stays there;
 * - `socket_no_power`: socket n says charging (state 1) but draws 0 W;
 * - `sensor_silent`: one channel (a sensor id or channel number) is left out of READINGS and EVENT;
 * - `occupancy_frozen`: the people counter sticks at its current count.
 */
export type InjectableFault =
  | 'heater_failure'
  | 'door_stuck'
  | 'socket_tripped'
  | 'water_low'
  | 'socket_no_power'
  | 'sensor_silent'
  | 'occupancy_frozen';

/** Tank level (%) the injected water_low fault drains to. */
export const WATER_LOW_LEVEL_PCT = 5;

export interface SimulatorOptions {
  /** Seed of the PRNG; combined with the station id. Default 1. */
  seed?: number;
  /** Simulated time runs this many times faster than the clock. Default 1. */
  speed?: number;
  /** Simulated Unix time (ms) at boot; drives the daily curve. Default: the clock's now. */
  startTime?: number;
  /** Clock for real-time ticking; default {@link systemClock}. */
  clock?: Clock;
  /** Local time offset from UTC in minutes; default 480 (China Standard Time). */
  utcOffsetMin?: number;
  firmware?: { major: number; minor: number; patch: number };
  /** Board id in HELLO (printable ASCII, <= 32 bytes). Default `YZC-<station id>`. */
  boardId?: string;
  /** Period of the own timer used by {@link StationSimulator.start}, in real ms. Default 100. */
  tickMs?: number;
}

export const DEFAULT_FIRMWARE = { major: 1, minor: 4, patch: 2 } as const;
/** Real milliseconds between ticks of a started simulator. */
export const DEFAULT_SIM_TICK_MS = 100;

export interface SimulatorStats {
  framesOut: number;
  bytesOut: number;
  /** Frames received from the edge (CONFIG_SET / CONFIG_GET / other). */
  framesIn: number;
  /** Byte runs or frames the controller's decoder dropped. */
  badFramesIn: number;
  /** Well-formed frames of a type a controller does not expect (e.g. READINGS from the edge). */
  unexpectedIn: number;
}

export interface SimSnapshot {
  uptimeMs: number;
  /** Simulated Unix time, ms. */
  time: number;
  occupancy: number;
  door: boolean;
  sockets: number[];
  waterTempC: number;
  waterLevelPct: number;
  heater: boolean;
  ambientC: number;
  activeFaults: string[];
  settings: ControllerSettings;
}
