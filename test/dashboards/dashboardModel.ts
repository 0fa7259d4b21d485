/**
 * Reads the dashboard JSON files the way a test needs them: every target query and every query
 * variable, with what each panel relies on in the answer (aliases, GROUP BY tags, `$tag_*` legends,
 * field names in overrides and transformations).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface DatasourceRef {
  type?: string;
  uid?: string;
}
export interface Target {
  refId: string;
  datasource?: DatasourceRef;
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
  hide?: boolean;
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  gridPos?: { h: number; w: number; x: number; y: number };
  maxDataPoints?: number;
  interval?: string;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { overrides?: { matcher: { id: string; options: unknown } }[] };
  transformations?: { id: string; options?: { excludeByName?: Record<string, boolean> } }[];
}
export interface VariableJson {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query?: string | { query?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}
export interface DashboardJson {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: VariableJson[] };
}
export interface LoadedDashboard {
  file: string;
  json: DashboardJson;
}

/** Every `*.json` under `dir`, parsed (a parse error names the file). */
export function loadDashboards(dir: string): LoadedDashboard[] {
  const out: LoadedDashboard[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const file = relative(dir, p);
        try {
          out.push({ file, json: JSON.parse(readFileSync(p, 'utf8')) as DashboardJson });
        } catch (e) {
          throw new Error(`${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** Panels including those nested in collapsed rows. */
export function allPanels(d: DashboardJson): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function variableQuery(v: VariableJson): string {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
}

/** One panel query with what the panel needs from its answer. */
export interface PanelQuery {
  file: string;
  panel: Panel;
  target: Target;
  /** `file #id "title" refId`, for test names. */
  label: string;
  /** Names of fields the panel refers to (overrides by name, organize excludes), except `Time`. */
  fieldRefs: string[];
}

export function panelQueries(d: LoadedDashboard): PanelQuery[] {
  return allPanels(d.json).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => !t.hide)
      .map((target) => ({
        file: d.file,
        panel,
        target,
        label: `${d.file} #${panel.id} "${panel.title}" ${target.refId}`,
        fieldRefs: fieldRefs(panel),
      })),
  );
}

function fieldRefs(p: Panel): string[] {
  const names = new Set<string>();
  for (const o of p.fieldConfig?.overrides ?? []) {
    if (o.matcher.id === 'byName' && typeof o.matcher.options === 'string') names.add(o.matcher.options);
  }
  for (const t of p.transformations ?? []) {
    for (const name of Object.keys(t.options?.excludeByName ?? {})) names.add(name);
  }
  names.delete('Time');
  return [...names];
}

/** What the outermost SELECT of an InfluxQL statement returns. */
export interface OuterShape {
  /** Column names of the outer SELECT (aliases, plain fields, or function names). */
  columns: string[];
  /** Tags in the outer GROUP BY. */
  groupByTags: string[];
  groupByTime: boolean;
}

/**
 * The shape of the outermost statement. Regex literals, quoted text and everything inside
 * parentheses (function arguments, subqueries) are blanked first, so only the outer level is read.
 */
export function outerShape(query: string): OuterShape {
  const flat = outerLevel(query.replace(/(=~|!~)\s*\/(?:\\.|[^/\\])*\//g, '$1 /re/'));
  const select = /^\s*SELECT\s+([\s\S]*?)\s+FROM\s/i.exec(flat.text);
  if (!select?.[1]) throw new Error(`not a SELECT with FROM: ${query}`);
  const columns = splitTopLevel(select[1]).map((item) => {
    const alias = /\bAS\s+"([^"]+)"\s*$/i.exec(item) ?? /\bAS\s+([A-Za-z_]\w*)\s*$/i.exec(item);
    if (alias?.[1]) return alias[1];
    const field = /^\s*"([^"]+)"\s*$/.exec(item);
    if (field?.[1]) return field[1];
    const fn = /^\s*([A-Za-z_]\w*)\s*\(/.exec(item);
    if (fn?.[1]) return fn[1].toLowerCase();
    throw new Error(`cannot tell the column name of "${item.trim()}" in: ${query}`);
  });
  const group = /\bGROUP\s+BY\s+([\s\S]*?)(?:\bfill\s*\(|\bORDER\b|\bLIMIT\b|\bSLIMIT\b|\btz\s*\(|$)/i.exec(
    flat.text,
  );
  const groupParts = group?.[1] ? splitTopLevel(group[1]).map((s) => s.trim()) : [];
  return {
    columns,
    groupByTags: groupParts.flatMap((g) => {
      const m = /^"([^"]+)"$/.exec(g) ?? /^([A-Za-z_]\w*)$/.exec(g);
      return m?.[1] ? [m[1]] : [];
    }),
    groupByTime: groupParts.some((g) => /^time\s*\(/i.test(g)),
  };
}

/** Keep depth-0 text; blank what is inside parentheses (quotes respected). */
function outerLevel(q: string): { text: string } {
  let depth = 0;
  let quote: string | undefined;
  let out = '';
  for (const ch of q) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += depth === 0 ? ch : ' ';
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      out += depth === 0 ? ch : ' ';
    } else if (ch === '(') {
      out += depth === 0 ? '(' : ' ';
      depth++;
    } else if (ch === ')') {
      depth--;
      out += depth === 0 ? ')' : ' ';
    } else out += depth === 0 ? ch : ' ';
  }
  return { text: out };
}

function splitTopLevel(s: string): string[] {
  return s.split(',').filter((x) => x.trim() !== '');
}
