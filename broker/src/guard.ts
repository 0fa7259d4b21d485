/**
 * The connection guard sits between the listeners and aedes:
 * - at accept, on the raw TCP socket of every listener, before any TLS or WebSocket work: closes
 *   connections from banned addresses, beyond the per-address connect rate, and beyond the budget
 *   of connections that have not yet sent a complete CONNECT (preauth.ts); closes those that have
 *   not done so within the connect timeout (a TLS client that never sends its ClientHello, a
 *   WebSocket that never upgrades, a TCP socket that stays silent);
 * - on the wire: follows MQTT framing in the bytes aedes reads, before mqtt-packet buffers them,
 *   and closes a connection whose first packet is not CONNECT or whose packet announces more
 *   than the size limit (mqtt-packet would otherwise buffer up to 256 MB per packet, even before
 *   authentication), and one whose SUBSCRIBE or UNSUBSCRIBE carries a filter that is not
 *   well-formed UTF-8 or contains U+0000 (MQTT-1.5.3-1, MQTT-1.5.3-2: the server MUST close);
 * - counts failed logins and refused connects per address as strikes; too many → a ban;
 * - counts bytes in and out of every socket.
 * Every closed connection is counted in yizhan_broker_guard_drops_total{listener,reason} and
 * logged (one line per reason and address per interval).
 *
 * One module per concern, under guard/: admission.ts (accept: bans, connect rate, pre-auth
 * budget, connect timer), wire.ts with frames.ts (what aedes reads), strikes.ts (strikes and
 * bans), drops.ts (the drop counter and its log lines), bytes.ts (bytes in and out). This file
 * composes them and hands connections to aedes.
 */
import type { Aedes, Client } from 'aedes';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import type { BrokerLimits } from './limits.js';
import type { ListenerKind } from './listeners.js';
import { watchParser } from './aedes-patches/parser.js';
import { Admission } from './guard/admission.js';
import { ByteCounter } from './guard/bytes.js';
import { DropReport, unmapped } from './guard/drops.js';
import { Strikes } from './guard/strikes.js';
import { wireWatch } from './guard/wire.js';

export type { GuardDrop } from './guard/drops.js';

export interface ConnectionGuard {
  /**
   * A TCP socket was just accepted by `listener`, before any TLS or WebSocket work. Closes it and
   * returns false when refused; otherwise starts its connect timer and returns true.
   */
  admit(raw: Socket, listener: ListenerKind): boolean;
  /** Hand a connection admitted by admit() to aedes; `raw` is its TCP socket (conn itself for plain TCP). */
  accept(conn: Duplex, raw: Socket, req?: unknown): void;
  /** A listener refused a connection itself (maxConnections) or could not accept one (EMFILE). */
  listenerDrop(
    listener: ListenerKind,
    reason: 'max_connections' | 'fd_limit',
    remote?: string,
    err?: Error,
  ): void;
  /** A failed login from this client's address: one strike. */
  loginFailed(client: Client): void;
  /** Remote address of a client's connection, as given to accept(). */
  addressOf(client: Client): string | undefined;
  isBanned(address: string): boolean;
  /** Bytes read and written over all sockets, live ones included. */
  bytes(): { in: number; out: number };
  /** Metric: connections refused or closed by the guard. */
  drops: Counter<'listener' | 'reason'>;
}

export function createGuard(
  aedes: Aedes,
  limits: BrokerLimits,
  log: Logger,
  registry: Registry,
): ConnectionGuard {
  // Created in this order so the registry lists the guard's metrics as it always has.
  const report = new DropReport(log, registry, limits.logIntervalMs);
  const strikes = new Strikes(limits, log, registry);
  const admission = new Admission(limits, strikes, report, log, registry);
  const byteCounter = new ByteCounter();
  const addresses = new WeakMap<object, string>();

  // Forget idle addresses now and then so the maps stay bounded by the active set.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      strikes.sweep(now);
      admission.sweep(now);
    },
    Math.min(limits.strikeWindowMs, 60_000),
  );
  sweep.unref();
  aedes.once('closed', () => clearInterval(sweep));

  const originalHandle = aedes.handle.bind(aedes) as (c: Duplex, r?: unknown) => Client;
  let warnedFilters = false;
  return {
    drops: report.drops,
    admit: (raw, listener) => admission.admit(raw, listener),
    isBanned: (address) => strikes.isBanned(unmapped(address) ?? address),
    addressOf: (client) => addresses.get(client.conn),
    loginFailed: (client) => strikes.strike(addresses.get(client.conn), 'failed login'),
    listenerDrop: (listener, reason, remote, err) => report.listenerDrop(listener, reason, remote, err),
    bytes: () => byteCounter.totals(),
    accept(conn, raw, req) {
      const ticket = admission.ticketOf(raw);
      const remote = ticket?.address ?? unmapped(raw.remoteAddress);
      const listener = ticket?.listener ?? 'tcp';
      if (remote !== undefined) addresses.set(conn, remote);
      // bytes on the wire: the TCP socket under TLS or WebSocket
      byteCounter.watch(raw);
      const client = originalHandle(conn, req);
      const watched = watchParser(
        client,
        wireWatch(client, listener, remote, { limits, report, strikes }, () => {
          if (ticket) admission.settle(ticket);
        }),
      );
      if (!watched.parse) {
        // aedes changed its internals: refuse rather than run without the size limit.
        log.error('aedes client has no _parser.parse; packet size cannot be enforced, refusing connections');
        report.refuse(conn, listener, remote, 'aedes_internals', 'broker cannot enforce packet limits');
        return;
      }
      if (!watched.filters && !warnedFilters) {
        warnedFilters = true;
        log.error(
          'mqtt-packet parser has not the expected shape; topic filters are not checked for UTF-8 (MQTT-1.5.3)',
        );
      }
    },
  };
}
