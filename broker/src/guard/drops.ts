/**
 * Every connection the guard refuses or closes is counted in
 * yizhan_broker_guard_drops_total{listener,reason} and logged, one line per reason and address
 * (or client) per interval, with the number of lines suppressed since.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { LogThrottle } from '@yizhan/common/log-throttle';
import type { ListenerKind } from '../listeners.js';

export type GuardDrop =
  | 'banned'
  | 'connect_rate'
  | 'preauth_per_address'
  | 'preauth_full'
  | 'preauth_evicted'
  | 'connect_timeout'
  | 'max_connections'
  | 'fd_limit'
  | 'not_connect_first'
  | 'oversized_packet'
  | 'malformed_length'
  | 'invalid_filter'
  | 'aedes_internals';

export class DropReport {
  /** Metric: connections refused or closed by the guard. */
  readonly drops: Counter<'listener' | 'reason'>;
  private readonly throttle: LogThrottle;

  constructor(
    private readonly log: Logger,
    registry: Registry,
    logIntervalMs: number,
  ) {
    this.throttle = new LogThrottle(logIntervalMs);
    this.drops = new Counter({
      name: 'yizhan_broker_guard_drops_total',
      help: 'Connections refused at accept or closed by the guard, by listener (tcp, tls, ws) and reason (banned, connect_rate, preauth_per_address, preauth_full, preauth_evicted, connect_timeout, max_connections, fd_limit, not_connect_first, oversized_packet, malformed_length, invalid_filter)',
      labelNames: ['listener', 'reason'],
      registers: [registry],
    });
  }

  /** A warning, logged once per `key` per interval. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const suppressed = this.throttle.pass(key);
    if (suppressed !== undefined) this.log.warn({ ...fields, ...(suppressed ? { suppressed } : {}) }, msg);
  }

  /** Count, log and close a connection; false, for admit() to return. */
  refuse(
    conn: Duplex,
    listener: ListenerKind,
    remote: string | undefined,
    reason: GuardDrop,
    detail: string,
  ): false {
    this.drops.inc({ listener, reason });
    this.warn(`${reason}|${remote ?? ''}`, { listener, remote, reason }, `connection closed: ${detail}`);
    conn.destroy();
    return false;
  }

  /** A listener refused a connection itself (maxConnections) or could not accept one (EMFILE). */
  listenerDrop(
    listener: ListenerKind,
    reason: 'max_connections' | 'fd_limit',
    remote?: string,
    err?: Error,
  ): void {
    this.drops.inc({ listener, reason });
    const suppressed = this.throttle.pass(`${reason}|${listener}`);
    if (suppressed === undefined) return;
    const fields = {
      listener,
      remote: unmapped(remote),
      reason,
      err: err?.message,
      ...(suppressed ? { suppressed } : {}),
    };
    if (reason === 'fd_limit')
      this.log.error(
        fields,
        'connection not accepted: the process is out of file descriptors (raise the open-file limit)',
      );
    else this.log.warn(fields, 'connection closed at accept: listener at its maximum connections');
  }
}

/** An IPv4-mapped IPv6 address shown as IPv4, as addresses are keyed everywhere in the guard. */
export const unmapped = (a: string | undefined): string | undefined =>
  a?.startsWith('::ffff:') ? a.slice(7) : a;
