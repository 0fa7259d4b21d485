/**
 * Pure helpers of bench:alerts (bench/alerts.ts): percentiles, what a robot message names, and how
 * many messages a robot's 20-per-minute limit would refuse.
 */

/** Nearest-rank percentile of ascending values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

/** The bench stations' Chinese names: `压测12号驿站` (bench/alerts-stack.ts writes them). */
export const benchStationName = (i: number): string => `压测${i + 1}号驿站`;
export const benchStationId = (i: number): string => `st-${String(i + 1).padStart(5, '0')}`;

/** Station indexes (0-based) a message names, by the bench stations' names. */
export function stationsNamed(text: string): Set<number> {
  const out = new Set<number>();
  for (const m of text.matchAll(/压测(\d+)号驿站/g)) out.add(Number(m[1]) - 1);
  return out;
}

/** Alert ids of the alert page links in a message (`…/app/alerts/<id>`). */
export function alertIdsLinked(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\/app\/alerts\/([A-Za-z0-9_%-]+)/g)) out.add(decodeURIComponent(m[1] ?? ''));
  return out;
}

/**
 * Messages a robot limited to `perMinute` in any sliding minute would refuse, given the send times
 * (ms, any order). Refused sends do not count against the limit (WeCom's and Feishu's rule).
 */
export function throttledCount(times: readonly number[], perMinute = 20): number {
  const sorted = [...times].sort((a, b) => a - b);
  const accepted: number[] = [];
  let head = 0;
  let refused = 0;
  for (const t of sorted) {
    while (head < accepted.length && (accepted[head] ?? 0) <= t - 60_000) head++;
    if (accepted.length - head >= perMinute) refused++;
    else accepted.push(t);
  }
  return refused;
}
