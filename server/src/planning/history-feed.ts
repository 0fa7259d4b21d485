/**
 * A past for a fresh installation (`npm start`'s demo history, scripts/lib/demo-history.ts): the
 * server is built from its own settings, as main.ts builds it, but is never connected to a broker,
 * and the stations' messages are handed to the same `Ingestor.handle` the MQTT consumer calls. So
 * they go through the real checks, live state, the planners' derivation (derive.ts: station_use,
 * socket_session, turned_away) and the writer with its spool into InfluxDB. Then the rollups of the
 * range are backfilled (continuous queries only run forward) and the ranking store is synced.
 * Runs before the server process starts; the server itself never calls it.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationTopic } from '@yizhan/protocol';
import { buildApp } from '../app.js';
import { loadConfig, type ServerConfig } from '../config.js';
import { loadOrgFiles } from '../org/files.js';
import { InfluxError, InfluxQLClient, quoteIdent } from '../influx/query.js';
import { createTransport } from '../influx/transport.js';
import {
  backfillStatement,
  DEFAULT_ROLLUP_RETENTION_MS,
  DEFAULT_ROLLUP_RP,
  rollupQueries,
} from '../influx/rollups.js';
import { M } from './measures.js';

export interface HistoryMessage {
  stationId: string;
  leaf: 'telemetry' | 'events';
  /** The payload's time, Unix ms. */
  ts: number;
  payload: object;
}

/** The server's settings from `env`; a SettingsProblem-like error listing every problem. */
function configOf(env: NodeJS.ProcessEnv): ServerConfig {
  const r = loadConfig(env);
  if (!r.ok) throw new Error(`server settings:\n${r.errors.join('\n')}`);
  return r.config;
}

/**
 * Daily planning rollup rows InfluxDB holds (`station_use_1d`); 0 when the database or the rollup
 * policy does not exist yet. Other failures (InfluxDB down, refused credentials) are thrown.
 */
export async function planningRollupRows(env: NodeJS.ProcessEnv): Promise<number> {
  const c = configOf(env);
  const ql = new InfluxQLClient(createTransport(c.influx), { db: c.influx.db });
  const from = `${quoteIdent(c.influx.db)}.${quoteIdent(DEFAULT_ROLLUP_RP)}.${quoteIdent(M.stationUse1d)}`;
  try {
    const rows = await ql.rows(`SELECT count("samples") AS "n" FROM ${from}`);
    const n = rows[0]?.n;
    return typeof n === 'number' ? n : 0;
  } catch (e) {
    if (e instanceof InfluxError && /database not found|retention policy not found/.test(e.message)) return 0;
    throw e;
  }
}

export interface FeedCounts {
  /** Messages handed to the ingest. */
  messages: number;
  /** Of them, refused by the ingest's checks (each logged with its reason). */
  rejected: number;
  /** Until the last message was in InfluxDB, ms. */
  ingestMs: number;
  /** After that, until the last week's rollups were filled, ms. */
  rollupsMs: number;
}

export interface HistoryFeed {
  stations: StationConfig[];
  /** The county's IANA time zone (YIZHAN_TIMEZONE). */
  timeZone: string;
  /** How long raw readings are kept, ms (YIZHAN_INFLUX_RETENTION): older ones are refused. */
  retentionMs: number;
  /**
   * Hand every message of [from, to) to the ingest, batch by batch in time order, and fill the
   * planners' rollups week by week behind it (each week once its messages are in InfluxDB, while
   * the next ones are ingested) with their continuous queries' SELECT … INTO. The monitoring
   * rollups (occupancy_1h, socket_use_1h, dispenser_1h) are left to their queries.
   */
  feed(batches: Iterable<readonly HistoryMessage[]>, from: number, to: number): Promise<FeedCounts>;
  /** Copy the daily rollups into the ranking store; throws when the store does not cover from…to after it. */
  syncRanking(from: number, to: number): Promise<void>;
  close(): Promise<void>;
}

/** Lines waiting in the writer's memory above which feeding pauses for InfluxDB to catch up. */
const BACKLOG_LINES = 20_000;
const WEEK = 7 * 86_400_000;
/** What the planning pages read (measures.ts). */
const PLANNING_ROLLUPS = [
  M.stationUse1h,
  M.townshipUse1h,
  M.socketEnergy1h,
  M.sessions1h,
  M.turnedAway1h,
  M.stationUse1d,
];
const SETUP_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function counterTotal(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((s, v) => s + v.value, 0);
}

/** The server as main.ts builds it from `env`, without a broker; InfluxDB set up when it resolves. */
export async function openHistoryFeed(env: NodeJS.ProcessEnv, log: FastifyBaseLogger): Promise<HistoryFeed> {
  const c = configOf(env);
  const files = loadOrgFiles(c);
  if (!files.ok) throw new Error(files.message);
  const app: FastifyInstance = await buildApp({
    stations: files.stations,
    ...(files.townships ? { townships: files.townships } : {}),
    // No broker: messages come from feed(). An address nothing listens on, tried once an hour.
    mqtt: { url: 'mqtt://127.0.0.1:1', clientId: 'yizhan-history-feed', reconnectPeriodMs: 3_600_000 },
    influx: {
      ...c.influx,
      writer: {
        batchSize: 5000,
        flushIntervalMs: c.influx.flushIntervalMs,
        maxInFlight: 2,
        maxBufferLines: c.influx.maxBufferLines,
      },
    },
    dataDir: c.dataDir,
    ...(c.dbUrl ? { dbUrl: c.dbUrl } : {}),
    lang: c.lang,
    timeZone: c.timeZone,
    loggerInstance: log,
    defaultMetrics: false,
    rankingSync: { enabled: false },
  });
  try {
    await app.ready();
    const until = Date.now() + SETUP_TIMEOUT_MS;
    while (!app.influx.setupDone) {
      if (Date.now() > until)
        throw new Error(`InfluxDB at ${c.influx.url} was not set up within ${SETUP_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
  } catch (e) {
    await app.close();
    throw e;
  }
  return {
    stations: files.stations,
    timeZone: c.timeZone,
    retentionMs: c.influx.retentionMs,
    feed: (batches, from, to) => ingestAndRollUp(app, c, batches, from, to),
    async syncRanking(from, to) {
      const errors = await counterTotal(app.metrics.rankingSyncErrors);
      await app.rankingStore.sync.runNow();
      if (
        (await counterTotal(app.metrics.rankingSyncErrors)) > errors ||
        !(await app.rankingStore.store.covers(from, to))
      )
        throw new Error('the ranking store sync did not finish (see the log)');
    },
    close: () => app.close(),
  };
}

/** HistoryFeed.feed. */
async function ingestAndRollUp(
  app: FastifyInstance,
  c: ServerConfig,
  batches: Iterable<readonly HistoryMessage[]>,
  from: number,
  to: number,
): Promise<FeedCounts> {
  const writer = app.influx.writer;
  const rp = app.serverOptions.influx.rollups?.rp ?? DEFAULT_ROLLUP_RP;
  const queries = rollupQueries({
    db: c.influx.db,
    rawRp: c.influx.rp,
    rp,
    retentionMs: app.serverOptions.influx.rollups?.retentionMs ?? DEFAULT_ROLLUP_RETENTION_MS,
    timeZone: c.timeZone,
  }).filter((q) =>
    PLANNING_ROLLUPS.some((m) =>
      q.select.includes(` INTO ${quoteIdent(c.influx.db)}.${quoteIdent(rp)}.${quoteIdent(m)} `),
    ),
  );
  // A week per statement keeps each under the client's request timeout; in the list's order
  // (the daily energy reads the hourly one).
  let rollups = Promise.resolve();
  const rollUp = (a: number, b: number) => {
    rollups = rollups.then(async () => {
      for (const q of queries) await app.influx.ql.query(backfillStatement(q, a, b));
    });
    // Awaited below (after the last week, or before close on a failure); a failure of one week
    // skips the later ones.
    rollups.catch(() => undefined);
  };
  const t0 = performance.now();
  const rejectedBefore = await counterTotal(app.metrics.ingestRejected);
  let messages = 0;
  let weekStart = from;
  try {
    for (const batch of batches) {
      const first = batch[0];
      if (first && first.ts >= weekStart + WEEK) {
        await writer.flush();
        rollUp(weekStart, (weekStart += WEEK));
      }
      for (const m of batch)
        app.ingest.ingestor.handle(stationTopic(m.stationId, m.leaf), Buffer.from(JSON.stringify(m.payload)));
      messages += batch.length;
      // Let the writer send; wait while InfluxDB is behind.
      await new Promise<void>((r) => setImmediate(r));
      while (writer.memoryLines > BACKLOG_LINES && !writer.influxDown) await sleep(10);
    }
    await writer.flush();
    if (writer.influxDown) throw new Error(`InfluxDB at ${c.influx.url} stopped taking writes`);
  } catch (e) {
    await rollups.catch(() => undefined);
    throw e;
  }
  const t1 = performance.now();
  rollUp(weekStart, to);
  await rollups;
  return {
    messages,
    rejected: (await counterTotal(app.metrics.ingestRejected)) - rejectedBefore,
    ingestMs: t1 - t0,
    rollupsMs: performance.now() - t1,
  };
}
