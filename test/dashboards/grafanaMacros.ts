/**
 * Grafana's expansion of an InfluxQL panel query, re-done here so that the dashboards in
 * `dashboards/` can be run against a real InfluxDB without Grafana. Two stages, as in Grafana
 * (10.x–12.x, InfluxQL datasource in proxy mode, which is the only mode Grafana still allows):
 *
 * 1. Frontend (`templateSrv.replace(query, scopedVars, 'regex')`): dashboard variables — `$var`,
 *    `${var}`, `${var:format}`, `[[var]]` — are replaced. Default format `regex`: a single value is
 *    regex-escaped, several values become `(a|b)`; "All" without a custom all value is every option,
 *    a custom all value is inserted raw. `$__interval`, `$__interval_ms` and `$timeFilter` are not
 *    variables at this stage and stay in the text.
 * 2. Backend (`pkg/tsdb/influxdb/models/query.go` `Build`): `$timeFilter` → `time >= <from>ms and
 *    time <= <to>ms`, then `$interval`, `$__interval_ms`, `$__interval` from the request's interval,
 *    which the frontend computed as `rangeutil.calculateInterval(range, maxDataPoints, minInterval)`.
 *
 * The legacy frontend-only path rendered a relative range as `time >= now() - 6h and time <= now()`;
 * {@link timeFilter} can produce that form too.
 */

/** A dashboard time range in Unix ms; `raw` keeps Grafana's relative text (e.g. `now-6h`, `now`). */
export interface TimeRange {
  from: number;
  to: number;
  raw?: { from: string; to: string };
}

/** The state of one dashboard template variable at query time. */
export interface VariableState {
  name: string;
  multi: boolean;
  includeAll: boolean;
  /** Custom all value (inserted raw when "All" is selected); empty/undefined = every option. */
  allValue?: string | null;
  /** Selected values; `['$__all']` (or `'$__all'`) for "All". */
  current: string | string[];
  /** The options the variable query returned (without "All"). */
  options: string[];
}

export interface IntervalValues {
  intervalMs: number;
  /** As Grafana's backend prints it (`gtime.FormatInterval`), e.g. `20s`, `1m`, `200ms`. */
  interval: string;
}

export interface ExpandContext {
  range: TimeRange;
  variables: readonly VariableState[];
  /** Panel `maxDataPoints`, or its width in pixels as Grafana uses when unset. */
  maxDataPoints: number;
  /** Lower bound for `$__interval`: panel `interval`, else datasource `jsonData.timeInterval`. */
  minInterval?: string;
  /** `backend` (default): absolute ms range as Grafana ≥ 8 sends; `frontend`: legacy relative form. */
  timeFilterMode?: 'backend' | 'frontend';
}

/** Value of a variable when "All" is selected. */
export const ALL_VALUE = '$__all';

/** `@grafana/data` `escapeRegex`: `\ ^ $ * + ? . ( ) | [ ] { } /` get a backslash. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** Grafana's `regex` variable format. */
export function formatRegex(value: string | readonly string[]): string {
  if (typeof value === 'string') return escapeRegex(value);
  const escaped = value.map(escapeRegex);
  if (escaped.length === 1) return escaped[0] ?? '';
  return '(' + escaped.join('|') + ')';
}

/** `rangeutil.roundInterval`: a raw interval in ms to Grafana's nearest "nice" step. */
export function roundInterval(ms: number): number {
  const steps: readonly [below: number, value: number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 31536000000;
}

const UNIT_MS: Record<string, number> = {
  y: 31536000000,
  M: 2592000000,
  w: 604800000,
  d: 86400000,
  h: 3600000,
  m: 60000,
  s: 1000,
  ms: 1,
};

/** `rangeutil.intervalToMs`: `10s`, `1m`, `500ms`, or a bare number of seconds. Throws on anything else. */
export function intervalToMs(text: string): number {
  if (Number(text)) return parseInt(text, 10) * 1000;
  const m = /^(-?\d+(?:\.\d+)?)(ms|[Mwdhmsy])/.exec(text);
  const unit = m?.[2];
  if (!m || unit === undefined) {
    throw new Error(
      `invalid interval "${text}": expected a number with one of ${Object.keys(UNIT_MS).join(', ')}`,
    );
  }
  return parseInt(m[1] ?? '0', 10) * (UNIT_MS[unit] ?? 0);
}

/** Go `gtime.FormatInterval` (what the InfluxDB backend puts into `$__interval`): largest unit, truncated. */
export function formatInterval(ms: number): string {
  const units: readonly [string, number][] = [
    ['y', 31536000000],
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
    ['ms', 1],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

/** `rangeutil.calculateInterval`: range / maxDataPoints, rounded, not below the minimum (default 1 ms). */
export function calculateInterval(
  range: TimeRange,
  maxDataPoints: number,
  minInterval?: string,
): IntervalValues {
  if (!(maxDataPoints > 0)) throw new Error(`maxDataPoints must be > 0, got ${maxDataPoints}`);
  const low = minInterval ? intervalToMs(minInterval) : 1;
  const intervalMs = Math.max(roundInterval((range.to - range.from) / maxDataPoints), low);
  return { intervalMs, interval: formatInterval(intervalMs) };
}

/** What `$timeFilter` becomes. */
export function timeFilter(range: TimeRange, mode: 'backend' | 'frontend' = 'backend'): string {
  if (mode === 'backend') return `time >= ${Math.floor(range.from)}ms and time <= ${Math.floor(range.to)}ms`;
  const edge = (raw: string | undefined, ms: number): string => {
    if (raw === 'now') return 'now()';
    const m = raw === undefined ? null : /^now-(\d+)([dhms])$/.exec(raw);
    return m ? `now() - ${m[1]}${m[2]}` : `${Math.floor(ms)}ms`;
  };
  return `time >= ${edge(range.raw?.from, range.from)} and time <= ${edge(range.raw?.to, range.to)}`;
}

/** `templateSrv` variable syntax: `$name`, `[[name]]`, `[[name:fmt]]`, `${name}`, `${name:fmt}`. */
const VARIABLE_RE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function isAll(current: string | string[]): boolean {
  return current === ALL_VALUE || (Array.isArray(current) && current.includes(ALL_VALUE));
}

function applyFormat(value: string | readonly string[], format: string, variable: string): string {
  const list = typeof value === 'string' ? [value] : value;
  switch (format) {
    case 'regex':
      return formatRegex(value);
    case 'raw':
      return list.join(',');
    case 'csv':
      return list.join(',');
    case 'pipe':
      return list.join('|');
    case 'doublequote':
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    default:
      throw new Error(
        `variable "${variable}": format "${format}" is not modelled here (use regex, raw, csv, pipe, doublequote, singlequote)`,
      );
  }
}

/**
 * Stage 1: replace dashboard variables like Grafana's `templateSrv.replace(text, vars, 'regex')`.
 * Unknown names (`$timeFilter`, `$__interval`, `$tag_x` …) are left as they are, as Grafana does.
 */
export function replaceVariables(
  text: string,
  variables: readonly VariableState[],
  defaultFormat = 'regex',
): string {
  const byName = new Map(variables.map((v) => [v.name, v]));
  return text.replace(VARIABLE_RE, (match: string, ...groups: unknown[]) => {
    const [g1, g2, g3, g4, , g6] = groups as (string | undefined)[];
    const name = g1 ?? g2 ?? g4;
    const v = name === undefined ? undefined : byName.get(name);
    if (!v) return match;
    const format = g3 ?? g6 ?? defaultFormat;
    if (isAll(v.current)) {
      if (v.allValue) return v.allValue;
      return applyFormat(v.options, format, v.name);
    }
    const value = !v.multi && Array.isArray(v.current) ? (v.current[0] ?? '') : v.current;
    return applyFormat(value, format, v.name);
  });
}

/** Stage 2: the backend's macros, in the order `query.go` applies them. */
export function replaceBackendMacros(
  text: string,
  range: TimeRange,
  interval: IntervalValues,
  mode: 'backend' | 'frontend' = 'backend',
): string {
  return text
    .replaceAll('$timeFilter', timeFilter(range, mode))
    .replaceAll('$interval', interval.interval)
    .replaceAll('$__interval_ms', String(interval.intervalMs))
    .replaceAll('$__interval', interval.interval);
}

/** Both stages: the InfluxQL text Grafana sends to `/query` for a raw panel query. */
export function expandQuery(query: string, ctx: ExpandContext): string {
  const interval = calculateInterval(ctx.range, ctx.maxDataPoints, ctx.minInterval);
  return replaceBackendMacros(
    replaceVariables(query, ctx.variables),
    ctx.range,
    interval,
    ctx.timeFilterMode,
  );
}
