/**
 * Durations in config files and environment variables carry their unit: `500ms`, `30s`, `5min`, `2h`, `7d`.
 * A bare number is refused, so nobody has to guess whether `30` meant seconds or minutes.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
/**
 * A duration as text: a number and its unit. JSON Schema patterns (station files, settings) and the
 * parser use this one rule; group 1 is the number, group 2 the unit.
 */
export const DURATION_PATTERN = '^(\\d+(?:\\.\\d+)?)\\s*(ms|s|min|h|d)$';
const RE = new RegExp(DURATION_PATTERN);

/** Parse a duration string into milliseconds. Returns an error message instead of throwing. */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  const m = RE.exec(text.trim());
  if (!m) return { ok: false, message: `"${text}" is not a duration; write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")` };
  return { ok: true, ms: Math.round(Number(m[1]) * UNITS[m[2]!]!) };
}

export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const)
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}

/** Byte sizes: `512KB`, `64MB`, `1GB` (powers of 1024). */
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
export function parseSize(text: string): { ok: true; bytes: number } | { ok: false; message: string } {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(text.trim());
  if (!m) return { ok: false, message: `"${text}" is not a size; write a number and a unit: B, KB, MB or GB (e.g. "64MB")` };
  return { ok: true, bytes: Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!) };
}
