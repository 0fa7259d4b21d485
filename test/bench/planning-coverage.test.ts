/**
 * bench/planning-coverage.ts on a small county: the indexed answer agrees with the all-pairs peer
 * (benchCoverage throws otherwise), and the result has the fields bench/planning.ts reads.
 */
import { describe, expect, it } from 'vitest';
import { benchCoverage, syntheticCounty } from '../../bench/planning-coverage.js';

describe('benchCoverage', () => {
  it('times coverage and ranking and agrees with the all-pairs peer', async () => {
    const r = await benchCoverage({ candidates: 120, stations: 25, demandPoints: 3000, sizeKm: 15 });
    expect(r).toMatchObject({ candidates: 120, stations: 25 });
    expect(r.cells).toBeGreaterThan(1000);
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(r.peerMs).not.toBeNull();
  });

  it('builds the same county from the same seed', () => {
    const o = { candidates: 5, stations: 3, demandPoints: 10, sizeKm: 10, seed: 3 };
    expect(syntheticCounty(o)).toEqual(syntheticCounty(o));
    expect(syntheticCounty({ ...o, seed: 4 }).stations).not.toEqual(syntheticCounty(o).stations);
  });
});
