/**
 * The planners' measurements in InfluxDB: the one list of names that ingest writes, the continuous
 * queries fill, the planning queries and the Grafana panels read, and bench:planning fills.
 *
 * Derived at ingest (retention policy `raw`), from what the server knows and InfluxDB cannot: the
 * station's seats, socket count and opening hours (its config), and its state before the message.
 *
 * | measurement      | tags                        | fields                                                                      | one point per                                             |
 * | ---------------- | --------------------------- | --------------------------------------------------------------------------- | --------------------------------------------------------- |
 * | `station_use`    | station, township           | occupancy, seats, full (0/1), near_full (0/1), sockets_busy, sockets, all_busy (0/1), lat, lon (WGS-84, for maps) | telemetry message with an occupancy reading, while the station is open (its `hours`, local time) |
 * | `socket_session` | station, township, sensor   | started (1)                                                                 | socket_state idle → charging (a charging session begins)  |
 * | `turned_away`    | station, township           | count (1)                                                                   | a door opening while full not followed by a rise in occupancy within {@link TURNED_AWAY_WINDOW_MS} |
 *
 * Hourly rollups (retention policy `rollup_2y`, continuous queries `yz_*_v1`, server/src/influx/rollups.ts):
 *
 * | measurement          | tags                      | fields                                                                                         |
 * | -------------------- | ------------------------- | ---------------------------------------------------------------------------------------------- |
 * | `station_use_1h`     | station, township         | samples, full_share, near_full_share, all_busy_share, occupancy_mean, occupancy_max, seats, sockets_busy_mean, sockets, full_n, near_full_n, all_busy_n, occupancy_sum, lat, lon |
 * | `township_use_1h`    | township                  | samples, full_share, near_full_share, all_busy_share, occupancy_mean, full_n, near_full_n, all_busy_n, occupancy_sum (over every open sample of the township's stations) |
 * | `socket_energy_1h`   | station, township, sensor | energy_wh (∫ socket_power dt over the hour)                                                   |
 * | `sessions_1h`        | station, township         | sessions                                                                                       |
 * | `turned_away_1h`     | station, township         | turned_away                                                                                    |
 * | `station_use_1d`     | station, township         | samples, the shares (sample-weighted), occupancy_mean, full_n, near_full_n, all_busy_n, occupancy_sum (sums over the local day), sessions, turned_away, energy_wh, heater_on_share |
 *
 * Daily rows are what a year's ranking of 10,000 stations reads (3.65 M points instead of 87.6 M);
 * hourly rows are what a heatmap reads (one station: 8,760 a year; a township: `township_use_1h`).
 */

/** Full: people inside ≥ seats. Nearly full: ≥ this share of seats (rounded up). */
export const NEAR_FULL_SHARE = 0.9;
/** A door opening while full counts as a rider turned away when occupancy does not rise within this, ms. */
export const TURNED_AWAY_WINDOW_MS = 120_000;

export const M = {
  stationUse: 'station_use',
  socketSession: 'socket_session',
  turnedAway: 'turned_away',
  stationUse1h: 'station_use_1h',
  townshipUse1h: 'township_use_1h',
  socketEnergy1h: 'socket_energy_1h',
  sessions1h: 'sessions_1h',
  turnedAway1h: 'turned_away_1h',
  stationUse1d: 'station_use_1d',
} as const;
export type MeasurementName = (typeof M)[keyof typeof M];
