/**
 * The project's broker (broker/src) as its own process for bench:ingest. Its limits are the
 * production defaults (per-address connect rate, strikes and bans, 5 s CONNECT timeout, scrypt
 * two at a time with a queue of 500) except three that a province-sized broker must raise too,
 * sized from the station count given here (the stations this process serves):
 * - `maxConnections`: 2 × stations + 1,000. During a reconnect storm the old connections of
 *   stations can still be open at the broker while their new ones arrive (default 20,000);
 * - the verification cache holds every station (default 10,000 entries: past that, a storm makes
 *   the oldest stations pay scrypt again);
 * - a deep per-session queue for the server's subscription (default 1,000 per client).
 * Nothing is trusted: the load generator connects each station from its own loopback address
 * (127.1.x.y), as a province's stations come from many addresses, so the per-address connect
 * budget and strike limits apply as they would in the field. (Stations behind one carrier-grade
 * NAT address share that budget; see docs/broker.md.)
 *
 * With a Redis URL, several of these processes act as one broker (broker/src/persistence.ts): the
 * bench uses that when one process may not hold a socket per station (open-file limit), with a
 * the broker's workaround for an aedes bug there (coalesceAddSubscriptions in broker/src/persistence.ts).
 *
 *   node --import tsx bench/ingest-broker.ts <credentials.json> <port> <metrics port> <stations> [redis://…]
 *
 * Started with `--cpu-prof` (bench:ingest --profile-broker), it exits at once on SIGTERM/SIGINT
 * without closing its connections, so that node writes the profile.
 */
import { dirname, join } from 'node:path';
import pino from 'pino';
import { startBroker } from '@yizhan/broker';

const [file, port, metricsPort, stations, redisUrl] = process.argv.slice(2);
if (!file || !port || !metricsPort || !stations)
  throw new Error('usage: ingest-broker.ts <credentials.json> <port> <metrics port> <stations> [redis://…]');
const n = Number(stations);
const broker = await startBroker({
  port: Number(port),
  metricsPort: Number(metricsPort),
  credentialsFile: file,
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  maxConnections: 2 * n + 1_000,
  credentials: { cacheMaxEntries: n + 1_000 },
  limits: { maxQueuedPerClient: 1_000_000 },
  // As deployed (broker/src/main.ts): sessions and queued messages journalled on disk, a station's
  // PUBACK only once its message is fsynced; BENCH_BROKER_STATE_DIR=memory measures without it.
  ...(redisUrl
    ? { redisUrl }
    : process.env.BENCH_BROKER_STATE_DIR === 'memory'
      ? {}
      : { stateDir: process.env.BENCH_BROKER_STATE_DIR ?? join(dirname(file), 'broker-state') }),
});
process.stdout.write(`broker ready on ${broker.url}, metrics on ${broker.metricsPort}\n`);
// Under --cpu-prof (bench:ingest --profile-broker) exit at once: node writes the profile only on a
// normal exit, and closing thousands of connections can outlast the bench's stop timeout (SIGKILL).
const profiling = process.execArgv.some((a) => a.startsWith('--cpu-prof'));
const stop = () => {
  if (profiling) process.exit(0);
  void broker.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
