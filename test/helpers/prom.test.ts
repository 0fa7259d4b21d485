import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseProm, samplesOf, sumOf, valueOf } from './prom.js';

/** Real exposition text from prom-client: counters with labels (one with quotes, a backslash and a newline), a gauge, a histogram. */
async function exposition(): Promise<string> {
  const reg = new Registry();
  const drops = new Counter({ name: 'drops_total', help: 'drops', labelNames: ['reason', 'role'], registers: [reg] });
  drops.inc({ reason: 'rate_limit', role: 'station' }, 3);
  drops.inc({ reason: 'rate_limit', role: 'server' }, 2);
  drops.inc({ reason: 'say "hi" \\ to\nall', role: 'station' }, 7);
  const depth = new Gauge({ name: 'queue_depth', help: 'depth', registers: [reg] });
  depth.set(-1.5);
  const age = new Histogram({ name: 'age_seconds', help: 'age', buckets: [0.1, 1], labelNames: ['outcome'], registers: [reg] });
  age.observe({ outcome: 'ok' }, 0.05);
  age.observe({ outcome: 'ok' }, 5);
  return reg.metrics();
}

describe('Prometheus text helpers', () => {
  it('parses every sample of real prom-client output, label values unescaped', async () => {
    const s = parseProm(await exposition());
    expect(s.filter((x) => x.name === 'drops_total').map((x) => x.labels.reason)).toEqual([
      'rate_limit',
      'rate_limit',
      'say "hi" \\ to\nall',
    ]);
    expect(s.find((x) => x.name === 'age_seconds_bucket' && x.labels.le === '+Inf')?.value).toBe(2);
    expect(s.some((x) => x.name.startsWith('#') || x.name === 'age_seconds')).toBe(false);
  });

  const lookups: { what: string; name: string; labels?: Record<string, string>; sum: number; exact: number | undefined }[] = [
    { what: 'all samples of a labelled counter', name: 'drops_total', sum: 12, exact: undefined },
    { what: 'a subset of labels', name: 'drops_total', labels: { role: 'station' }, sum: 10, exact: undefined },
    { what: 'the full label set', name: 'drops_total', labels: { reason: 'rate_limit', role: 'server' }, sum: 2, exact: 2 },
    { what: 'an escaped label value', name: 'drops_total', labels: { reason: 'say "hi" \\ to\nall', role: 'station' }, sum: 7, exact: 7 },
    { what: 'a gauge without labels', name: 'queue_depth', sum: -1.5, exact: -1.5 },
    { what: 'a histogram bucket', name: 'age_seconds_bucket', labels: { le: '1', outcome: 'ok' }, sum: 1, exact: 1 },
    { what: 'a name that is only a prefix of others', name: 'drops', sum: 0, exact: undefined },
    { what: 'a label value that no sample has', name: 'drops_total', labels: { role: 'operator' }, sum: 0, exact: undefined },
  ];
  it.each(lookups)('sumOf / valueOf: $what', async ({ name, labels, sum, exact }) => {
    const text = await exposition();
    expect(sumOf(text, name, labels)).toBe(sum);
    expect(valueOf(text, name, labels)).toBe(exact);
    expect(samplesOf(text, name, labels).length > 0).toBe(sum !== 0 || exact !== undefined);
  });

  it('reads special values and an optional timestamp', () => {
    const s = parseProm('a +Inf\nb -Inf\nc NaN\nd{x="1"} 4 1700000000000\n\n# HELP e whatever\n');
    expect(s.map((x) => x.value)).toEqual([Infinity, -Infinity, NaN, 4]);
  });

  it('reads what prom-client prints for NaN and infinite gauges ("Nan", "-Inf"); the other samples still sum', async () => {
    const reg = new Registry();
    new Gauge({ name: 'lag_seconds', help: 'lag before its first measurement', registers: [reg] }).set(NaN);
    new Gauge({ name: 'low', help: 'low', registers: [reg] }).set(-Infinity);
    new Gauge({ name: 'queued', help: 'queued', registers: [reg] }).set(6);
    const text = await reg.metrics();
    expect(text).toContain('lag_seconds Nan');
    expect(valueOf(text, 'lag_seconds')).toBeNaN();
    expect(valueOf(text, 'low')).toBe(-Infinity);
    expect(sumOf(text, 'queued')).toBe(6);
  });

  it.each([
    ['nan', NaN],
    ['inf', Infinity],
    ['+infinity', Infinity],
    ['-INF', -Infinity],
  ])('reads the special value %s in any case, as Prometheus does', (v, want) => {
    expect(parseProm(`m ${v}`)[0]?.value).toBe(want);
  });

  const bad: { line: string; why: string }[] = [
    { line: '{x="1"} 3', why: 'no metric name' },
    { line: 'm{x=1} 3', why: 'unreadable labels' },
    { line: 'm{x="1" y="2"} 3', why: 'labels not separated by commas' },
    { line: 'm{x="1"', why: 'labels not closed' },
    { line: 'm{x="1",', why: 'labels not closed' },
    { line: 'm{x="1"} three', why: 'no numeric value' },
    { line: 'm', why: 'no numeric value' },
  ];
  it.each(bad)('throws on "$line" naming the line ($why)', ({ line, why }) => {
    expect(() => parseProm(`ok 1\n${line}\n`)).toThrow(`Prometheus text line 2: ${why}: ${line}`);
  });
});
