/**
 * The connection guard sits between the listeners and aedes:
 * - at accept: closes connections from banned addresses and beyond the per-address connect rate;
 * - on the wire: follows MQTT framing in the bytes aedes reads, before mqtt-packet buffers them,
 *   and closes a connection whose first packet is not CONNECT or whose packet announces more
 *   than the size limit (mqtt-packet would otherwise buffer up to 256 MB per packet, even before
 *   authentication);
 * - counts failed logins and refused connects per address as strikes; too many → a ban;
 * - counts bytes in and out of every socket.
 */
import type { Aedes, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LogThrottle, TokenBucket, type BrokerLimits } from './limits.js';

export type GuardDrop = 'banned' | 'connect_rate' | 'not_connect_first' | 'oversized_packet' | 'malformed_length' | 'aedes_internals';

export interface ConnectionGuard {
  /** Hand a new connection to aedes unless refused. `remote` is the peer address (IP). */
  accept(conn: Duplex, remote: string | undefined, req?: unknown): void;
  /** A failed login from this client's address: one strike. */
  loginFailed(client: Client): void;
  /** Remote address of a client's connection, as given to accept(). */
  addressOf(client: Client): string | undefined;
  isBanned(address: string): boolean;
  /** Bytes read and written over all sockets, live ones included. */
  bytes(): { in: number; out: number };
  /** Metric: connections refused or closed by the guard. */
  drops: Counter<'reason'>;
}

interface Strikes {
  times: number[];
  bannedUntil: number;
}

interface ParserLike {
  parse(buf: Buffer): number;
}

/** What of a socket counts its bytes. */
interface ByteCounted {
  bytesRead?: number;
  bytesWritten?: number;
}

export function createGuard(aedes: Aedes, limits: BrokerLimits, log: Logger, registry: Registry): ConnectionGuard {
  const registers = [registry];
  const drops = new Counter({
    name: 'yizhan_broker_guard_drops_total',
    help: 'Connections refused at accept or closed on the wire by the guard, by reason (banned, connect_rate, not_connect_first, oversized_packet, malformed_length)',
    labelNames: ['reason'],
    registers,
  });
  const bans = new Counter({ name: 'yizhan_broker_bans_total', help: 'Addresses banned after repeated failed logins or connect floods', registers });
  const strikesByAddr = new Map<string, Strikes>();
  const buckets = new Map<string, TokenBucket>();
  const trusted = new Set(limits.trustedAddresses);
  const addresses = new WeakMap<object, string>();
  const throttle = new LogThrottle(limits.logIntervalMs);
  const live = new Set<ByteCounted>();
  const done = { in: 0, out: 0 };
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

  function refuse(conn: Duplex, remote: string | undefined, reason: GuardDrop, detail: string): void {
    drops.inc({ reason });
    warn(`${reason}|${remote ?? ''}`, { remote, reason }, `connection closed: ${detail}`);
    conn.destroy();
  }

  /** Follows the MQTT framing of what aedes reads; returns a reason when the stream must be cut. */
  function frameChecker(client: Client): (buf: Buffer) => GuardDrop | undefined {
    let first = true;
    let remaining = 0; // body bytes of the current packet still to come
    let headerBytes = 0; // 0 = expecting a packet type byte
    let length = 0;
    let multiplier = 1;
    return (buf) => {
      let i = 0;
      while (i < buf.length) {
        if (remaining > 0) {
          const n = Math.min(remaining, buf.length - i);
          i += n;
          remaining -= n;
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
        const max = (client as Client & { connackSent?: boolean }).connackSent ? limits.maxPacketBytes : limits.maxConnectPacketBytes;
        if (headerBytes + length > max) return 'oversized_packet';
        remaining = length;
        headerBytes = 0;
      }
      return undefined;
    };
  }

  const originalHandle = aedes.handle.bind(aedes);
  return {
    drops,
    isBanned: (address) => isBanned(address.startsWith('::ffff:') ? address.slice(7) : address),
    addressOf: (client) => addresses.get(client.conn),
    loginFailed: (client) => strike(addresses.get(client.conn), 'failed login'),
    bytes() {
      let i = done.in;
      let o = done.out;
      for (const s of live) {
        i += s.bytesRead ?? 0;
        o += s.bytesWritten ?? 0;
      }
      return { in: i, out: o };
    },
    accept(conn, peer, req) {
      // an IPv4 peer on a dual-stack listener shows as ::ffff:a.b.c.d; one address, one budget
      const remote = peer?.startsWith('::ffff:') ? peer.slice(7) : peer;
      if (remote !== undefined && !trusted.has(remote)) {
        if (isBanned(remote)) return refuse(conn, remote, 'banned', 'address is banned');
        let bucket = buckets.get(remote);
        if (!bucket) buckets.set(remote, (bucket = new TokenBucket(limits.connectRate)));
        if (!bucket.tryTake()) {
          strike(remote, 'connect rate');
          return refuse(conn, remote, 'connect_rate', `more than ${limits.connectRate.perSecond} connects/s from one address`);
        }
      }
      if (remote !== undefined) addresses.set(conn, remote);
      const counted = (conn as Duplex & { _yizhanBytes?: ByteCounted })._yizhanBytes ?? (conn as ByteCounted);
      live.add(counted);
      conn.once('close', () => {
        live.delete(counted);
        done.in += counted.bytesRead ?? 0;
        done.out += counted.bytesWritten ?? 0;
      });
      const client = (originalHandle as (c: Duplex, r?: unknown) => Client)(conn, req);
      const parser = (client as Client & { _parser?: ParserLike })._parser;
      if (!parser || typeof parser.parse !== 'function') {
        // aedes changed its internals: refuse rather than run without the size limit.
        log.error('aedes client has no _parser.parse; packet size cannot be enforced, refusing connections');
        return refuse(conn, remote, 'aedes_internals', 'broker cannot enforce packet limits');
      }
      const check = frameChecker(client);
      const parse = parser.parse.bind(parser);
      let cut = false;
      parser.parse = (buf: Buffer): number => {
        if (cut) return 0;
        const bad = check(buf);
        if (bad === undefined) return parse(buf);
        cut = true;
        const detail = bad === 'oversized_packet' ? 'packet larger than the limit' : bad === 'not_connect_first' ? 'first packet is not CONNECT' : 'malformed remaining length';
        drops.inc({ reason: bad });
        strike(remote, bad);
        warn(`${bad}|${client.id ?? remote ?? ''}`, { remote, clientId: client.id, reason: bad }, `connection closed: ${detail}`);
        client.emit('error', new Error(detail));
        return 0;
      };
    },
  };
}
