/**
 * The project's broker (broker/src) as its own process for bench:ingest, with limits sized for a
 * province on one machine: 25,000 connections, the load generator's address trusted (no connect
 * rate limit or bans from 127.0.0.1), a deep per-session queue for the server's subscription.
 *
 *   node --import tsx bench/ingest-broker.ts <credentials.json> <port>
 */
import pino from 'pino';
import { startBroker } from '../broker/src/index.js';

const [file, port] = process.argv.slice(2);
if (!file || !port) throw new Error('usage: ingest-broker.ts <credentials.json> <port>');
const broker = await startBroker({
  port: Number(port),
  credentialsFile: file,
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  maxConnections: 25_000,
  limits: {
    trustedAddresses: ['127.0.0.1', '::ffff:127.0.0.1'],
    maxQueuedPerClient: 1_000_000,
    connectTimeoutMs: 60_000,
  },
});
process.stdout.write(`broker ready on ${broker.url}\n`);
const stop = () => {
  void broker.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
