/**
 * Maximal covering location, pure (docs/planning.md, "Coverage and candidate sites").
 *
 * Input: the demand of each grid cell not yet covered by a station, and for each candidate site
 * the cells it would reach within the threshold. f(S) is the demand covered once the sites S are
 * added (the stations' covered demand plus what S newly reaches).
 *
 * - Each candidate alone: f({c}) − f(∅).
 * - Best k, k = 1…K: greedy, each step adds the candidate with the largest marginal gain.
 * - Bounds on f(T) for any k sites T, three of them, the smallest taken (ratio = f(S_k) ÷ bound;
 *   a ratio of 1 proves the greedy pick optimal, below 1 it says by how much it could fall short):
 *   - online (Minoux; Leskovec et al. 2007): f is monotone and submodular, so for any step i,
 *     f(T) ≤ f(S_i) + Σ_{c∈T} gain(c | S_i) ≤ f(S_i) + (sum of the k largest marginal gains at S_i),
 *     the smallest over every greedy step i = 0…K;
 *   - Lagrangian (bound.ts): the LP relaxation's value, tight where several candidates reach the
 *     same cluster (the online bound counts the cluster once per candidate);
 *   - guarantee: greedy adds at least 1 − (1 − 1/k)^k (≥ 1 − 1/e) of what the best k sites add.
 */
import { greedyGuarantee, lagrangianBounds } from './bound.js';

export interface SolveCandidate {
  id: number;
  name: string;
  /** Indexes of the cells within the threshold of the site. */
  reach: readonly number[];
}

export interface SolveInput {
  /** Demand of each cell still uncovered by the stations (0 for covered cells). */
  uncovered: readonly number[];
  /** Demand already covered by the stations. */
  baseCovered: number;
  candidates: readonly SolveCandidate[];
  /** Largest k answered (1…5). */
  k: number;
  /** H3 index of each cell, for `addedCells`. */
  cellIds: readonly string[];
}

export interface Gain {
  candidateId: number;
  name: string;
  addedDemand: number;
  addedCells: string[];
}

/** The three bounds of f(T), |T| = k: see the header. */
export interface Bounds {
  online: number;
  lagrangian: number;
  guarantee: number;
}

export interface Pick {
  k: number;
  candidateIds: number[];
  names: string[];
  coveredDemand: number;
  /** The smallest of `bounds` (never below coveredDemand). */
  upperBound: number;
  ratio: number;
  bounds: Bounds;
}

export interface SolveResult {
  candidates: Gain[];
  best: Pick[];
}

function marginalGains(input: SolveInput, taken: Uint8Array): number[] {
  return input.candidates.map((c) => {
    let g = 0;
    for (const i of c.reach) if (!taken[i]) g += input.uncovered[i]!;
    return g;
  });
}

function topSum(gains: readonly number[], k: number): number[] {
  // prefix[j] = sum of the j largest gains, j = 0…k
  const top = [...gains].sort((a, b) => b - a).slice(0, k);
  const prefix = [0];
  for (let j = 0; j < k; j++) prefix.push(prefix[j]! + (top[j] ?? 0));
  return prefix;
}

export function solveMaxCover(input: SolveInput): SolveResult {
  const { candidates, uncovered, k: K } = input;
  const taken = new Uint8Array(uncovered.length);
  // A cell with no uncovered demand can never add anything: mark it taken from the start.
  for (let i = 0; i < uncovered.length; i++) if (!(uncovered[i]! > 0)) taken[i] = 1;

  const alone: Gain[] = candidates.map((c) => {
    const cells = c.reach.filter((i) => !taken[i]);
    return {
      candidateId: c.id,
      name: c.name,
      addedDemand: cells.reduce((s, i) => s + uncovered[i]!, 0),
      addedCells: cells.map((i) => input.cellIds[i]!),
    };
  });
  alone.sort((a, b) => b.addedDemand - a.addedDemand || a.candidateId - b.candidateId);

  const bound = new Array<number>(K + 1).fill(Infinity);
  const picks: number[] = [];
  const covered: number[] = [input.baseCovered];
  let f = input.baseCovered;
  for (let step = 0; step <= K; step++) {
    const gains = marginalGains(input, taken);
    const prefix = topSum(gains, K);
    for (let k = 1; k <= K; k++) bound[k] = Math.min(bound[k]!, f + prefix[k]!);
    if (step === K) break;
    let best = -1;
    for (let c = 0; c < candidates.length; c++)
      if (
        !picks.includes(c) &&
        (best < 0 ||
          gains[c]! > gains[best]! ||
          (gains[c] === gains[best] && candidates[c]!.id < candidates[best]!.id))
      )
        best = c;
    if (best < 0) break;
    picks.push(best);
    f += gains[best]!;
    for (const i of candidates[best]!.reach) taken[i] = 1;
    covered.push(f);
  }

  const base = input.baseCovered;
  const lagrangian = lagrangianBounds(
    { uncovered, reach: candidates.map((c) => c.reach) },
    Math.min(K, picks.length),
    covered.map((f) => f - base),
  );
  const best: Pick[] = [];
  for (let k = 1; k <= Math.min(K, picks.length); k++) {
    const chosen = picks.slice(0, k).map((c) => candidates[c]!);
    const bounds: Bounds = {
      online: bound[k]!,
      lagrangian: base + lagrangian[k]!,
      guarantee: base + (covered[k]! - base) / greedyGuarantee(k),
    };
    const least = Math.min(bounds.online, bounds.lagrangian, bounds.guarantee);
    // A bound within rounding of greedy's value proves it optimal.
    const upperBound = least - covered[k]! <= 1e-9 * Math.max(1, least) ? covered[k]! : least;
    best.push({
      k,
      candidateIds: chosen.map((c) => c.id),
      names: chosen.map((c) => c.name),
      coveredDemand: covered[k]!,
      upperBound,
      ratio: upperBound > 0 ? Math.min(1, covered[k]! / upperBound) : 1,
      bounds,
    });
  }
  return { candidates: alone, best };
}

/** f(S) by definition, for checks: the stations' covered demand plus every cell S reaches. */
export function coveredBy(input: SolveInput, chosen: readonly number[]): number {
  const seen = new Set<number>();
  let f = input.baseCovered;
  for (const c of chosen)
    for (const i of input.candidates[c]!.reach)
      if (!seen.has(i)) {
        seen.add(i);
        f += input.uncovered[i]!;
      }
  return f;
}

const fmt = (x: number): string => (Math.round(x * 10) / 10).toLocaleString('en-US');
const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** What a best-k answer means, for a planner, in Chinese and English. */
export function explainPick(p: Pick, baseCovered: number, demand: number): { 'zh-CN': string; en: string } {
  const added = p.coveredDemand - baseCovered;
  const room = p.upperBound - baseCovered;
  const share = demand > 0 ? pct(p.coveredDemand / demand) : '—';
  const proven = p.ratio >= 1 - 1e-9;
  return {
    'zh-CN':
      `新增 ${p.k} 个驿站（${p.names.join('、')}）可多覆盖需求 ${fmt(added)}，覆盖率达到 ${share}。` +
      (proven
        ? `任何 ${p.k} 个候选点都不能覆盖更多：这是最优解。`
        : `任何 ${p.k} 个候选点最多多覆盖 ${fmt(room)}，此方案至少达到可能最优值的 ${pct(p.ratio)}。`),
    en:
      `Adding ${p.k} station${p.k > 1 ? 's' : ''} (${p.names.join(', ')}) covers ${fmt(added)} more demand, ${share} of all demand. ` +
      (proven
        ? `No ${p.k} candidate sites can cover more: this choice is optimal.`
        : `No ${p.k} candidate sites can add more than ${fmt(room)}, so this choice reaches at least ${pct(p.ratio)} of the best possible.`),
  };
}
