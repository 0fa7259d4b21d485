/**
 * The macro module against outputs Grafana itself produces. Expected strings come from Grafana's
 * own tests and code: pkg/tsdb/influxdb/models/query_test.go (time filter, `$__interval_ms`,
 * `$interval`), packages/grafana-data rangeutil (roundInterval / calculateInterval), the `regex`
 * entry of the variable format registry, and the InfluxDB docs' `(host1|host2|host3)` example.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_VALUE,
  calculateInterval,
  escapeRegex,
  expandQuery,
  formatInterval,
  formatRegex,
  intervalToMs,
  replaceBackendMacros,
  replaceVariables,
  roundInterval,
  timeFilter,
  type VariableState,
} from './grafanaMacros.js';

// 2020-08-01T00:00:00Z .. 00:05:00Z, the range of Grafana's query_test.go
const FROM = Date.UTC(2020, 7, 1, 0, 0, 0);
const range5m = { from: FROM, to: FROM + 5 * 60_000 };

const station = (current: string | string[], extra: Partial<VariableState> = {}): VariableState => ({
  name: 'station',
  multi: true,
  includeAll: true,
  current,
  options: ['st-001', 'st-002', 'st-003'],
  ...extra,
});

describe('timeFilter', () => {
  it.each([
    ['backend, 5 minutes', range5m, 'backend', 'time >= 1596240000000ms and time <= 1596240300000ms'],
    [
      'backend, 1 hour',
      { from: FROM, to: FROM + 3_600_000 },
      'backend',
      'time >= 1596240000000ms and time <= 1596243600000ms',
    ],
    [
      'frontend, relative now-6h',
      { from: 0, to: 0, raw: { from: 'now-6h', to: 'now' } },
      'frontend',
      'time >= now() - 6h and time <= now()',
    ],
    [
      'frontend, absolute',
      { from: FROM, to: FROM + 600_000, raw: { from: '2020-08-01T00:00:00Z', to: '2020-08-01T00:10:00Z' } },
      'frontend',
      'time >= 1596240000000ms and time <= 1596240600000ms',
    ],
  ] as const)('%s', (_name, range, mode, expected) => {
    expect(timeFilter(range, mode)).toBe(expected);
  });
});

describe('interval', () => {
  it.each([
    [5, 1],
    [12, 10],
    [21_600, 20_000], // 6 h over 1000 points = 21.6 s -> 20 s
    [40_000, 30_000],
    [86_400, 60_000], // 24 h / 1000
    [3_000_000, 3_600_000],
    [5e10, 31_536_000_000],
  ])('roundInterval(%d) = %d', (raw, rounded) => {
    expect(roundInterval(raw)).toBe(rounded);
  });

  it.each([
    ['10s', 10_000],
    ['1m', 60_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['30', 30_000],
  ])('intervalToMs(%s) = %d', (text, ms) => {
    expect(intervalToMs(text)).toBe(ms);
  });

  it('refuses an interval it cannot read, naming it', () => {
    expect(() => intervalToMs('soon')).toThrow(/"soon"/);
  });

  it.each([
    [200, '200ms'],
    [5_000, '5s'],
    [10_000, '10s'],
    [90_000, '1m'], // Go truncates to the largest unit, as Grafana's backend does
    [3_600_000, '1h'],
    [86_400_000, '1d'],
    [0, '1ms'],
  ])('formatInterval(%d) = %s', (ms, text) => {
    expect(formatInterval(ms)).toBe(text);
  });

  it('divides the range by maxDataPoints and keeps the minimum', () => {
    const sixHours = { from: 0, to: 6 * 3_600_000 };
    expect(calculateInterval(sixHours, 1000)).toEqual({ intervalMs: 20_000, interval: '20s' });
    expect(calculateInterval(sixHours, 100)).toEqual({ intervalMs: 300_000, interval: '5m' });
    expect(calculateInterval(range5m, 1000)).toEqual({ intervalMs: 200, interval: '200ms' });
    expect(calculateInterval(range5m, 1000, '10s')).toEqual({ intervalMs: 10_000, interval: '10s' });
  });

  it('refuses maxDataPoints of 0', () => {
    expect(() => calculateInterval(range5m, 0)).toThrow(/maxDataPoints/);
  });
});

describe('backend macros (query.go Build)', () => {
  it.each([
    ['GROUP BY time($__interval)', 10_000, 'GROUP BY time(10s)'],
    ['mean("value") / $__interval_ms', 5_000, 'mean("value") / 5000'],
    ['GROUP BY time($interval)', 200, 'GROUP BY time(200ms)'],
    ['WHERE $timeFilter', 10_000, 'WHERE time >= 1596240000000ms and time <= 1596240300000ms'],
  ])('%s', (text, ms, expected) => {
    expect(replaceBackendMacros(text, range5m, { intervalMs: ms, interval: formatInterval(ms) })).toBe(
      expected,
    );
  });
});

describe('regex format', () => {
  it('escapes what a regex would read', () => {
    expect(escapeRegex('a.b/c(d)|e*f+g?h^i$j[k]{l}\\m')).toBe(
      'a\\.b\\/c\\(d\\)\\|e\\*f\\+g\\?h\\^i\\$j\\[k\\]\\{l\\}\\\\m',
    );
    expect(escapeRegex('st-001')).toBe('st-001');
    expect(escapeRegex('城关镇')).toBe('城关镇');
  });

  it('turns several values into an alternation and one value into itself', () => {
    expect(formatRegex(['host1', 'host2', 'host3'])).toBe('(host1|host2|host3)');
    expect(formatRegex(['st-001'])).toBe('st-001');
    expect(formatRegex('a.b')).toBe('a\\.b');
  });
});

describe('replaceVariables', () => {
  it.each([
    ['one value', station(['st-002']), '"station" =~ /^$station$/', '"station" =~ /^st-002$/'],
    [
      'two values',
      station(['st-001', 'st-003']),
      '"station" =~ /^$station$/',
      '"station" =~ /^(st-001|st-003)$/',
    ],
    [
      'All = every option',
      station([ALL_VALUE]),
      '"station" =~ /^$station$/',
      '"station" =~ /^(st-001|st-002|st-003)$/',
    ],
    ['All with a custom all value, raw', station(ALL_VALUE, { allValue: '.*' }), '/^$station$/', '/^.*$/'],
    ['${var} syntax', station(['st-001', 'st-002']), '/^${station}$/', '/^(st-001|st-002)$/'],
    ['[[var]] syntax', station(['st-001']), '/^[[station]]$/', '/^st-001$/'],
    ['explicit :pipe format', station(['st-001', 'st-002']), '${station:pipe}', 'st-001|st-002'],
    [
      'single-value variable',
      station('a.b', { multi: false, includeAll: false }),
      '/^$station$/',
      '/^a\\.b$/',
    ],
  ])('%s', (_name, variable, text, expected) => {
    expect(replaceVariables(text, [variable])).toBe(expected);
  });

  it('leaves macros and unknown names for the backend', () => {
    const text =
      'SELECT mean("value") FROM "x" WHERE $timeFilter GROUP BY time($__interval) -- $__interval_ms $other';
    expect(replaceVariables(text, [station(['st-001'])])).toBe(text);
  });

  it('refuses a format it does not model instead of guessing', () => {
    expect(() => replaceVariables('${station:lucene}', [station(['st-001'])])).toThrow(/station.*lucene/);
  });
});

describe('expandQuery', () => {
  it('gives the text Grafana sends for a typical panel', () => {
    const q =
      'SELECT mean("value") FROM "occupancy" WHERE "station" =~ /^$station$/ AND $timeFilter GROUP BY time($__interval), "station" fill(null)';
    const six = { from: FROM, to: FROM + 6 * 3_600_000 };
    expect(
      expandQuery(q, {
        range: six,
        variables: [station(['st-001', 'st-002'])],
        maxDataPoints: 1000,
        minInterval: '10s',
      }),
    ).toBe(
      'SELECT mean("value") FROM "occupancy" WHERE "station" =~ /^(st-001|st-002)$/ AND time >= 1596240000000ms and time <= 1596261600000ms GROUP BY time(20s), "station" fill(null)',
    );
  });
});
