/**
 * The daily fields of the ranking, declared once: the `station_use_1d` field (also the column of
 * `planning_daily` and `planning_monthly`), the key in {@link Totals}, and how a range of days adds
 * up. The ranking's InfluxDB fallback (analytics.ts), the sync (daily-sync.ts) and the store's
 * sums (daily-store.ts) are all built from this list; a new field is one line here plus its column
 * in a migration.
 *
 * How a field adds up over days:
 * - `sum`: Σ of the days; a day without the field counts 0 (InfluxDB `sum()`).
 * - `sumOrNull`: Σ of the days that have it; null when none has (energy: no socket power is not 0 Wh).
 * - `meanOfDays`: the mean of the days that have it (InfluxDB `mean()`); `planning_monthly` holds
 *   its Σ and the number of days in the two columns named by `monthly`.
 */
export const DAILY_FIELDS = [
  { key: 'samples', field: 'samples', sums: 'sum' },
  { key: 'fullN', field: 'full_n', sums: 'sum' },
  { key: 'nearFullN', field: 'near_full_n', sums: 'sum' },
  { key: 'allBusyN', field: 'all_busy_n', sums: 'sum' },
  { key: 'occupancySum', field: 'occupancy_sum', sums: 'sum' },
  { key: 'sessions', field: 'sessions', sums: 'sum' },
  { key: 'turnedAway', field: 'turned_away', sums: 'sum' },
  { key: 'energyWh', field: 'energy_wh', sums: 'sumOrNull' },
  { key: 'heaterOnShare', field: 'heater_on_share', sums: 'meanOfDays', monthly: { sum: 'heater_sum', days: 'heater_days' } },
] as const;

export type DailyField = (typeof DAILY_FIELDS)[number];
export type DailyFieldName = DailyField['field'];

/** A station's sums over the daily rows whose local day starts in a range (what the ranking needs). */
export type Totals = { [F in DailyField as F['key']]: F['sums'] extends 'sum' ? number : number | null };

/** A field's value from a query answer: numbers and numeric strings (PostgreSQL's bigint sums), else null. */
export function numberOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A field's value of a day or a range: `sum` fields 0 when missing, the others null. */
export function fieldValue(f: DailyField, n: number | null): number | null {
  return f.sums === 'sum' ? (n ?? 0) : n;
}

/**
 * Every field of an answer that holds them under their field names (an InfluxDB row, a store row),
 * read with `num` (InfluxDB rows: numbers only, influx/query.ts rowNumber).
 */
export function fieldsOf(row: Readonly<Record<string, unknown>>, num: (v: unknown) => number | null = numberOrNull): Record<DailyFieldName, number | null> {
  return Object.fromEntries(DAILY_FIELDS.map((f) => [f.field, fieldValue(f, num(row[f.field]))])) as Record<DailyFieldName, number | null>;
}

/** {@link Totals} from an answer keyed by field name. */
export function totalsOf(row: Readonly<Record<string, unknown>>, num: (v: unknown) => number | null = numberOrNull): Totals {
  const v = fieldsOf(row, num);
  return Object.fromEntries(DAILY_FIELDS.map((f) => [f.key, v[f.field]])) as Totals;
}

/** The InfluxQL aggregate of a field over a range of day rows, named as the field. */
export function influxAggregate(f: DailyField, quote: (name: string) => string): string {
  return `${f.sums === 'meanOfDays' ? 'mean' : 'sum'}(${quote(f.field)}) AS ${quote(f.field)}`;
}
