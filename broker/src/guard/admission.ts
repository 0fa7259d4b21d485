/**
 * Admission at accept, on the raw TCP socket of every listener, before any TLS or WebSocket work:
 * closes connections from banned addresses, beyond the per-address connect rate, and beyond the
 * budget of connections that have not yet sent a complete CONNECT (preauth.ts); then closes those
 * that have not done so within the connect timeout (a TLS client that never sends its
 * ClientHello, a WebSocket that never upgrades, a TCP socket that stays silent).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { TokenBucket, type BrokerLimits } from '../limits.js';
import type { ListenerKind } from '../listeners.js';
import { openFilesLimit, PreAuthBudget } from '../preauth.js';
import { unmapped, type DropReport } from './drops.js';
import type { Strikes } from './strikes.js';

/** A connection between accept and its complete CONNECT. */
export interface Ticket {
  address: string;
  listener: ListenerKind;
  raw: Socket;
  timer?: NodeJS.Timeout;
}

export type AdmissionLimits = Pick<
  BrokerLimits,
  'connectRate' | 'connectTimeoutMs' | 'maxPreAuthPerAddress' | 'maxPreAuth'
>;

export class Admission {
  private readonly tickets = new WeakMap<Socket, Ticket>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly budget: PreAuthBudget<Ticket>;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly strikes: Strikes,
    private readonly report: DropReport,
    log: Logger,
    registry: Registry,
  ) {
    // A quarter of the open-file limit at most goes to connections that have not yet authenticated,
    // so a flood cannot take the descriptors that authenticated stations need.
    const fds = openFilesLimit();
    const budget = new PreAuthBudget<Ticket>(
      limits.maxPreAuthPerAddress,
      Math.max(1, Math.min(limits.maxPreAuth, Math.floor((fds ?? Infinity) / 4))),
    );
    this.budget = budget;
    if (budget.total < limits.maxPreAuth)
      log.warn(
        { openFilesLimit: fds, maxPreAuth: budget.total },
        'open-file limit is low: unauthenticated connections capped at a quarter of it; raise it (systemd LimitNOFILE, ulimit -n)',
      );
    new Gauge({
      name: 'yizhan_broker_preauth_connections',
      help: 'Connections accepted that have not yet sent a complete CONNECT (TLS handshake, WebSocket upgrade or CONNECT under way)',
      registers: [registry],
      collect() {
        this.set(budget.size);
      },
    });
  }

  /**
   * A TCP socket was just accepted by `listener`. Closes it and returns false when refused;
   * otherwise starts its connect timer and returns true.
   */
  admit(raw: Socket, listener: ListenerKind): boolean {
    const remote = unmapped(raw.remoteAddress);
    if (remote === undefined) {
      raw.destroy(); // already gone: nothing to count
      return false;
    }
    const t: Ticket = { address: remote, listener, raw };
    if (!this.strikes.trusted(remote) && !this.screen(t)) return false;
    this.tickets.set(raw, t);
    t.timer = setTimeout(() => {
      t.timer = undefined;
      this.budget.release(t);
      this.strikes.strike(remote, 'connect timeout');
      this.report.refuse(
        raw,
        listener,
        remote,
        'connect_timeout',
        `no complete CONNECT within ${this.limits.connectTimeoutMs} ms of accept`,
      );
    }, this.limits.connectTimeoutMs);
    t.timer.unref();
    raw.once('close', () => this.settle(t));
    return true;
  }

  /** The ticket admit() gave this TCP socket; undefined for a socket that did not go through admit(). */
  ticketOf(raw: Socket): Ticket | undefined {
    return this.tickets.get(raw);
  }

  /** The connection sent its complete CONNECT (or closed): it leaves the pre-auth budget. */
  settle(t: Ticket): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    this.budget.release(t);
  }

  /** Forget connect-rate buckets that have refilled: forgetting them changes nothing. */
  sweep(now: number): void {
    for (const [a, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(a);
  }

  /** Bans, the connect rate and the pre-auth budget, for an address that is not trusted. */
  private screen(t: Ticket): boolean {
    const { address: remote, listener, raw } = t;
    if (this.strikes.isBanned(remote))
      return this.report.refuse(raw, listener, remote, 'banned', 'address is banned');
    let bucket = this.buckets.get(remote);
    if (!bucket) this.buckets.set(remote, (bucket = new TokenBucket(this.limits.connectRate)));
    if (!bucket.tryTake()) {
      this.strikes.strike(remote, 'connect rate');
      return this.report.refuse(
        raw,
        listener,
        remote,
        'connect_rate',
        `more than ${this.limits.connectRate.perSecond} connects/s from one address`,
      );
    }
    const admitted = this.budget.admit(t);
    if (!admitted.ok) {
      this.strikes.strike(remote, admitted.reason);
      const detail =
        admitted.reason === 'preauth_per_address'
          ? `${this.limits.maxPreAuthPerAddress} connections from this address have not sent CONNECT yet`
          : `${this.budget.total} connections have not sent CONNECT yet, this address holds its share`;
      return this.report.refuse(raw, listener, remote, admitted.reason, detail);
    }
    if (admitted.evict) {
      const e = admitted.evict;
      this.settle(e);
      this.report.refuse(
        e.raw,
        e.listener,
        e.address,
        'preauth_evicted',
        'unauthenticated connections at their limit: the oldest of the address holding most closed to admit another address',
      );
    }
    return true;
  }
}
