/**
 * Strikes and bans per remote address: failed logins, refused connects and malformed packets are
 * strikes; `maxStrikes` within `strikeWindowMs` ban the address for `banMs`. Trusted addresses
 * never strike.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BrokerLimits } from '../limits.js';

interface AddressStrikes {
  times: number[];
  bannedUntil: number;
}

export type StrikeLimits = Pick<BrokerLimits, 'maxStrikes' | 'strikeWindowMs' | 'banMs' | 'trustedAddresses'>;

export class Strikes {
  private readonly byAddress = new Map<string, AddressStrikes>();
  private readonly trustedSet: Set<string>;
  private readonly bans: Counter;

  constructor(
    private readonly limits: StrikeLimits,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.trustedSet = new Set(limits.trustedAddresses);
    const registers = [registry];
    this.bans = new Counter({
      name: 'yizhan_broker_bans_total',
      help: 'Addresses banned after repeated failed logins or connect floods',
      registers,
    });
    const byAddress = this.byAddress;
    new Gauge({
      name: 'yizhan_broker_banned_addresses',
      help: 'Remote addresses banned now',
      registers,
      collect() {
        const now = Date.now();
        let n = 0;
        for (const s of byAddress.values()) if (s.bannedUntil > now) n++;
        this.set(n);
      },
    });
  }

  /** Never rate-limited, budgeted or banned. */
  trusted(address: string): boolean {
    return this.trustedSet.has(address);
  }

  isBanned(address: string): boolean {
    const s = this.byAddress.get(address);
    return s !== undefined && s.bannedUntil > Date.now();
  }

  /** One strike for `address`; `why` is logged with the ban it may cause. */
  strike(address: string | undefined, why: string): void {
    if (address === undefined || this.trustedSet.has(address)) return;
    const { maxStrikes, strikeWindowMs, banMs } = this.limits;
    const now = Date.now();
    let s = this.byAddress.get(address);
    if (!s) this.byAddress.set(address, (s = { times: [], bannedUntil: 0 }));
    s.times.push(now);
    while (s.times.length > 0 && now - (s.times[0] ?? now) >= strikeWindowMs) s.times.shift();
    if (s.times.length >= maxStrikes && s.bannedUntil <= now) {
      s.bannedUntil = now + banMs;
      s.times = [];
      this.bans.inc();
      this.log.warn(
        { remote: address, banMs, strikes: maxStrikes, lastStrike: why },
        'address banned: repeated failed logins or connect flood',
      );
    }
  }

  /** Forget addresses with no strike in the window and no ban, so the map stays bounded by the active set. */
  sweep(now: number): void {
    for (const [a, s] of this.byAddress) {
      s.times = s.times.filter((t) => now - t < this.limits.strikeWindowMs);
      if (s.times.length === 0 && s.bannedUntil <= now) this.byAddress.delete(a);
    }
  }

  /** Addresses remembered now (struck or banned). */
  get size(): number {
    return this.byAddress.size;
  }
}
