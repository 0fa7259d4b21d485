/**
 * Reconnect storm of bench:ingest (`--storm`): at the default rate (15 readings per station every
 * 10 s), every station's connection is dropped at once and all reconnect at once, retrying with
 * the edge agent's backoff; each resends its unacknowledged messages with DUP and replays its last
 * 6 telemetry messages under a new boot (an edge spool replay). Reports:
 * - the time until every station had its CONNACK again, attempts and why attempts failed;
 * - readings replayed and messages redelivered; duplicates the server dropped
 *   (`yizhan_ingest_duplicates_total`); the broker's verification cache and refusals;
 * - exactly once: every telemetry reading sent with a time from the earliest replayed reading to
 *   after the storm is in InfluxDB, and once: the stored count equals the sent count (a replayed
 *   reading rewrites its point, a second point for it would raise the count; one missing lowers it).
 */
import type { StormResult } from './loadgen.js';
import { countStored, sleep } from './ingest-lib.js';
import type { Loadgen } from './ingest-loadgen.js';
import { sumOf } from '../test/helpers/prom.js';
import { metricDeltaBy, scrape } from './ingest-measure.js';

export interface StormReport extends Omit<StormResult, 'failures' | 'redelivered' | 'replayedFromMs'> {
  /** Time until every station was connected again, ms. */
  reconnectMs: number;
  /** Failed connection attempts during the storm, by reason. */
  connectFailures: Record<string, number>;
  redeliveredMessages: number;
  /**
   * Connections the broker closed again in the 2 periods after every station was back: an attempt
   * the station had given up (no CONNACK within 10 s) completing late at a busy broker and taking
   * the session over from the station's newer connection. The station reconnects (backoff).
   */
  droppedAfter: number;
  /** Telemetry readings not sent while their station was down (the load generator has no spool). */
  skippedReadings: number;
  /** The server: MQTT redeliveries recognised by (station, bootId, seq) and not applied again. */
  serverDuplicatesDropped: number;
  /** The server: messages refused, by reason; points given up before InfluxDB, by reason. */
  serverRejected: Record<string, number>;
  serverPointsDropped: Record<string, number>;
  broker: {
    authCacheHits: number;
    authCacheMisses: number;
    authFailures: Record<string, number>;
    guardDrops: Record<string, number>;
    /** Clients the broker disconnected, by reason (client_error includes a session taken over). */
    forcedDisconnects: Record<string, number>;
    /** QoS 1 messages dropped because the server's session queue was full. */
    queueDropped: number;
  };
  /** Exactly-once check over [fromMs, toMs) by reading time. */
  window: { fromMs: number; toMs: number; sent: number; stored: number; missing: number; extra: number };
  exactlyOnce: boolean;
  loadgenRssMB: number;
  pass: boolean;
}

export interface StormContext {
  lg: Loadgen;
  stations: number;
  influxUrl: string;
  db: string;
  serverMetricsUrl: string;
  /** Every broker's /metrics (summed). */
  brokerMetricsUrls: string[];
  say: (s: string) => void;
  replay?: number;
  periodMs?: number;
}

export async function runStorm(c: StormContext): Promise<StormReport> {
  const period = c.periodMs ?? 10_000;
  const replay = c.replay ?? 6;
  c.lg.tell({ cmd: 'period', ms: period });
  c.say(`storm: default rate for ${(2 * period) / 1000} s, then all ${c.stations} stations drop at once`);
  await sleep(2 * period);
  const before = await c.lg.stats();
  const s0 = await scrape(c.serverMetricsUrl);
  const b0 = (await Promise.all(c.brokerMetricsUrls.map(scrape))).join('\n');
  const t0 = Date.now();
  const r = await c.lg.storm(replay);
  c.say(
    `storm: ${r.connected}/${r.stations} reconnected in ${r.ms} ms, ${r.attempts} attempts ` +
      `(${r.stationsRetried} stations retried, at most ${r.maxAttempts} attempts; failures ${JSON.stringify(r.failures)}), ` +
      `${r.redelivered} messages redelivered, ${r.replayedReadings} readings replayed`,
  );
  const droppedBefore = (await c.lg.stats()).dropped;
  await sleep(2 * period);
  // Window: from the earliest replayed reading (whole second) to the end of the 2 periods after.
  const fromMs = Math.floor((r.replayedFromMs ?? t0 - 6 * period) / 1000) * 1000;
  const toMs = Math.floor(Date.now() / 1000) * 1000 - 1000;
  const st = await c.lg.stats();
  const inWindow = (by: Record<string, number>) =>
    Object.entries(by).reduce((a, [k, v]) => (Number(k) * 1000 >= fromMs && Number(k) * 1000 < toMs ? a + v : a), 0);
  const sent = inWindow(st.sentBySecond);
  const skippedReadings = inWindow(st.skippedBySecond);
  // Let the pipeline drain: until the count reaches what was sent, or has not moved for 10 s (at most 120 s).
  let stored = -1;
  let still = 0;
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    await sleep(2000);
    const n = await countStored(c.influxUrl, c.db, fromMs, toMs).catch(() => stored);
    still = n === stored ? still + 1 : 0;
    stored = n;
    if (n === sent || still >= 5) break;
  }
  const s1 = await scrape(c.serverMetricsUrl);
  const b1 = (await Promise.all(c.brokerMetricsUrls.map(scrape))).join('\n');
  const dupes = sumOf(s1, 'yizhan_ingest_duplicates_total') - sumOf(s0, 'yizhan_ingest_duplicates_total');
  const delta = (name: string) => sumOf(b1, name) - sumOf(b0, name);
  const { failures, redelivered: _r, replayedFromMs: _from, ...rest } = r;
  const report: StormReport = {
    ...rest,
    reconnectMs: r.ms,
    connectFailures: failures,
    // DUP resends from the storm through the drain (a connection dropped after the storm resends too).
    redeliveredMessages: st.redelivered - before.redelivered,
    droppedAfter: st.dropped - droppedBefore,
    skippedReadings,
    serverDuplicatesDropped: dupes,
    serverRejected: metricDeltaBy(s0, s1, 'yizhan_ingest_rejected_total', 'reason'),
    serverPointsDropped: metricDeltaBy(s0, s1, 'yizhan_influx_points_dropped_total', 'reason'),
    broker: {
      authCacheHits: delta('yizhan_broker_auth_cache_hits_total'),
      authCacheMisses: delta('yizhan_broker_auth_cache_misses_total'),
      authFailures: metricDeltaBy(b0, b1, 'yizhan_broker_auth_failures_total', 'reason'),
      guardDrops: metricDeltaBy(b0, b1, 'yizhan_broker_guard_drops_total', 'reason'),
      forcedDisconnects: metricDeltaBy(b0, b1, 'yizhan_broker_forced_disconnects_total', 'reason'),
      queueDropped: delta('yizhan_broker_queue_dropped_total'),
    },
    window: { fromMs, toMs, sent, stored, missing: Math.max(0, sent - stored), extra: Math.max(0, stored - sent) },
    exactlyOnce: stored === sent,
    loadgenRssMB: st.memory.rssMB,
    pass: false,
  };
  report.pass = report.connected === report.stations && report.exactlyOnce;
  c.say(`storm: ${JSON.stringify(report)}`);
  return report;
}
