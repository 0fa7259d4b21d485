/** How the planning pages write figures: shares in percent, kWh with one decimal, missing as —. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`;
}

export function num(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

/** Change of a share against the previous range, in percentage points: ▲ 4.2, ▼ 1.0, or —. */
export function trend(now: number | null, before: number | null): string {
  if (now === null || before === null) return '—';
  const d = Math.round((now - before) * 1000) / 10;
  if (d === 0) return '±0';
  return d > 0 ? `▲ ${d.toFixed(1)}` : `▼ ${(-d).toFixed(1)}`;
}

/** The ranking table's figure columns (StationFigures fields), in the order shown. */
export const RANKING_COLUMNS = [
  'nearFullShare',
  'fullShare',
  'occupancyMean',
  'allBusyShare',
  'sessions',
  'energyKwh',
  'turnedAway',
  'heaterOnShare',
] as const;
export type RankingColumn = (typeof RANKING_COLUMNS)[number];
