/**
 * Run one InfluxQL statement the way Grafana's InfluxDB backend does (httpMode POST):
 * `POST /query?db=…&epoch=ms` with the statement in a form body. The answer is schema-checked.
 */
import { Type } from '@sinclair/typebox';
import { compile } from '@yizhan/protocol/mqtt';

const Series = Type.Object({
  name: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  columns: Type.Array(Type.String()),
  values: Type.Optional(Type.Array(Type.Array(Type.Unknown()))),
});
const Answer = Type.Object({
  results: Type.Optional(
    Type.Array(
      Type.Object({ series: Type.Optional(Type.Array(Series)), error: Type.Optional(Type.String()) }),
    ),
  ),
  error: Type.Optional(Type.String()),
});
const checkAnswer = compile(Answer);

export interface ResultSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
export interface StatementResult {
  /** InfluxDB's error for the statement or the request; undefined when it ran. */
  error?: string;
  series: ResultSeries[];
}

export async function runInfluxQL(url: string, db: string, q: string): Promise<StatementResult> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, epoch: 'ms' }).toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q }).toString(),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, series: [] };
  }
  if (!checkAnswer.check(body))
    return { error: `unexpected answer: ${checkAnswer.errors(body).join('; ')}`, series: [] };
  const first = body.results?.[0];
  const error = body.error ?? first?.error ?? (res.ok ? undefined : `HTTP ${res.status}`);
  return {
    ...(error !== undefined ? { error } : {}),
    series: (first?.series ?? []).map((s) => ({
      name: s.name ?? '',
      tags: s.tags ?? {},
      columns: s.columns,
      values: s.values ?? [],
    })),
  };
}

/** Values of `SHOW TAG VALUES … WITH KEY = …` (column `value`), sorted as Grafana's `sort: 1` does. */
export function tagValues(r: StatementResult): string[] {
  const out = new Set<string>();
  for (const s of r.series) {
    const i = s.columns.indexOf('value');
    for (const row of s.values) if (i >= 0 && typeof row[i] === 'string') out.add(row[i]);
  }
  return [...out].sort();
}
