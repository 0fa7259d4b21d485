/**
 * Budget of connections that have not yet sent a complete CONNECT (TCP accepted, TLS handshake or
 * WebSocket upgrade under way, or silent). Each holds a file descriptor and, for TLS, handshake
 * state; without a bound, a few addresses opening thousands of silent sockets exhaust the process'
 * descriptors and lock every station out on every listener.
 *
 * - per address: at most `perAddress` at once; more are closed at accept;
 * - all together: at most `total`. When full, an address holding less than its fair share
 *   (total ÷ addresses holding any) still gets in: the oldest socket of the address holding the
 *   most is closed to make room. So a flood from a few addresses can fill the budget, but never
 *   keeps another address out.
 */
import { readFileSync } from 'node:fs';

export interface PreAuthEntry {
  /** Normalised remote address (IPv4-mapped IPv6 shown as IPv4). */
  address: string;
}

export type PreAuthRefusal = 'preauth_per_address' | 'preauth_full';

export type PreAuthAdmission<T> = { ok: true; evict?: T } | { ok: false; reason: PreAuthRefusal };

export class PreAuthBudget<T extends PreAuthEntry> {
  private readonly byAddress = new Map<string, Set<T>>();
  private count = 0;
  constructor(
    readonly perAddress: number,
    readonly total: number,
  ) {}

  /** Connections held now. */
  get size(): number {
    return this.count;
  }

  /** Take a place for `entry`; when the budget is full, names the entry to close to make room. */
  admit(entry: T): PreAuthAdmission<T> {
    const mine = this.byAddress.get(entry.address);
    const held = mine?.size ?? 0;
    if (held >= this.perAddress) return { ok: false, reason: 'preauth_per_address' };
    let evict: T | undefined;
    if (this.count >= this.total) {
      const share = Math.floor(this.total / (this.byAddress.size + (mine ? 0 : 1)));
      if (held >= share) return { ok: false, reason: 'preauth_full' };
      evict = this.oldestOfLargest();
      if (evict) this.release(evict);
    }
    if (mine) mine.add(entry);
    else this.byAddress.set(entry.address, new Set([entry]));
    this.count++;
    return evict ? { ok: true, evict } : { ok: true };
  }

  /** The entry's connection completed its CONNECT or closed; idempotent. */
  release(entry: T): void {
    const set = this.byAddress.get(entry.address);
    if (!set?.delete(entry)) return;
    this.count--;
    if (set.size === 0) this.byAddress.delete(entry.address);
  }

  private oldestOfLargest(): T | undefined {
    let largest: Set<T> | undefined;
    for (const set of this.byAddress.values()) if (!largest || set.size > largest.size) largest = set;
    return largest?.values().next().value;
  }
}

/**
 * The soft limit on open files of this process (Linux: /proc/self/limits), or undefined when it
 * cannot be read. Node has no getrlimit.
 */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return soft === 'unlimited' ? Infinity : Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined; // not Linux: the configured caps apply unchanged
  }
}
