/**
 * One MQTT message in → checked → live state, InfluxDB points and alert rules.
 *
 * Every message is parsed by topic (parseStationTopic) and payload (decodePayloadFor). Refused,
 * each with a reason counted in `yizhan_ingest_rejected_total{reason}` and a rate-limited log line:
 *
 * | reason             | what                                                                   |
 * |--------------------|------------------------------------------------------------------------|
 * | `bad_topic`        | topic is not `yizhan/v1/stations/{id}/{leaf}`                           |
 * | `unexpected_leaf`  | a leaf the server does not consume (e.g. cmd)                          |
 * | `unknown_station`  | station id not in the station configs                                  |
 * | `not_utf8` `not_json` `schema` `too_large` | payload fails decodePayloadFor                  |
 * | `station_mismatch` | payload stationId ≠ topic station id                                   |
 * | `ts_invalid`       | payload time beyond what a JavaScript Date holds (> 8.64e15 ms)        |
 * | `ts_future`        | payload time further ahead of the server clock than maxFutureSkewMs    |
 * | `ts_too_old`       | payload time older than maxAgeMs (the retention: InfluxDB would refuse); |
 * |                    | not for status, which still updates live state                        |
 * | `unknown_sensor`   | a reading/event names a sensor the station config lacks (only that one) |
 * | `kind_mismatch`    | a reading's kind differs from the configured kind (only that one)      |
 * | `out_of_range`     | a reading or state event outside what its sensor can report (limits.ts; |
 * |                    | only that one): not stored, not live, not seen by the alert rules      |
 * | `counter_overflow` | a health message whose counters are not safe integers or sum beyond 2^53 |
 * | `internal`         | a bug in the server; the message is skipped, the process lives on      |
 *
 * Redeliveries (same station, bootId, seq) are recognised in a bounded set and not applied twice;
 * a message not made durable is forgotten, so the broker's resend is ingested (redelivery.ts).
 */
import type { FastifyBaseLogger } from 'fastify';
import {
  TopicLeaf,
  decodePayloadFor,
  parseStationTopic,
  type PayloadFor,
  type TopicLeafValue,
} from '@yizhan/protocol';
import type { SensorKindName } from '@yizhan/protocol/serial';
import type { Metrics } from '../metrics.js';
import type { StationEntry, StationRegistry } from '../registry.js';
import type { StateStore } from '../state/store.js';
import type { Observation } from '../state/observation.js';
import type { PointSink } from '../influx/writer.js';
import type { DeadLetterSink } from './deadletter.js';
import {
  faultPoint,
  healthPoint,
  readingTail,
  statusPoint,
  timeSuffix,
  type Line,
} from '../influx/points.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import { Redeliveries, type LineLog } from './redelivery.js';
import { describeLimit, valueLimit, withinLimit, type ValueLimit } from './limits.js';
import { reconcileFaults } from './health.js';
import { messageProblem } from './checks.js';
import { DEFAULT_RETENTION_MS } from '../options.js';
import type { PlanningDeriver } from '../planning/derive.js';

/** Leaves the server subscribes to and consumes. */
export const INGEST_LEAVES = [
  TopicLeaf.status,
  TopicLeaf.telemetry,
  TopicLeaf.events,
  TopicLeaf.health,
  TopicLeaf.configReported,
] as const;
type IngestLeaf = (typeof INGEST_LEAVES)[number];
const INGEST_SET = new Set<string>(INGEST_LEAVES);

export type RejectReason =
  | 'bad_topic'
  | 'unexpected_leaf'
  | 'unknown_station'
  | 'not_utf8'
  | 'not_json'
  | 'schema'
  | 'too_large'
  | 'station_mismatch'
  | 'ts_invalid'
  | 'ts_future'
  | 'ts_too_old'
  | 'unknown_sensor'
  | 'kind_mismatch'
  | 'out_of_range'
  | 'counter_overflow'
  | 'internal';

/** Receives the observations that were newer than the known state (alert rules). */
export interface ObservationListener {
  observe(stationId: string, observations: readonly Observation[]): void;
}

export interface IngestOptions {
  /** (station, bootId, seq) triples remembered for duplicate detection. */
  dedupeCapacity: number;
  /** At most one rejection log line per station and reason in this many ms. */
  rejectLogIntervalMs: number;
  /** Payload times further ahead of the server clock than this are refused, ms. */
  maxFutureSkewMs: number;
  /** Payload times older than this are refused, ms (InfluxDB drops points beyond the retention). */
  maxAgeMs: number;
}

export const DEFAULT_INGEST_OPTIONS: IngestOptions = {
  dedupeCapacity: 100_000,
  rejectLogIntervalMs: 60_000,
  maxFutureSkewMs: 10 * 60_000,
  maxAgeMs: DEFAULT_RETENTION_MS,
};

export interface IngestDeps {
  registry: StationRegistry;
  store: StateStore;
  sink: PointSink;
  listener: ObservationListener;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** Samples of refused messages (topic, reason, payload); none: counters and logs only. */
  deadLetter?: DeadLetterSink;
  /** The sink's log: a message is remembered as seen once its lines are durable (none: at once). */
  lineLog?: LineLog;
  /** The planners' derived points (planning/derive.ts); none: readings only. */
  derive?: PlanningDeriver;
}

export class Ingestor {
  private readonly opts: IngestOptions;
  private readonly seen: Redeliveries;
  private readonly logLimit: LogThrottle;
  /** The message being handled, for dead-letter samples. */
  private payload: Buffer | undefined;
  /** Counter children bound once (a labelled inc() hashes its labels on every call). */
  private readonly accepted: Record<IngestLeaf, { inc(): void }>;
  private readonly rejected = new Map<RejectReason, { inc(): void }>();
  /** What each sensor can report, by station and sensor id (built once). */
  private readonly limits = new Map<string, Map<string, ValueLimit>>();

  constructor(
    private readonly deps: IngestDeps,
    opts: Partial<IngestOptions> = {},
  ) {
    this.opts = { ...DEFAULT_INGEST_OPTIONS, ...opts };
    this.seen = new Redeliveries(this.opts.dedupeCapacity, deps.lineLog);
    this.logLimit = new LogThrottle(this.opts.rejectLogIntervalMs);
    const m = deps.metrics.ingestMessages;
    this.accepted = Object.fromEntries(INGEST_LEAVES.map((leaf) => [leaf, m.labels({ leaf })])) as Record<
      IngestLeaf,
      { inc(): void }
    >;
    for (const e of deps.registry.all())
      this.limits.set(
        e.config.id,
        new Map(e.config.sensors.map((s) => [s.id, valueLimit(s.kind, e.config)])),
      );
  }

  /** Handle one message. Never throws. */
  handle(topic: string, payload: Buffer): void {
    this.payload = payload;
    try {
      this.handleUnsafe(topic, payload);
    } catch (e) {
      this.reject(topic, undefined, 'internal', (e as Error).stack ?? String(e));
    } finally {
      this.payload = undefined;
    }
  }

  private handleUnsafe(topic: string, payload: Buffer): void {
    const parsed = parseStationTopic(topic);
    if (!parsed)
      return this.reject(topic, undefined, 'bad_topic', 'not a yizhan/v1/stations/{id}/{leaf} topic');
    const { stationId, leaf } = parsed;
    if (!isIngestLeaf(leaf))
      return this.reject(topic, stationId, 'unexpected_leaf', `leaf "${leaf}" is not consumed`);
    const entry = this.deps.registry.get(stationId);
    if (!entry)
      return this.reject(topic, stationId, 'unknown_station', `station "${stationId}" is not configured`);
    const decoded = decodePayloadFor(leaf, payload);
    if (!decoded.ok) return this.reject(topic, stationId, decoded.error.reason, decoded.error.message);
    const msg = decoded.value;
    const problem = messageProblem(stationId, leaf, msg, Date.now(), this.opts);
    if (problem) return this.reject(topic, stationId, problem.reason, problem.detail);
    const key = 'seq' in msg ? stationId + '/' + msg.bootId + '/' + msg.seq : undefined;
    const dup = key === undefined ? undefined : this.seen.known(key);
    if (dup !== undefined) {
      this.deps.metrics.ingestDuplicates.inc();
      this.deps.log.debug({ topic, key, durable: dup === 'durable' }, 'mqtt redelivery ignored');
      if (dup === 'durable') return;
    }
    const points: Line[] = [];
    const obs: Observation[] = [];
    this.collect(topic, entry, leaf, msg, points, obs);
    if (this.deps.derive && (leaf === 'telemetry' || leaf === 'events')) {
      const m = msg as PayloadFor['telemetry' | 'events'];
      this.deps.derive.derive(entry, m.ts, m.historical === true, obs, points);
    }
    if (dup === undefined) this.accepted[leaf].inc();
    if (points.length) this.seen.write(key, this.deps.sink, points);
    else if (key !== undefined) this.seen.remember(key);
    // A copy of a message whose lines are not durable yet: only its lines again (redelivery.ts).
    if (dup !== undefined || obs.length === 0) return;
    const live = this.deps.store.apply(stationId, obs);
    if (live.length) this.deps.listener.observe(stationId, live);
  }

  /** The points and observations of one accepted message, by leaf. */
  private collect(
    topic: string,
    entry: StationEntry,
    leaf: IngestLeaf,
    msg: PayloadFor[IngestLeaf],
    points: Line[],
    obs: Observation[],
  ): void {
    switch (leaf) {
      case 'telemetry':
        return this.collectTelemetry(topic, entry, msg as PayloadFor['telemetry'], points, obs);
      case 'events':
        return this.collectEvent(topic, entry, msg as PayloadFor['events'], points, obs);
      case 'status':
        return this.collectStatus(entry, msg as PayloadFor['status'], points, obs);
      case 'health': {
        const m = msg as PayloadFor['health'];
        const st = entry.config;
        points.push(healthPoint(st, m));
        obs.push({ type: 'health', ts: m.ts, health: m, receivedAt: Date.now() });
        if (m.faults)
          reconcileFaults(this.deps.store.activeFaults(st.id), st, m, points, obs, (sensor) =>
            this.sensorOk(topic, entry, sensor, undefined),
          );
        return;
      }
      case 'config/reported': {
        const m = msg as PayloadFor['config/reported'];
        obs.push({ type: 'config', ts: m.ts, reported: m });
        return;
      }
    }
  }

  private collectTelemetry(
    topic: string,
    entry: StationEntry,
    m: PayloadFor['telemetry'],
    points: Line[],
    obs: Observation[],
  ): void {
    const st = entry.config;
    const historical = m.historical === true;
    const suffix = timeSuffix(m.ts);
    const limits = this.limits.get(st.id);
    for (const r of m.readings) {
      const head = this.readingHead(topic, entry, r.sensor, r.kind);
      if (head === undefined || !this.inRange(topic, st.id, limits, r.sensor, r.kind, r.value)) continue;
      points.push(head + readingTail(r.value, suffix));
      obs.push({ type: 'reading', sensor: r.sensor, kind: r.kind, value: r.value, ts: m.ts, historical });
    }
  }

  private collectEvent(
    topic: string,
    entry: StationEntry,
    m: PayloadFor['events'],
    points: Line[],
    obs: Observation[],
  ): void {
    const st = entry.config;
    const ev = m.event;
    const historical = m.historical === true;
    switch (ev.type) {
      case 'state': {
        const head = this.readingHead(topic, entry, ev.sensor, ev.kind);
        if (
          head === undefined ||
          !this.inRange(topic, st.id, this.limits.get(st.id), ev.sensor, ev.kind, ev.value)
        )
          return;
        points.push(head + readingTail(ev.value, timeSuffix(m.ts)));
        obs.push({
          type: 'reading',
          sensor: ev.sensor,
          kind: ev.kind,
          value: ev.value,
          ts: m.ts,
          historical,
        });
        return;
      }
      case 'fault':
        if (!this.sensorOk(topic, entry, ev.sensor, undefined)) return;
        points.push(faultPoint(st, ev.sensor, ev.fault, ev.active, m.ts));
        obs.push({
          type: 'fault',
          sensor: ev.sensor,
          fault: ev.fault,
          active: ev.active,
          ts: m.ts,
          historical,
        });
        return;
      case 'hello':
        obs.push({ type: 'hello', ts: m.ts, firmware: ev.firmware, boardId: ev.boardId });
        return;
    }
  }

  private collectStatus(
    entry: StationEntry,
    m: PayloadFor['status'],
    points: Line[],
    obs: Observation[],
  ): void {
    const online = m.state === 'online';
    // A will is built when the agent connects (its ts names that connection); the broker sends
    // it when the connection is lost, so the station went dark when it arrived.
    const at = !online && m.reason === 'will' ? Math.max(m.ts, Date.now()) : m.ts;
    if (at >= Date.now() - this.opts.maxAgeMs) points.push(statusPoint(entry.config, online, at));
    obs.push({
      type: 'status',
      online,
      bootId: m.bootId,
      ts: m.ts,
      at,
      reason: m.reason,
      agentVersion: m.agentVersion,
    });
  }

  /** The line head of a reading (readingHead) when the sensor is configured with that kind; else undefined. */
  private readingHead(topic: string, entry: StationEntry, sensor: string, kind: string): string | undefined {
    const head = this.deps.registry.readingHead(entry, sensor, kind);
    if (head !== undefined) return head;
    this.sensorOk(topic, entry, sensor, kind);
    return undefined;
  }

  /** The value is one its (configured) sensor can report; else count and log with the allowed range. */
  private inRange(
    topic: string,
    stationId: string,
    limits: Map<string, ValueLimit> | undefined,
    sensor: string,
    kind: SensorKindName,
    value: number,
  ): boolean {
    const l = limits?.get(sensor);
    if (!l || withinLimit(l, value)) return true;
    this.reject(
      topic,
      stationId,
      'out_of_range',
      `sensor "${sensor}" (${kind}) reported ${value}; allowed ${describeLimit(kind, l)}`,
    );
    return false;
  }

  /** The sensor exists in the station config (and has that kind, when given); else count and log. */
  private sensorOk(topic: string, entry: StationEntry, sensor: string, kind: string | undefined): boolean {
    const s = entry.sensors.get(sensor);
    if (!s) {
      this.reject(
        topic,
        entry.config.id,
        'unknown_sensor',
        `sensor "${sensor}" is not in the config of ${entry.config.id}`,
      );
      return false;
    }
    if (kind !== undefined && s.kind !== kind) {
      this.reject(
        topic,
        entry.config.id,
        'kind_mismatch',
        `sensor "${sensor}" is ${s.kind} in the config, message says ${kind}`,
      );
      return false;
    }
    return true;
  }

  private reject(topic: string, stationId: string | undefined, reason: RejectReason, detail: string): void {
    let counter = this.rejected.get(reason);
    if (!counter) this.rejected.set(reason, (counter = this.deps.metrics.ingestRejected.labels({ reason })));
    counter.inc();
    this.deps.deadLetter?.add({ source: 'mqtt', reason, topic, detail, payload: this.payload });
    const suppressed = this.logLimit.pass(`${stationId ?? topic.slice(0, 100)}|${reason}`);
    if (suppressed === undefined) return;
    this.deps.log.warn(
      { topic: topic.slice(0, 200), station: stationId, reason, detail: detail.slice(0, 500), suppressed },
      `mqtt message rejected: ${reason}`,
    );
  }
}

function isIngestLeaf(leaf: TopicLeafValue): leaf is IngestLeaf {
  return INGEST_SET.has(leaf);
}
