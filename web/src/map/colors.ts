/**
 * Colours of the coverage map: minutes to the nearest station in bands, greens inside the service
 * circle and warm colours outside, grey where the grid search found no station.
 */
export interface Band {
  /** Upper bound of the band, minutes (inclusive); Infinity for the last. */
  upTo: number;
  color: string;
}

/** The bands for a circle of `threshold` minutes: thirds inside, then 1⅓× and 2× outside. */
export function minuteBands(threshold: number): Band[] {
  return [
    { upTo: threshold / 3, color: '#166534' },
    { upTo: (threshold * 2) / 3, color: '#16a34a' },
    { upTo: threshold, color: '#86efac' },
    { upTo: (threshold * 4) / 3, color: '#fdba74' },
    { upTo: threshold * 2, color: '#f97316' },
    { upTo: Infinity, color: '#b91c1c' },
  ];
}

export const NO_STATION_COLOR = '#9ca3af';

export function minuteColor(minutes: number | null, threshold: number): string {
  if (minutes === null) return NO_STATION_COLOR;
  return minuteBands(threshold).find((b) => minutes <= b.upTo)?.color ?? NO_STATION_COLOR;
}
