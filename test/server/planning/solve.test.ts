/**
 * The maximal covering solver: a county whose best sites are known by construction, one where
 * greedy is not optimal (and the bound says so), clustered candidates (where the online bound alone
 * was weak), and a brute-force check of every bound on random small instances.
 */
import { describe, expect, it } from 'vitest';
import {
  coveredBy,
  explainPick,
  solveMaxCover,
  type SolveInput,
} from '../../../server/src/planning/solve.js';

const cellIds = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

function* subsets(n: number, k: number, from = 0): Generator<number[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= n - k; i++) for (const rest of subsets(n, k - 1, i + 1)) yield [i, ...rest];
}

function bruteForce(input: SolveInput, k: number): number {
  let best = -Infinity;
  for (const s of subsets(input.candidates.length, Math.min(k, input.candidates.length)))
    best = Math.max(best, coveredBy(input, s));
  return best;
}

describe('solveMaxCover', () => {
  it('ranks candidates by the demand they alone would add, ignoring demand already covered', () => {
    // cells: 0 covered by a station (demand 50 counts in base), 1..3 uncovered
    const input: SolveInput = {
      uncovered: [0, 10, 4, 1],
      baseCovered: 50,
      cellIds: cellIds(4),
      k: 2,
      candidates: [
        { id: 1, name: 'near station', reach: [0] },
        { id: 2, name: 'hot spot', reach: [1, 3] },
        { id: 3, name: 'small', reach: [2] },
      ],
    };
    const r = solveMaxCover(input);
    expect(r.candidates.map((c) => [c.candidateId, c.addedDemand])).toEqual([
      [2, 11],
      [3, 4],
      [1, 0],
    ]);
    expect(r.candidates[0]!.addedCells).toEqual(['c1', 'c3']);
    expect(r.best[0]).toMatchObject({ k: 1, candidateIds: [2], coveredDemand: 61, upperBound: 61, ratio: 1 });
    expect(r.best[1]).toMatchObject({ k: 2, candidateIds: [2, 3], coveredDemand: 65, ratio: 1 });
  });

  it('says how far greedy may be from the optimum when it is not optimal', () => {
    // L1 L2 | M | R1 R2: P reaches L1, M, R1 (5); A reaches L1 L2 (4); B reaches R1 R2 (4).
    // Greedy takes P then A (7); the best pair is A + B (8).
    const input: SolveInput = {
      uncovered: [2, 2, 1, 2, 2],
      baseCovered: 0,
      cellIds: ['L1', 'L2', 'M', 'R1', 'R2'],
      k: 2,
      candidates: [
        { id: 10, name: 'P', reach: [0, 2, 3] },
        { id: 11, name: 'A', reach: [0, 1] },
        { id: 12, name: 'B', reach: [3, 4] },
      ],
    };
    const r = solveMaxCover(input);
    const two = r.best[1]!;
    expect(two.candidateIds).toEqual([10, 11]);
    expect(two.coveredDemand).toBe(7);
    expect(bruteForce(input, 2)).toBe(8);
    // online: after P, 5 + (4 − 2) + (4 − 2) = 9; the LP relaxation proves 8, the true optimum
    expect(two.bounds.online).toBe(9);
    expect(two.bounds.lagrangian).toBeCloseTo(8, 6);
    expect(two.bounds.guarantee).toBeCloseTo(7 / 0.75, 10);
    expect(two.upperBound).toBeCloseTo(8, 6);
    expect(two.ratio).toBeCloseTo(7 / 8, 6);
    const text = explainPick({ ...two, names: ['P', 'A'] }, 0, 10);
    expect(text['zh-CN']).toContain('至少达到可能最优值的 87.5%');
    expect(text.en).toContain('at least 87.5% of the best possible');
    expect(explainPick(r.best[0]!, 0, 10)['zh-CN']).toContain('这是最优解');
  });

  it('proves greedy optimal when two sites reach the same cluster (the online bound alone does not)', () => {
    // clusters A 300, B 200, C 150, D 50; X and Y both reach A
    const input: SolveInput = {
      uncovered: [300, 200, 150, 50],
      baseCovered: 0,
      cellIds: ['A', 'B', 'C', 'D'],
      k: 3,
      candidates: [
        { id: 1, name: 'X', reach: [0] },
        { id: 2, name: 'Y', reach: [0] },
        { id: 3, name: 'Z', reach: [1] },
        { id: 4, name: 'W', reach: [2] },
        { id: 5, name: 'V', reach: [3] },
      ],
    };
    const three = solveMaxCover(input).best[2]!;
    expect(three).toMatchObject({ candidateIds: [1, 3, 4], coveredDemand: 650 });
    // online: before any pick 300 + 300 + 200 = 800; after X: 300 + (200 + 150 + 50) = 700
    expect(three.bounds.online).toBe(700);
    expect(three.bounds.lagrangian).toBeCloseTo(650, 6);
    expect(three.upperBound).toBeCloseTo(650, 6);
    expect(three.ratio).toBeCloseTo(1, 6);
    expect(explainPick(three, 0, 700)['zh-CN']).toContain('这是最优解');
  });

  it('stays above 90 % of the bound on clustered candidates, where the online bound gave 80 %', () => {
    // Three clusters of four cells (10, 8 and 6 each); four candidates around each reach three of
    // its four cells, so every candidate of a cluster adds the same on its own.
    const weights = [10, 8, 6];
    const uncovered = weights.flatMap((w) => [w, w, w, w]);
    const candidates = weights.flatMap((_, g) =>
      [0, 1, 2, 3].map((skip) => ({
        id: g * 4 + skip,
        name: `${'ABC'[g]}${skip}`,
        reach: [0, 1, 2, 3].filter((i) => i !== skip).map((i) => g * 4 + i),
      })),
    );
    const input: SolveInput = { uncovered, baseCovered: 0, candidates, k: 3, cellIds: cellIds(12) };
    const three = solveMaxCover(input).best[2]!;
    const opt = bruteForce(input, 3);
    expect(opt).toBe(72);
    expect(three.coveredDemand).toBe(72);
    // online: 3 × 30 = 90 (72 / 90 = 80 %); the LP relaxation: 40 + 32 + 6 = 78
    expect(three.bounds.online).toBe(90);
    expect(three.bounds.lagrangian).toBeGreaterThanOrEqual(opt);
    expect(three.bounds.lagrangian).toBeLessThan(78.5);
    expect(three.upperBound).toBe(three.bounds.lagrangian);
    expect(three.ratio).toBeGreaterThan(0.9);
    expect(explainPick(three, 0, 72)['zh-CN']).toMatch(/此方案至少达到可能最优值的 9\d\.\d%/);
  });

  it('never reports a bound below the true optimum, nor a greedy value above it (random instances)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      const n = 4 + Math.floor(rand() * 8);
      const m = 2 + Math.floor(rand() * 7);
      const uncovered = Array.from({ length: n }, () => (rand() < 0.2 ? 0 : Math.round(rand() * 10)));
      const candidates = Array.from({ length: m }, (_, id) => ({
        id,
        name: `s${id}`,
        reach: [...new Set(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.floor(rand() * n)))],
      }));
      const input: SolveInput = { uncovered, baseCovered: 3, candidates, k: 5, cellIds: cellIds(n) };
      const r = solveMaxCover(input);
      for (const p of r.best) {
        const opt = bruteForce(input, p.k);
        expect(p.coveredDemand).toBe(coveredBy(input, p.candidateIds));
        expect(p.coveredDemand).toBeLessThanOrEqual(opt + 1e-9);
        expect(p.upperBound).toBeGreaterThanOrEqual(opt - 1e-9);
        const bounds = [p.bounds.online, p.bounds.lagrangian, p.bounds.guarantee];
        for (const b of bounds) expect(b).toBeGreaterThanOrEqual(opt - 1e-9);
        expect(p.upperBound).toBeLessThanOrEqual(Math.min(...bounds) + 1e-9);
        // greedy's classic guarantee, 1 − (1 − 1/k)^k of the optimum's added demand
        const floor = 1 - (1 - 1 / p.k) ** p.k;
        expect(p.coveredDemand - 3).toBeGreaterThanOrEqual(floor * (opt - 3) - 1e-9);
      }
    }
  });
});
