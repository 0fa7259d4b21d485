/**
 * Database and retention policy at start (idempotent):
 *
 *   CREATE DATABASE "yizhan"
 *   CREATE RETENTION POLICY "raw" ON "yizhan" DURATION 30d REPLICATION 1 DEFAULT
 *   (ALTER … when a policy of that name exists with other settings)
 *   CREATE RETENTION POLICY "rollup_2y" … 730d and the hourly continuous queries (rollups.ts)
 *
 * Only InfluxDB 1.x has databases and retention policies you create with InfluxQL. On 2.x/3.x
 * (api 'v2', or a `/ping` version that is not 1.x) the step is skipped with a log line: create the
 * bucket there and, on 2.x, a DBRP mapping `yizhan/raw` → bucket, so InfluxQL and the dashboards work.
 * The step is retried with backoff until InfluxDB answers; the server is not ready before.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Backoff, type BackoffOptions } from '@yizhan/common/backoff';
import { retryDecision, retryDelayMs } from '@yizhan/common/retry';
import type { InfluxApi } from './transport.js';
import { InfluxError, quoteIdent, type InfluxQLClient } from './query.js';
import { ensureRollups } from './rollups.js';

export interface SetupOptions {
  api: InfluxApi;
  db: string;
  rp: string;
  /** Retention of the policy, in ms (rounded up to whole hours, at least 1 h). */
  retentionMs: number;
  /** Rollup policy and continuous queries (rollups.ts); none: not created. */
  rollup?: { rp: string; retentionMs: number; timeZone?: string };
}

export type SetupOutcome =
  { done: 'created'; version: string | undefined } | { done: 'skipped'; reason: string };

/** Waits between setup attempts: 0.5 s doubling to 30 s (no jitter: one server, nothing to spread). */
export const DEFAULT_SETUP_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0,
});

/** InfluxQL duration literal for ms: whole days when exact, else hours (rounded up, ≥ 1h). */
export function influxDuration(ms: number): string {
  const day = 86_400_000;
  if (ms > 0 && ms % day === 0) return `${ms / day}d`;
  return `${Math.max(1, Math.ceil(ms / 3_600_000))}h`;
}

export async function setupOnce(
  client: InfluxQLClient,
  opts: SetupOptions,
  log: FastifyBaseLogger,
): Promise<SetupOutcome> {
  if (opts.api === 'v2') {
    const reason =
      'INFLUX_API=v2: buckets and DBRP mappings are managed in InfluxDB 2.x/3.x, not by this server';
    log.info({ db: opts.db, rp: opts.rp }, `influx setup skipped: ${reason}`);
    return { done: 'skipped', reason };
  }
  const { version } = await client.ping();
  if (version !== undefined && !/^v?1\./.test(version)) {
    const reason = `InfluxDB ${version} is not 1.x: create the bucket and a DBRP mapping ${opts.db}/${opts.rp} there`;
    log.info({ version }, `influx setup skipped: ${reason}`);
    return { done: 'skipped', reason };
  }
  const db = quoteIdent(opts.db);
  const rp = quoteIdent(opts.rp);
  const dur = influxDuration(opts.retentionMs);
  await client.query(`CREATE DATABASE ${db}`);
  try {
    await client.query(`CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${dur} REPLICATION 1 DEFAULT`);
  } catch (e) {
    if (!(e instanceof InfluxError) || !/already exists/.test(e.message)) throw e;
    await client.query(`ALTER RETENTION POLICY ${rp} ON ${db} DURATION ${dur} DEFAULT`);
    log.info(
      { db: opts.db, rp: opts.rp, duration: dur },
      'influx retention policy existed with other settings; altered',
    );
  }
  log.info(
    { version, db: opts.db, rp: opts.rp, duration: dur },
    'influx database and default retention policy ready',
  );
  if (opts.rollup) await ensureRollups(client, { db: opts.db, rawRp: opts.rp, ...opts.rollup }, log);
  return { done: 'created', version };
}

/**
 * Run {@link setupOnce} until it succeeds or `signal` aborts (then rejects with the abort reason).
 * Waits double from `backoff.minMs` to `backoff.maxMs` (longer when InfluxDB sends Retry-After).
 * Errors that a retry cannot fix (auth, bad names: common/src/retry.ts decides) are logged as
 * errors, the rest as warnings; both are retried, since an operator may fix them.
 */
export async function setupWithRetry(
  client: InfluxQLClient,
  opts: SetupOptions,
  log: FastifyBaseLogger,
  signal: AbortSignal,
  backoff: { minMs?: number; maxMs?: number } = {},
): Promise<SetupOutcome> {
  const delays = new Backoff({
    ...DEFAULT_SETUP_BACKOFF,
    initialMs: backoff.minMs ?? DEFAULT_SETUP_BACKOFF.initialMs,
    maxMs: backoff.maxMs ?? DEFAULT_SETUP_BACKOFF.maxMs,
  });
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    let wait: number;
    try {
      return await setupOnce(client, opts, log);
    } catch (e) {
      signal.throwIfAborted();
      // What did not come from InfluxDB (transport errors are InfluxErrors) is a bug here.
      const err = e instanceof InfluxError ? e : new InfluxError(String(e), false);
      const decision = retryDecision(err);
      wait = retryDelayMs(decision, delays);
      const ctx = { attempt, retryInMs: wait, err: err.message, reason: decision.reason };
      if (decision.retriable) log.warn(ctx, 'influx setup failed; InfluxDB not reachable yet, retrying');
      else log.error(ctx, 'influx setup failed; check INFLUX_* settings (a retry alone will not help)');
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, wait);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
