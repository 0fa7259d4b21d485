/**
 * Does an InfluxDB answer give a panel what it needs? Returns problems as readable strings
 * (empty = fine), so one assertion shows everything wrong with a query at once.
 */
import { outerShape, type PanelQuery } from './dashboardModel.js';
import type { StatementResult } from './influxql.js';

/** Tag values the variables were set to; series grouped by that tag must stay inside them. */
export interface Selection {
  station?: readonly string[];
  township?: readonly string[];
}

export function answerProblems(
  pq: PanelQuery,
  sent: string,
  r: StatementResult,
  selection: Selection = {},
): string[] {
  if (r.error !== undefined) return [`InfluxDB error: ${r.error}\n  query: ${sent}`];
  const rows = r.series.reduce((n, s) => n + s.values.length, 0);
  if (rows === 0) return [`no rows\n  query: ${sent}`];
  const p: string[] = [];
  const shape = outerShape(sent);
  const tagKeys = new Set(r.series.flatMap((s) => Object.keys(s.tags)));
  for (const s of r.series) {
    const where = `series ${JSON.stringify(s.tags)}`;
    for (const c of shape.columns)
      if (!s.columns.includes(c)) p.push(`${where}: column "${c}" missing (has ${s.columns.join(', ')})`);
    for (const t of shape.groupByTags) if (!(t in s.tags)) p.push(`${where}: GROUP BY tag "${t}" missing`);
    if (shape.groupByTime && s.columns[0] !== 'time') p.push(`${where}: first column is not time`);
  }
  const filled = r.series.some((s) =>
    s.values.some((row) =>
      shape.columns.some(
        (c) => row[s.columns.indexOf(c)] !== null && row[s.columns.indexOf(c)] !== undefined,
      ),
    ),
  );
  if (!filled) p.push(`every value of ${shape.columns.join(', ')} is null`);
  for (const m of (pq.target.alias ?? '').matchAll(/\$tag_(\w+)/g)) {
    const tag = m[1] ?? '';
    if (!r.series.every((s) => tag in s.tags))
      p.push(`legend ${pq.target.alias} needs tag "${tag}" on every series`);
  }
  const fields = new Set([...shape.columns, ...tagKeys]);
  for (const name of pq.fieldRefs)
    if (!fields.has(name)) p.push(`panel refers to field "${name}", answer has ${[...fields].join(', ')}`);
  for (const [tag, allowed] of Object.entries(selection) as [string, readonly string[] | undefined][]) {
    if (!allowed) continue;
    for (const s of r.series) {
      const v = s.tags[tag];
      if (v !== undefined && !allowed.includes(v))
        p.push(`series with ${tag}=${v} although $${tag} is ${allowed.join('|')}`);
    }
  }
  return p.map((x) => `${x}\n  query: ${sent}`);
}
