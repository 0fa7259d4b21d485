/**
 * `npm start`'s demo history: on the first start (InfluxDB has no planning rollups yet) the sample
 * stations get `YIZHAN_DEMO_HISTORY_WEEKS` weeks of past messages (demo-history-model.ts) through
 * the server's own ingest (@yizhan/server/history-feed), the rollups of that range are backfilled
 * and the ranking store synced, so /app/planning has a heatmap, a ranking and trends at once.
 * A later start finds the rollups and seeds nothing. Never part of the server's own start.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { openHistoryFeed, planningRollupRows } from '@yizhan/server/history-feed';
import { HISTORY_STEP_MS, historyMessages } from './demo-history-model.js';

const DAY = 86_400_000;
/** Raw readings are kept at least this long by default (the server's YIZHAN_INFLUX_RETENTION). */
const SERVER_RETENTION_DAYS = 30;

/**
 * The raw retention the demo's server needs to take `weeks` of history (the ingest refuses
 * readings older than the retention): `YIZHAN_INFLUX_RETENTION` for the server's environment, or
 * nothing when the default is long enough or the user chose one.
 */
export function retentionFor(weeks: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const days = weeks * 7 + 2;
  if (env.YIZHAN_INFLUX_RETENTION !== undefined || days <= SERVER_RETENTION_DAYS) return {};
  return { YIZHAN_INFLUX_RETENTION: `${days}d` };
}

/** The county's offset from UTC at `at`, minutes (e.g. 480 for Asia/Shanghai). */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The seeded range: from the local midnight `weeks` weeks before today's to the last whole step before `now`. */
export function historyRange(weeks: number, now: number, utcOffsetMin: number): { from: number; to: number } {
  const off = utcOffsetMin * 60_000;
  const today = Math.floor((now + off) / DAY) * DAY - off;
  return { from: today - weeks * 7 * DAY, to: Math.floor(now / HISTORY_STEP_MS) * HISTORY_STEP_MS };
}

export interface DemoHistoryOptions {
  weeks: number;
  seed: number;
  /** The server's environment (data dir, stations, InfluxDB, retention, time zone). */
  serverEnv: NodeJS.ProcessEnv;
  /** The seeding server's JSON log. */
  logFile: string;
  now?: number;
  /** Called once when seeding begins (not when it is skipped). */
  starting?: () => void;
  /** Progress on the console: called with the share done, 0..1. */
  progress?: (done: number) => void;
}

export type DemoHistoryOutcome =
  | { seeded: false; reason: 'off' }
  | { seeded: false; reason: 'rollups'; rows: number }
  | {
      seeded: true;
      from: number;
      to: number;
      stations: number;
      messages: number;
      rejected: number;
      /**
       * Seconds: the messages through the ingest into InfluxDB (each week's rollups filled
       * meanwhile), the last week's rollups after that, the ranking store sync, and all of it with
       * opening and closing the server.
       */
      seconds: { ingest: number; rollups: number; ranking: number; total: number };
    };

/** Seed the history when InfluxDB has no planning rollups yet (see the file comment). */
export async function seedDemoHistory(o: DemoHistoryOptions): Promise<DemoHistoryOutcome> {
  if (o.weeks <= 0) return { seeded: false, reason: 'off' };
  const rows = await planningRollupRows(o.serverEnv);
  if (rows > 0) return { seeded: false, reason: 'rollups', rows };
  o.starting?.();
  const t0 = performance.now();
  mkdirSync(dirname(o.logFile), { recursive: true });
  const logStream = createWriteStream(o.logFile, { flags: 'a' });
  let logError: Error | undefined;
  logStream.on('error', (e) => (logError = e));
  const log = pino({ level: o.serverEnv.YIZHAN_LOG_LEVEL ?? 'info', base: { component: 'demo-history' } }, logStream);
  const feed = await openHistoryFeed(o.serverEnv, log);
  let outcome: Extract<DemoHistoryOutcome, { seeded: true }>;
  try {
    const now = o.now ?? Date.now();
    const utcOffsetMin = utcOffsetMinutes(feed.timeZone, now);
    const { from, to } = historyRange(o.weeks, now, utcOffsetMin);
    if (from < now - feed.retentionMs)
      throw new Error(
        `YIZHAN_DEMO_HISTORY_WEEKS=${o.weeks} needs raw readings kept ${o.weeks * 7 + 2} days, but YIZHAN_INFLUX_RETENTION keeps ${Math.floor(feed.retentionMs / DAY)}: raise the retention or lower the weeks`,
      );
    let shown = 0;
    const batches = historyMessages(feed.stations, { from, to, seed: o.seed, utcOffsetMin }, (share) => {
      if (share - shown >= 0.05 || share === 1) o.progress?.((shown = share));
    });
    const { messages, rejected, ingestMs, rollupsMs } = await feed.feed(batches, from, to);
    const t1 = performance.now();
    await feed.syncRanking(from, to);
    const t2 = performance.now();
    const sec = (ms: number) => Math.round(ms) / 1000;
    outcome = {
      seeded: true,
      from,
      to,
      stations: feed.stations.length,
      messages,
      rejected,
      seconds: { ingest: sec(ingestMs), rollups: sec(rollupsMs), ranking: sec(t2 - t1), total: 0 },
    };
    log.info({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), messages, rejected }, 'demo history seeded');
  } finally {
    await feed.close();
    await new Promise<void>((r) => logStream.end(r));
    if (logError) throw new Error(`the history log ${o.logFile} could not be written: ${logError.message}`);
  }
  outcome.seconds.total = Math.round(performance.now() - t0) / 1000;
  return outcome;
}
