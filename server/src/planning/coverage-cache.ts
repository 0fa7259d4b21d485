/**
 * Computed coverage and solver answers, kept so that the same question is not computed twice
 * (docs/planning.md, "Coverage cache"). A key names everything an answer depends on: the travel
 * settings (mode, speed, detour, threshold, resolution), the station set (a fingerprint of ids and
 * positions), the demand layers' version, the occupancy snapshot's version and, for the solver, the
 * candidates' version and the question (k, candidate ids). Imports and deletes of layers or
 * candidates move their version on (and drop what depended on it); a changed station set gives a
 * new fingerprint. At most `maxEntries` answers are kept, the least recently used leaves first.
 */
import { createHash } from 'node:crypto';
import type { LatLon } from './geo.js';
import type { TravelSettings } from './coverage-schemas.js';

export const DEFAULT_CACHE_ENTRIES = 16;

/** What is cached: the coverage of a station set, or a solver answer (which also needs the candidates). */
export type CachedKind = 'coverage' | 'solve';
export type CacheOutcome = 'hit' | 'miss';

/** Fingerprint of a station set, in the order given (callers pass the registry's, by id). */
export function stationsFingerprint(stations: readonly (LatLon & { id: string })[]): string {
  const h = createHash('sha256');
  for (const s of stations) h.update(`${s.id}\t${s.lat}\t${s.lon}\n`);
  return h.digest('base64url').slice(0, 22);
}

export class CoverageCache {
  private readonly entries = new Map<string, Promise<unknown>>();
  private layers = 0;
  private candidates = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly counted: (kind: CachedKind, outcome: CacheOutcome) => void = () => {},
  ) {
    if (!(maxEntries >= 1))
      throw new RangeError(`coverage cache: maxEntries must be at least 1 (got ${maxEntries})`);
  }

  /** The key of an answer; `extra`: what else it depends on (the solver's question). */
  key(
    kind: CachedKind,
    p: { travel: TravelSettings; stations: string; occupancy: number },
    extra = '',
  ): string {
    const t = p.travel;
    const parts = [kind, t.mode, t.speedKmh, t.detour, t.thresholdMin, t.resolution, p.stations];
    parts.push(`layers ${this.layers}`, `occupancy ${p.occupancy}`);
    if (kind === 'solve') parts.push(`candidates ${this.candidates}`, extra);
    return parts.join('|');
  }

  /**
   * The answer of `key`, computed by `compute` when not kept. Concurrent requests for one key share
   * one computation; a failed computation is not kept (the next request computes again).
   */
  get<T>(kind: CachedKind, key: string, compute: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key) as Promise<T> | undefined;
    if (kept) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      this.counted(kind, 'hit');
      return kept;
    }
    this.counted(kind, 'miss');
    const p = compute();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }

  /** A demand layer was imported or deleted: every answer depended on it. */
  layersChanged(): void {
    this.layers++;
    this.entries.clear();
  }

  /** A candidate was added, imported or deleted: solver answers depended on it, coverage did not. */
  candidatesChanged(): void {
    this.candidates++;
    for (const k of [...this.entries.keys()]) if (k.startsWith('solve|')) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
