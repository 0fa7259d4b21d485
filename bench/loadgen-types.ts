/** Options and results of the load generator (bench/loadgen.ts). */
import type { BackoffOptions } from '@yizhan/common/backoff';

export interface LoadStation {
  id: string;
  password?: string;
}
export interface LoadSensor {
  sensor: string;
  kind: string;
}
export interface LoadOptions {
  url: string;
  stations: LoadStation[];
  /** Readings of one telemetry message. */
  sensors: LoadSensor[];
  /** Telemetry period per station, ms. Default 10 000. */
  periodMs?: number;
  /** Door events per station per hour. Default 6. */
  doorEventsPerHour?: number;
  /** Unacknowledged messages per station before new ones are counted as `skipped`. Default 50. */
  maxInflight?: number;
  /** First connection attempts in progress at once at start (retries are not counted). Default 500. */
  connectConcurrency?: number;
  /** CONNACK must arrive this long after the attempt began, ms. Default: the edge agent's, 10 000. */
  connectTimeoutMs?: number;
  /** Retry delays after a failed attempt or a dropped connection. Default: the edge agent's DEFAULT_MQTT_BACKOFF. */
  backoff?: BackoffOptions;
  /**
   * Distinct loopback source addresses (127.1.0.1 …) the stations are spread over, round robin
   * (only when the broker is on 127.x.x.x). Default: one per station. 0: the system's choice
   * (every station from 127.0.0.1, as behind one carrier-grade NAT address).
   */
  sourceAddresses?: number;
  /** Index of the first of those addresses (another load generator process uses the next ones). Default 0. */
  addressOffset?: number;
  /** Telemetry messages remembered per station for a storm replay. Default 12. */
  historyMax?: number;
}

export interface LoadStats {
  stations: number;
  connected: number;
  /** Messages and readings handed to the sockets (replays and DUP resends included). */
  messages: number;
  readings: number;
  /** Readings of new telemetry/events (not replays): what must be in InfluxDB once. */
  uniqueReadings: number;
  acked: number;
  inflight: number;
  /** Readings not sent: station not connected or over maxInflight. */
  skipped: number;
  connectAttempts: number;
  /** Failed connection attempts by reason (connack_timeout, connack_<code>, closed, ECONNRESET, …). */
  connectFailures: Record<string, number>;
  /** Connections that were up and were lost (not by a storm). */
  dropped: number;
  replayedMessages: number;
  replayedReadings: number;
  redelivered: number;
  /** New telemetry readings sent / skipped, by reading time (whole seconds since the epoch; the last 15 min). */
  sentBySecond: Record<string, number>;
  skippedBySecond: Record<string, number>;
  /** This process's memory now, MB. */
  memory: { rssMB: number; heapUsedMB: number; externalMB: number };
}

export interface StormResult {
  /** Time from dropping every connection until every station had its CONNACK again, ms. */
  ms: number;
  connected: number;
  stations: number;
  /** Connection attempts during the storm; stations that needed more than one; the most one needed. */
  attempts: number;
  stationsRetried: number;
  maxAttempts: number;
  failures: Record<string, number>;
  /** Connections that got their CONNACK and were closed by the broker before every station was up (a late stale attempt taking the session over). */
  dropped: number;
  redelivered: number;
  replayedMessages: number;
  replayedReadings: number;
  /** Earliest reading time replayed, ms since the epoch (undefined: nothing replayed). */
  replayedFromMs: number | undefined;
}
