/**
 * What a sensor can report: the range of each kind (serial-v1 §7.1), narrowed by the station file
 * where it says more (occupancy by `seats`). A reading outside its range is refused by the ingest as
 * `out_of_range`: not stored, not in live state, not seen by the alert rules.
 *
 * | kind           | allowed                                                        |
 * |----------------|----------------------------------------------------------------|
 * | `door`         | 0 or 1                                                         |
 * | `occupancy`    | an integer 0 .. 2 × seats + 20 (standing riders, counter slack) |
 * | `socket_state` | 0, 1 or 2                                                      |
 * | `socket_power` | 0 .. 4000 W (a 16 A socket at 230 V draws at most 3680 W)       |
 * | `water_temp`   | −20 .. 120 °C                                                  |
 * | `heater`       | 0 or 1                                                         |
 * | `water_level`  | 0 .. 100 %                                                     |
 * | `ambient_temp` | −50 .. 70 °C                                                   |
 *
 * Built once per sensor when the station registry is built; the check per reading is two
 * comparisons (and an integer test for counted kinds).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { SensorKind, type SensorKindName } from '@yizhan/protocol/serial';

export interface ValueLimit {
  min: number;
  max: number;
  /** Only whole numbers (states and counts). */
  integer: boolean;
}

/** Occupancy may exceed the seats (riders standing, a counter off by a few) by this rule. */
export function maxOccupancy(seats: number): number {
  return 2 * seats + 20;
}

export function valueLimit(kind: SensorKindName, station: Pick<StationConfig, 'seats'>): ValueLimit {
  switch (kind) {
    case 'door':
    case 'heater':
      return { min: 0, max: 1, integer: true };
    case 'socket_state':
      return { min: 0, max: 2, integer: true };
    case 'occupancy':
      return { min: 0, max: maxOccupancy(station.seats), integer: true };
    case 'socket_power':
      return { min: 0, max: 4000, integer: false };
    case 'water_temp':
      return { min: -20, max: 120, integer: false };
    case 'water_level':
      return { min: 0, max: 100, integer: false };
    case 'ambient_temp':
      return { min: -50, max: 70, integer: false };
  }
}

/** True when `value` is something the sensor can report. */
export function withinLimit(l: ValueLimit, value: number): boolean {
  return value >= l.min && value <= l.max && (!l.integer || Number.isInteger(value));
}

/** "0..1 (integer)", "−20..120 °C": the allowed range for log lines. */
export function describeLimit(kind: SensorKindName, l: ValueLimit): string {
  const unit = SensorKind[kind].unit;
  return `${l.min}..${l.max}${unit ? ' ' + unit : ''}${l.integer ? ' (whole numbers)' : ''}`;
}
