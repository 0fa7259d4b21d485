/**
 * The Lagrangian (linear programming) upper bound of maximal covering, pure: how much demand any k
 * candidate sites could add at most. solve.ts takes the smallest of it, the online bound of the
 * greedy run and greedy's a-priori guarantee.
 *
 * Maximal covering as an integer program: max Σ_j d_j y_j subject to y_j ≤ Σ_{c reaches j} x_c,
 * Σ_c x_c ≤ k, x, y ∈ {0, 1}. Pricing each cell's constraint at u_j ∈ [0, d_j] gives, for every u,
 *
 *   L(u) = Σ_j (d_j − u_j) + (sum of the k largest s_c),  s_c = Σ_{j reached by c} u_j,
 *
 * which no choice of k sites can exceed (a cell counts d_j − u_j on its own and u_j once per site
 * reaching it). u = d gives the sum of the k largest single additions (the online bound at the
 * start); lowering u_j where several chosen sites reach the same cell removes the double count.
 * min_u L(u) equals the LP relaxation's optimum; projected subgradient steps approach it, and every
 * L(u) met on the way is a valid bound, so the smallest one seen is returned.
 */

export interface BoundInput {
  /** Demand of each cell that no station covers yet (0 elsewhere). */
  uncovered: readonly number[];
  /** For each candidate, the cells within its threshold. */
  reach: readonly (readonly number[])[];
}

/** Subgradient steps per k at most; each costs one pass over the reach sets. */
export const LAGRANGIAN_STEPS = 150;
/**
 * Work (reach-set entries, candidates and cells read, every k and step) at most, so a large
 * candidate set stays under a second: fewer steps then (at least 20 per k), a looser but still
 * valid bound.
 */
export const LAGRANGIAN_WORK = 10_000_000;
const MIN_STEPS = 20;

interface Compact {
  d: Float64Array;
  /** Reach sets over the compact cells (positive demand, reached by some candidate). */
  reach: Int32Array[];
}

function compact(input: BoundInput): Compact {
  const index = new Map<number, number>();
  const d: number[] = [];
  const reach = input.reach.map((cells) => {
    const out: number[] = [];
    for (const i of cells) {
      const w = input.uncovered[i]!;
      if (!(w > 0)) continue;
      let j = index.get(i);
      if (j === undefined) {
        j = d.length;
        index.set(i, j);
        d.push(w);
      }
      out.push(j);
    }
    return Int32Array.from(out);
  });
  return { d: Float64Array.from(d), reach };
}

/** Indexes of the k largest scores (ties: the lower index), largest first. */
function topK(s: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let c = 0; c < s.length; c++) {
    if (top.length === k && s[c]! <= s[top[k - 1]!]!) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && s[top[at - 1]!]! < s[c]!) at--;
    top.splice(at, 0, c);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * For each k = 1…K, an upper bound on the demand k sites can add (above what the stations cover).
 * `lower[k]`: demand known to be reachable with k sites (greedy's); the steps aim at it and stop
 * once the bound meets it.
 */
export function lagrangianBounds(input: BoundInput, K: number, lower: readonly number[]): number[] {
  const { d, reach } = compact(input);
  const out = [0];
  const u = Float64Array.from(d);
  const s = new Float64Array(reach.length);
  const count = new Int32Array(d.length);
  const perStep = reach.reduce((n, r) => n + r.length, reach.length + d.length);
  const steps = Math.max(
    MIN_STEPS,
    Math.min(LAGRANGIAN_STEPS, Math.floor(LAGRANGIAN_WORK / (K * Math.max(1, perStep)))),
  );
  for (let k = 1; k <= K; k++) {
    let best = Infinity;
    let theta = 2;
    let stale = 0;
    for (let step = 0; step < steps; step++) {
      let value = 0;
      for (let j = 0; j < d.length; j++) value += d[j]! - u[j]!;
      for (let c = 0; c < reach.length; c++) {
        let sc = 0;
        const r = reach[c]!;
        for (let x = 0; x < r.length; x++) sc += u[r[x]!]!;
        s[c] = sc;
      }
      const top = topK(s, k);
      for (const c of top) value += s[c]!;
      if (value < best - 1e-9) {
        best = value;
        stale = 0;
      } else if (++stale >= 10) {
        theta /= 2;
        stale = 0;
      }
      const gap = value - (lower[k] ?? 0);
      if (gap <= 1e-9 * Math.max(1, value) || theta < 1e-3) break;
      // Subgradient: cell j is counted (top sites reaching it) − 1; only moves inside [0, d_j] count.
      count.fill(0);
      for (const c of top) {
        const r = reach[c]!;
        for (let x = 0; x < r.length; x++) count[r[x]!]!++;
      }
      let norm = 0;
      for (let j = 0; j < d.length; j++) {
        const g = count[j]! - 1;
        if ((g < 0 && u[j]! >= d[j]!) || (g > 0 && u[j]! <= 0)) continue;
        norm += g * g;
      }
      if (norm === 0) break;
      const t = (theta * gap) / norm;
      for (let j = 0; j < d.length; j++) u[j] = Math.min(d[j]!, Math.max(0, u[j]! - t * (count[j]! - 1)));
    }
    out.push(best);
  }
  return out;
}

/** Greedy's a-priori guarantee 1 − (1 − 1/k)^k (≥ 1 − 1/e) of the best k sites' added demand. */
export function greedyGuarantee(k: number): number {
  return 1 - (1 - 1 / k) ** k;
}
