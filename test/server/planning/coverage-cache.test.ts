/**
 * The coverage cache (planning/coverage-cache.ts): one computation per key, shared by concurrent
 * requests, never kept when it failed; the least recently used answer leaves first; layer and
 * candidate changes drop what depended on them; the station fingerprint follows ids and positions.
 */
import { describe, expect, it } from 'vitest';
import { CoverageCache, stationsFingerprint } from '../../../server/src/planning/coverage-cache.js';
import { travelFor } from '../../../server/src/planning/travel.js';

const parts = (stations = 'fp', occupancy = 0) => ({ travel: travelFor(undefined), stations, occupancy });

describe('CoverageCache', () => {
  it('computes a key once, shares it between concurrent requests, and counts hits and misses', async () => {
    const seen: string[] = [];
    const cache = new CoverageCache(4, (kind, outcome) => seen.push(`${kind} ${outcome}`));
    let runs = 0;
    const compute = () => Promise.resolve(++runs);
    const key = cache.key('coverage', parts());
    const [a, b] = await Promise.all([
      cache.get('coverage', key, compute),
      cache.get('coverage', key, compute),
    ]);
    expect([a, b, runs]).toEqual([1, 1, 1]);
    expect(await cache.get('coverage', cache.key('coverage', parts('other')), compute)).toBe(2);
    expect(seen).toEqual(['coverage miss', 'coverage hit', 'coverage miss']);
  });

  it('does not keep a failed computation', async () => {
    const cache = new CoverageCache(4);
    const key = cache.key('coverage', parts());
    await expect(cache.get('coverage', key, () => Promise.reject(new Error('store down')))).rejects.toThrow(
      'store down',
    );
    expect(await cache.get('coverage', key, () => Promise.resolve('ok'))).toBe('ok');
  });

  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const cache = new CoverageCache(2);
    const k = (s: string) => cache.key('coverage', parts(s));
    let runs = 0;
    const compute = () => Promise.resolve(++runs);
    await cache.get('coverage', k('a'), compute);
    await cache.get('coverage', k('b'), compute);
    await cache.get('coverage', k('a'), compute); // a is now the most recent
    await cache.get('coverage', k('c'), compute); // b leaves
    expect(cache.size).toBe(2);
    expect(await cache.get('coverage', k('a'), compute)).toBe(1);
    expect(await cache.get('coverage', k('b'), compute)).toBe(4);
  });

  it('changes the keys when layers or candidates change, and drops what depended on them', async () => {
    const cache = new CoverageCache(8);
    const cov = cache.key('coverage', parts());
    const solve = cache.key('solve', parts(), 'k 3 ids all');
    await cache.get('coverage', cov, () => Promise.resolve(1));
    await cache.get('solve', solve, () => Promise.resolve(2));
    cache.candidatesChanged();
    expect(cache.key('coverage', parts())).toBe(cov);
    expect(cache.key('solve', parts(), 'k 3 ids all')).not.toBe(solve);
    expect(cache.size).toBe(1);
    cache.layersChanged();
    expect(cache.key('coverage', parts())).not.toBe(cov);
    expect(cache.size).toBe(0);
    expect(cache.key('coverage', parts('fp', 1))).not.toBe(cache.key('coverage', parts('fp', 0)));
    expect(cache.key('coverage', { ...parts(), travel: travelFor(undefined, 'walk') })).not.toBe(
      cache.key('coverage', parts()),
    );
  });

  it('fingerprints a station set by ids and positions', () => {
    const a = [{ id: 'st-1', lat: 30, lon: 120 }];
    expect(stationsFingerprint(a)).toBe(stationsFingerprint([{ id: 'st-1', lat: 30, lon: 120 }]));
    expect(stationsFingerprint(a)).not.toBe(stationsFingerprint([{ id: 'st-1', lat: 30.001, lon: 120 }]));
    expect(stationsFingerprint(a)).not.toBe(stationsFingerprint([...a, { id: 'st-2', lat: 30, lon: 120 }]));
  });
});
