/**
 * A small seeded pseudo-random generator (mulberry32) and the distributions the simulator needs.
 * Same seed, same sequence, on every platform: the simulator's determinism rests on this.
 */

/** mulberry32: 32-bit state, period 2^32, good enough for a simulation (not for secrets). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: turns "seed + station id" into a 32-bit seed. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }
  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Standard normal (Box-Muller; uses two draws). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Log-normal with the given median and spread (sd of the log), clamped to [min, max]. */
  logNormal(median: number, sigma: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, median * Math.exp(this.normal(0, sigma))));
  }
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const i = Math.floor(this.next() * items.length);
    const v = items[Math.min(i, items.length - 1)];
    if (v === undefined) throw new RangeError('pick() from an empty array');
    return v;
  }
}
