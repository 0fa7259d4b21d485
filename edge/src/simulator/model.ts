/**
 * The physical station in one object: riders, door, sockets, dispenser, room temperature.
 * It knows nothing about frames; what changes is reported through a {@link ModelSink}.
 * One call of {@link StationModel.step} is one simulated second.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationTimings } from '@yizhan/station-config/timings';
import type { SensorKindName } from '@yizhan/protocol/serial';
import { localMinuteOfDay, parseOpeningHours } from './daily.js';
import { Dispenser } from './dispenser.js';
import { Door, People, type ModelSink } from './people.js';
import type { Random } from '@yizhan/common/prng';
import { Sockets } from './sockets.js';

/** Chance that an arriving rider plugs something in, and that they draw a cup of hot water. */
export const PLUG_PROBABILITY = 0.35;
export const DRAW_PROBABILITY = 0.5;
/** Seconds the door stays open after someone walks through. */
export const DOOR_HOLD_S: readonly [number, number] = [3, 8];
/** Room temperature baseline (a winter day), °C. */
export const AMBIENT_BASE_C = 14;

export interface ModelOptions {
  /** Simulated Unix time (ms) at second 0. */
  startTime: number;
  utcOffsetMin: number;
  /** Socket count to model (socket_state channels in the config). */
  socketCount: number;
}

export class StationModel {
  readonly people: People;
  readonly door: Door;
  readonly sockets: Sockets;
  readonly dispenser: Dispenser;
  ambientC: number;
  private walk = 0;

  constructor(
    cfg: StationConfig,
    private readonly rng: Random,
    private readonly sink: ModelSink,
    private readonly opts: ModelOptions,
  ) {
    this.people = new People(rng, cfg.seats, parseOpeningHours(cfg.hours));
    this.door = new Door((open) => sink.state('door', 0, open ? 1 : 0));
    this.sockets = new Sockets(rng, opts.socketCount, sink);
    const timings = stationTimings(cfg);
    this.dispenser = new Dispenser(
      rng,
      {
        setpointC: cfg.dispenser.setpointC,
        heatingTimeoutS: Math.max(1, Math.round(timings.heatingTimeoutMs / 1000)),
        minRiseC: timings.minRiseC,
      },
      sink,
    );
    this.ambientC = this.ambientAt(this.minuteAt(0), 0);
  }

  /** Local minute of day at simulated second t. */
  minuteAt(t: number): number {
    return localMinuteOfDay(this.opts.startTime + t * 1000, this.opts.utcOffsetMin);
  }

  /** Advance to simulated second t (called once per second, t increasing). */
  step(t: number): void {
    const minute = this.minuteAt(t);
    this.walk = Math.max(-1.5, Math.min(1.5, this.walk + this.rng.normal(0, 0.01)));
    this.ambientC = this.ambientAt(minute, this.people.occupancy);
    this.people.step(
      t,
      minute,
      () => this.arrive(t),
      () => this.passDoor(t),
    );
    this.door.step(t);
    this.sockets.step(t);
    this.dispenser.step(t, this.ambientC);
  }

  /** The value a READINGS frame reports for a channel of `kind` (index among that kind), in units. */
  valueOf(kind: SensorKindName, index: number, t: number): number {
    switch (kind) {
      case 'door':
        return this.door.open ? 1 : 0;
      case 'occupancy':
        return this.people.occupancy;
      case 'ambient_temp':
        return this.ambientC + index * 0.3;
      case 'socket_state':
        return this.sockets.states[index] ?? 0;
      case 'socket_power':
        return index < this.sockets.count ? this.sockets.powerW(index, t) : 0;
      case 'water_temp':
        return this.dispenser.tempC + this.rng.normal(0, 0.05);
      case 'heater':
        return this.dispenser.heater ? 1 : 0;
      case 'water_level':
        return Math.round(this.dispenser.levelPct);
    }
  }

  private arrive(t: number): void {
    this.passDoor(t);
    if (this.rng.chance(PLUG_PROBABILITY)) this.sockets.plugIn(t);
    if (this.rng.chance(DRAW_PROBABILITY)) this.dispenser.scheduleDraw(t + this.rng.int(20, 600));
  }

  /** A rider walks through the door; occupancy already changed. Door first, then the count. */
  private passDoor(t: number): void {
    this.door.pass(t, this.rng.int(DOOR_HOLD_S[0], DOOR_HOLD_S[1]));
    this.sink.state('occupancy', 0, this.people.occupancy);
  }

  private ambientAt(minute: number, occupancy: number): number {
    const daily = 3 * Math.sin(((minute - 9 * 60) / 1440) * 2 * Math.PI);
    return AMBIENT_BASE_C + daily + Math.min(3, 0.12 * occupancy) + this.walk;
  }
}
