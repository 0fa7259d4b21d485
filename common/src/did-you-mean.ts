/**
 * "Did you mean" suggestions for misspelt keys and values: Levenshtein distance, no dependency.
 */

/**
 * Levenshtein edit distance (insertions, deletions, substitutions; each costs 1), extended with
 * Damerau's adjacent transposition as one edit ("lable" → "label" is 1), because swapped letters
 * are the commonest typo in hand-written keys. (Optimal string alignment variant.)
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible typo.
 * Case differences alone always match ("setpointc" → "setpointC"). Otherwise the distance must be
 * at most 1 for words of up to 4 characters, and at most a third of the longer word's length
 * beyond that (so "seets" → "seats", "frameTimout" → "frameTimeout", but "foo" suggests nothing).
 * Ties go to the candidate listed first.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const caseOnly = candidates.find((c) => c.toLowerCase() === lower);
  if (caseOnly !== undefined) return caseOnly;
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(word.length, c.length) / 3));
    if (d <= limit && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
