/**
 * Coverage and candidate ranking from plain inputs: what the routes answer and what
 * bench/planning-coverage.ts times. Travel, demand and the solver are in grid.ts and solve.ts.
 */
import { coverage, reachSets, type Coverage, type DemandPoint, type Site } from './grid.js';
import { explainPick, solveMaxCover } from './solve.js';
import type { SolveAnswer, TravelSettings } from './coverage-schemas.js';

export interface CandidateSite extends Site {
  name: string;
}

export interface Analysis {
  coverage: Coverage;
  solve: SolveAnswer;
}

export function analyse(
  stations: readonly Site[],
  demand: readonly DemandPoint[],
  candidates: readonly SolveSite[],
  travel: TravelSettings,
  k: number,
): Analysis {
  const started = performance.now();
  const cov = coverage(stations, demand, travel);
  return { coverage: cov, solve: solveOn(cov, candidates, travel, k, started) };
}

type SolveSite = Omit<CandidateSite, 'id'> & { id: number };

/** Every candidate's addition and the best k on a computed coverage; `ms` counts from `started`. */
export function solveOn(
  cov: Coverage,
  candidates: readonly SolveSite[],
  travel: TravelSettings,
  k: number,
  started = performance.now(),
): SolveAnswer {
  const reach = reachSets(candidates, cov.cells, travel);
  const r = solveMaxCover({
    uncovered: cov.cells.map((c) => (c.covered ? 0 : c.demand)),
    baseCovered: cov.summary.coveredDemand,
    cellIds: cov.cells.map((c) => c.h3),
    candidates: candidates.map((c, i) => ({ id: c.id, name: c.name, reach: reach[i]! })),
    k,
  });
  return {
    travel,
    baseCoveredDemand: cov.summary.coveredDemand,
    demand: cov.summary.demand,
    candidates: r.candidates,
    best: r.best.map(({ names: _n, ...p }) => ({
      ...p,
      explanation: explainPick({ ...p, names: _n }, cov.summary.coveredDemand, cov.summary.demand),
    })),
    ms: Math.round((performance.now() - started) * 10) / 10,
  };
}
