/**
 * Prometheus text exposition format (what prom-client's /metrics serves), read back by tests and
 * benchmarks: parse it into samples, then look one up exactly or sum the ones that match.
 *
 *   sumOf(text, 'yizhan_broker_acl_denials_total', { reason: 'rate_limit' })   // every matching sample
 *   valueOf(text, 'yizhan_influx_queue_lines')                                 // the one without labels
 */

/** One sample line: `name{label="value",…} value [timestamp]`. */
export interface PromSample {
  name: string;
  /** Label values unescaped (`\\`, `\"`, `\n`). */
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,?)/;

/**
 * A sample value as Prometheus reads it (Go's ParseFloat): the special values in any case, with an
 * optional sign (`NaN`, `+Inf`, `-Inf`, `Infinity`; prom-client prints `Nan`). Undefined when it
 * is not a number.
 */
function number(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) return special[2]?.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const n = Number(s);
  return s === '' || Number.isNaN(n) ? undefined : n;
}

/**
 * Every sample of exposition text, in order (`#` comment and HELP/TYPE lines and blank lines
 * skipped). Throws on a line that is not a sample, naming its line number and text.
 */
export function parseProm(text: string): PromSample[] {
  const out: PromSample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const bad = (why: string) => new Error(`Prometheus text line ${i + 1}: ${why}: ${line.slice(0, 200)}`);
    const name = NAME.exec(line)?.[0];
    if (!name) throw bad('no metric name');
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      for (;;) {
        rest = rest.trimStart();
        if (!rest) throw bad('labels not closed');
        if (rest.startsWith('}')) break;
        const m = LABEL.exec(rest);
        if (!m?.[1] || m[2] === undefined) throw bad('unreadable labels');
        labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        rest = rest.slice(m[0].length);
        if (!m[3] && rest.trim() && !rest.trimStart().startsWith('}')) throw bad('labels not separated by commas');
      }
      rest = rest.slice(1);
    }
    const [value, ...more] = rest.trim().split(/\s+/);
    const v = number(value ?? '');
    if (more.length > 1 || v === undefined) throw bad('no numeric value');
    out.push({ name, labels, value: v });
  });
  return out;
}

const includes = (have: Record<string, string>, want: Record<string, string>) =>
  Object.entries(want).every(([k, v]) => have[k] === v);

/** The samples of `name` whose labels include `labels` (all of them for `{}`). */
export function samplesOf(text: string, name: string, labels: Record<string, string> = {}): PromSample[] {
  return parseProm(text).filter((s) => s.name === name && includes(s.labels, labels));
}

/** Sum of the samples of `name` whose labels include `labels`; 0 when there is none. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(text, name, labels).reduce((a, s) => a + s.value, 0);
}

/** The value of the sample of `name` whose labels are exactly `labels`, or undefined. */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const n = Object.keys(labels).length;
  return samplesOf(text, name, labels).find((s) => Object.keys(s.labels).length === n)?.value;
}
