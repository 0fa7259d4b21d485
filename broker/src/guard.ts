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
 */
import type { Aedes, Client } from 'aedes';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LogThrottle, TokenBucket, type BrokerLimits } from './limits.js';
import type { ListenerKind } from './listeners.js';
import { openFilesLimit, PreAuthBudget } from './preauth.js';
import { connackSent, watchParser } from './aedes-patches/parser.js';

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

/** Why the framing check cuts a stream. */
type FrameDrop = 'not_connect_first' | 'oversized_packet' | 'malformed_length';

export interface ConnectionGuard {
  /**
   * A TCP socket was just accepted by `listener`, before any TLS or WebSocket work. Closes it and
   * returns false when refused; otherwise starts its connect timer and returns true.
   */
  admit(raw: Socket, listener: ListenerKind): boolean;
  /** Hand a connection admitted by admit() to aedes; `raw` is its TCP socket (conn itself for plain TCP). */
  accept(conn: Duplex, raw: Socket, req?: unknown): void;
  /** A listener refused a connection itself (maxConnections) or could not accept one (EMFILE). */
  listenerDrop(listener: ListenerKind, reason: 'max_connections' | 'fd_limit', remote?: string, err?: Error): void;
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

interface Strikes {
  times: number[];
  bannedUntil: number;
}

/** What of a socket counts its bytes. */
interface ByteCounted {
  bytesRead?: number;
  bytesWritten?: number;
}

/** A connection between accept and its complete CONNECT. */
interface Ticket {
  address: string;
  listener: ListenerKind;
  raw: Socket;
  timer?: NodeJS.Timeout;
}

const unmapped = (a: string | undefined): string | undefined => (a?.startsWith('::ffff:') ? a.slice(7) : a);

export function createGuard(aedes: Aedes, limits: BrokerLimits, log: Logger, registry: Registry): ConnectionGuard {
  const registers = [registry];
  const drops = new Counter({
    name: 'yizhan_broker_guard_drops_total',
    help: 'Connections refused at accept or closed by the guard, by listener (tcp, tls, ws) and reason (banned, connect_rate, preauth_per_address, preauth_full, preauth_evicted, connect_timeout, max_connections, fd_limit, not_connect_first, oversized_packet, malformed_length, invalid_filter)',
    labelNames: ['listener', 'reason'],
    registers,
  });
  const bans = new Counter({ name: 'yizhan_broker_bans_total', help: 'Addresses banned after repeated failed logins or connect floods', registers });
  const strikesByAddr = new Map<string, Strikes>();
  const buckets = new Map<string, TokenBucket>();
  const trusted = new Set(limits.trustedAddresses);
  const addresses = new WeakMap<object, string>();
  const tickets = new WeakMap<Socket, Ticket>();
  const throttle = new LogThrottle(limits.logIntervalMs);
  const live = new Set<ByteCounted>();
  const done = { in: 0, out: 0 };
  // A quarter of the open-file limit at most goes to connections that have not yet authenticated,
  // so a flood cannot take the descriptors that authenticated stations need.
  const fds = openFilesLimit();
  const budget = new PreAuthBudget<Ticket>(limits.maxPreAuthPerAddress, Math.max(1, Math.min(limits.maxPreAuth, Math.floor((fds ?? Infinity) / 4))));
  if (budget.total < limits.maxPreAuth)
    log.warn({ openFilesLimit: fds, maxPreAuth: budget.total }, 'open-file limit is low: unauthenticated connections capped at a quarter of it; raise it (systemd LimitNOFILE, ulimit -n)');
  new Gauge({
    name: 'yizhan_broker_banned_addresses',
    help: 'Remote addresses banned now',
    registers,
    collect() {
      const now = Date.now();
      let n = 0;
      for (const s of strikesByAddr.values()) if (s.bannedUntil > now) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'yizhan_broker_preauth_connections',
    help: 'Connections accepted that have not yet sent a complete CONNECT (TLS handshake, WebSocket upgrade or CONNECT under way)',
    registers,
    collect() {
      this.set(budget.size);
    },
  });

  // Forget idle addresses now and then so the maps stay bounded by the active set.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [a, s] of strikesByAddr) {
      s.times = s.times.filter((t) => now - t < limits.strikeWindowMs);
      if (s.times.length === 0 && s.bannedUntil <= now) strikesByAddr.delete(a);
    }
    for (const [a, b] of buckets) if (b.isFull(now)) buckets.delete(a);
  }, Math.min(limits.strikeWindowMs, 60_000));
  sweep.unref();
  aedes.once('closed', () => clearInterval(sweep));

  const warn = (key: string, fields: Record<string, unknown>, msg: string): void => {
    const suppressed = throttle.pass(key);
    if (suppressed !== undefined) log.warn({ ...fields, ...(suppressed ? { suppressed } : {}) }, msg);
  };

  function strike(address: string | undefined, why: string): void {
    if (address === undefined || trusted.has(address)) return;
    const now = Date.now();
    let s = strikesByAddr.get(address);
    if (!s) strikesByAddr.set(address, (s = { times: [], bannedUntil: 0 }));
    s.times.push(now);
    while (s.times.length > 0 && now - (s.times[0] ?? now) >= limits.strikeWindowMs) s.times.shift();
    if (s.times.length >= limits.maxStrikes && s.bannedUntil <= now) {
      s.bannedUntil = now + limits.banMs;
      s.times = [];
      bans.inc();
      log.warn({ remote: address, banMs: limits.banMs, strikes: limits.maxStrikes, lastStrike: why }, 'address banned: repeated failed logins or connect flood');
    }
  }

  function isBanned(address: string): boolean {
    const s = strikesByAddr.get(address);
    return s !== undefined && s.bannedUntil > Date.now();
  }

  function refuse(conn: Duplex, listener: ListenerKind, remote: string | undefined, reason: GuardDrop, detail: string): false {
    drops.inc({ listener, reason });
    warn(`${reason}|${remote ?? ''}`, { listener, remote, reason }, `connection closed: ${detail}`);
    conn.destroy();
    return false;
  }

  /** The connection sent its complete CONNECT (or closed): it leaves the pre-auth budget. */
  function settle(t: Ticket): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    budget.release(t);
  }

  function admit(raw: Socket, listener: ListenerKind): boolean {
    const remote = unmapped(raw.remoteAddress);
    if (remote === undefined) {
      raw.destroy(); // already gone: nothing to count
      return false;
    }
    const t: Ticket = { address: remote, listener, raw };
    if (!trusted.has(remote)) {
      if (isBanned(remote)) return refuse(raw, listener, remote, 'banned', 'address is banned');
      let bucket = buckets.get(remote);
      if (!bucket) buckets.set(remote, (bucket = new TokenBucket(limits.connectRate)));
      if (!bucket.tryTake()) {
        strike(remote, 'connect rate');
        return refuse(raw, listener, remote, 'connect_rate', `more than ${limits.connectRate.perSecond} connects/s from one address`);
      }
      const admitted = budget.admit(t);
      if (!admitted.ok) {
        strike(remote, admitted.reason);
        const detail =
          admitted.reason === 'preauth_per_address'
            ? `${limits.maxPreAuthPerAddress} connections from this address have not sent CONNECT yet`
            : `${budget.total} connections have not sent CONNECT yet, this address holds its share`;
        return refuse(raw, listener, remote, admitted.reason, detail);
      }
      if (admitted.evict) {
        const e = admitted.evict;
        settle(e);
        refuse(e.raw, e.listener, e.address, 'preauth_evicted', 'unauthenticated connections at their limit: the oldest of the address holding most closed to admit another address');
      }
    }
    tickets.set(raw, t);
    t.timer = setTimeout(() => {
      t.timer = undefined;
      budget.release(t);
      strike(remote, 'connect timeout');
      refuse(raw, listener, remote, 'connect_timeout', `no complete CONNECT within ${limits.connectTimeoutMs} ms of accept`);
    }, limits.connectTimeoutMs);
    t.timer.unref();
    raw.once('close', () => settle(t));
    return true;
  }

  /** Follows the MQTT framing of what aedes reads; returns a reason when the stream must be cut. */
  function frameChecker(client: Client, connectComplete: () => void): (buf: Buffer) => FrameDrop | undefined {
    let first = true; // the next packet type byte is the first one
    let inConnect = true; // the first packet's bytes have not all arrived
    let remaining = 0; // body bytes of the current packet still to come
    let headerBytes = 0; // 0 = expecting a packet type byte
    let length = 0;
    let multiplier = 1;
    const packetDone = (): void => {
      if (!inConnect) return;
      inConnect = false;
      connectComplete();
    };
    return (buf) => {
      let i = 0;
      while (i < buf.length) {
        if (remaining > 0) {
          const n = Math.min(remaining, buf.length - i);
          i += n;
          remaining -= n;
          if (remaining === 0) packetDone();
          continue;
        }
        const b = buf[i++] ?? 0;
        if (headerBytes === 0) {
          if (first && b >> 4 !== 1) return 'not_connect_first';
          first = false;
          headerBytes = 1;
          length = 0;
          multiplier = 1;
          continue;
        }
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        headerBytes++;
        if (b & 0x80) {
          if (headerBytes > 4) return 'malformed_length';
          continue;
        }
        const max = connackSent(client) ? limits.maxPacketBytes : limits.maxConnectPacketBytes;
        if (headerBytes + length > max) return 'oversized_packet';
        remaining = length;
        headerBytes = 0;
        if (remaining === 0) packetDone();
      }
      return undefined;
    };
  }

  const originalHandle = aedes.handle.bind(aedes);
  let warnedFilters = false;
  return {
    drops,
    admit,
    isBanned: (address) => isBanned(unmapped(address) ?? address),
    addressOf: (client) => addresses.get(client.conn),
    loginFailed: (client) => strike(addresses.get(client.conn), 'failed login'),
    listenerDrop(listener, reason, remote, err) {
      drops.inc({ listener, reason });
      const suppressed = throttle.pass(`${reason}|${listener}`);
      if (suppressed === undefined) return;
      const fields = { listener, remote: unmapped(remote), reason, err: err?.message, ...(suppressed ? { suppressed } : {}) };
      if (reason === 'fd_limit') log.error(fields, 'connection not accepted: the process is out of file descriptors (raise the open-file limit)');
      else log.warn(fields, 'connection closed at accept: listener at its maximum connections');
    },
    bytes() {
      let i = done.in;
      let o = done.out;
      for (const s of live) {
        i += s.bytesRead ?? 0;
        o += s.bytesWritten ?? 0;
      }
      return { in: i, out: o };
    },
    accept(conn, raw, req) {
      const ticket = tickets.get(raw);
      const remote = ticket?.address ?? unmapped(raw.remoteAddress);
      const listener = ticket?.listener ?? 'tcp';
      if (remote !== undefined) addresses.set(conn, remote);
      // bytes on the wire: the TCP socket under TLS or WebSocket
      live.add(raw);
      raw.once('close', () => {
        live.delete(raw);
        done.in += raw.bytesRead;
        done.out += raw.bytesWritten;
      });
      const client = (originalHandle as (c: Duplex, r?: unknown) => Client)(conn, req);
      const watched = watchParser(client, {
        check: frameChecker(client, () => {
          if (ticket) settle(ticket);
        }),
        onCut(bad) {
          const detail = bad === 'oversized_packet' ? 'packet larger than the limit' : bad === 'not_connect_first' ? 'first packet is not CONNECT' : 'malformed remaining length';
          drops.inc({ listener, reason: bad });
          strike(remote, bad);
          warn(`${bad}|${client.id ?? remote ?? ''}`, { listener, remote, clientId: client.id, reason: bad }, `connection closed: ${detail}`);
          client.emit('error', new Error(detail));
        },
        onBadFilter() {
          drops.inc({ listener, reason: 'invalid_filter' });
          strike(remote, 'invalid_filter');
          warn(`invalid_filter|${client.id ?? remote ?? ''}`, { listener, remote, clientId: client.id, reason: 'invalid_filter' }, 'connection closed: topic filter not well-formed UTF-8 or contains U+0000 (MQTT-1.5.3-1/-2)');
        },
      });
      if (!watched.parse) {
        // aedes changed its internals: refuse rather than run without the size limit.
        log.error('aedes client has no _parser.parse; packet size cannot be enforced, refusing connections');
        refuse(conn, listener, remote, 'aedes_internals', 'broker cannot enforce packet limits');
        return;
      }
      if (!watched.filters && !warnedFilters) {
        warnedFilters = true;
        log.error('mqtt-packet parser has not the expected shape; topic filters are not checked for UTF-8 (MQTT-1.5.3)');
      }
    },
  };
}
