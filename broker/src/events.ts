/** What aedes reports about connections and itself: counted and logged. */
import type { Aedes, Client } from 'aedes';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { remoteOf } from './hooks/index.js';
import type { BrokerLimits } from './limits.js';
import type { BrokerMetrics } from './metrics.js';

export function logBrokerEvents(aedes: Aedes, metrics: BrokerMetrics, limits: BrokerLimits, log: Logger): void {
  aedes.on('keepaliveTimeout', (client) => {
    metrics.disconnects.inc({ reason: 'keepalive' });
    log.info({ clientId: client.id }, 'client keepalive timed out');
  });
  const errored = new WeakSet<Client>(); // a dropped client reports one error per pending write
  aedes.on('clientError', (client, err) => {
    if (errored.has(client)) return;
    errored.add(client);
    const slow = err.message === 'drain timeout';
    metrics.disconnects.inc({ reason: slow ? 'drain_timeout' : 'client_error' });
    if (slow) log.warn({ clientId: client.id, drainTimeoutMs: limits.drainTimeoutMs }, 'client disconnected: it stopped reading (drain timeout)');
    else log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => log.debug({ remote: remoteOf(client), err: err.message }, 'connection error before CONNECT'));
  // aedes emits 'error' for persistence failures; without a listener they would end the process.
  (aedes as EventEmitter).on('error', (err: Error) => log.error({ err }, 'aedes error'));
}
