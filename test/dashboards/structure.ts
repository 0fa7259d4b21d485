/**
 * Static checks of the provisioning files: what Grafana needs to load them, and no secrets.
 * Each check returns problems as readable strings, so a failing test names file, panel and field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allPanels, variableQuery, type LoadedDashboard } from './dashboardModel.js';

export const DATASOURCE_UID = 'yizhan-influxdb';

/** "中文 / English": Chinese before the slash, Latin letters after it. */
export function isBilingual(title: string): boolean {
  const m = /^(.+?) \/ (.+)$/.exec(title);
  return !!m?.[1] && !!m[2] && /\p{Script=Han}/u.test(m[1]) && /[A-Za-z]/.test(m[2]);
}

export function dashboardProblems(d: LoadedDashboard): string[] {
  const p: string[] = [];
  const at = (what: string): string => `${d.file}: ${what}`;
  if (!d.json.uid) p.push(at('no uid'));
  if (!isBilingual(d.json.title)) p.push(at(`title "${d.json.title}" is not "中文 / English"`));
  const ids = new Map<number, string>();
  const titles = new Set<string>();
  for (const panel of allPanels(d.json)) {
    const where = `panel #${panel.id} "${panel.title}"`;
    if (!Number.isInteger(panel.id)) p.push(at(`${where}: id is not an integer`));
    const seen = ids.get(panel.id);
    if (seen !== undefined) p.push(at(`${where}: id ${panel.id} is also used by "${seen}"`));
    ids.set(panel.id, panel.title);
    if (!isBilingual(panel.title)) p.push(at(`${where}: title is not "中文 / English"`));
    const english = panel.title.split(' / ')[1] ?? panel.title;
    if (titles.has(english)) p.push(at(`${where}: another panel has the English title "${english}"`));
    titles.add(english);
    if (panel.type === 'row') continue;
    if (panel.datasource?.uid !== DATASOURCE_UID)
      p.push(
        at(`${where}: datasource uid is ${JSON.stringify(panel.datasource?.uid)}, not ${DATASOURCE_UID}`),
      );
    if (!panel.targets?.length) p.push(at(`${where}: no query`));
    for (const t of panel.targets ?? []) {
      if (t.datasource && t.datasource.uid !== DATASOURCE_UID)
        p.push(at(`${where} ${t.refId}: target datasource uid ${JSON.stringify(t.datasource.uid)}`));
      if (t.rawQuery !== true || !t.query?.trim())
        p.push(at(`${where} ${t.refId}: not a raw InfluxQL query`));
      if (
        (panel.type === 'timeseries' || panel.type === 'heatmap') &&
        t.query &&
        !/\$timeFilter/.test(t.query)
      )
        p.push(at(`${where} ${t.refId}: a time series without $timeFilter would scan all data`));
    }
  }
  for (const v of d.json.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    if (v.datasource?.uid !== DATASOURCE_UID)
      p.push(at(`variable ${v.name}: datasource uid ${JSON.stringify(v.datasource?.uid)}`));
    if (!variableQuery(v).trim()) p.push(at(`variable ${v.name}: empty query`));
  }
  return p;
}

/** Keys whose values would be credentials. */
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|httpHeaderValue|credential|private/i;
/** A value that only refers to the environment, optionally behind an auth scheme word. */
const ENV_ONLY =
  /^(?:(?:Token|Bearer|Basic) )?(?:\$\{[A-Z][A-Z0-9_]*\}|\$__env\{[A-Z][A-Z0-9_]*\}|\$__file\{[^}]+\})$/;
/** Long runs of token-like characters. */
const TOKEN_LIKE = /[A-Za-z0-9+/_=-]{32,}/;

/** Every string value under a secret-looking key that is not an env reference; token-like literals anywhere. */
export function secretProblems(file: string, data: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, path: string, key: string): void => {
    if (typeof v === 'string') {
      if (SECRET_KEY.test(key) && v !== '' && !ENV_ONLY.test(v))
        out.push(`${file}: ${path} holds a literal value; take it from the environment`);
      else if (TOKEN_LIKE.test(v) && !ENV_ONLY.test(v))
        out.push(`${file}: ${path} looks like a secret (${v.slice(0, 8)}…)`);
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`, key));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) visit(x, path ? `${path}.${k}` : k, k);
  };
  visit(data, '', '');
  return out;
}

export interface ProvisioningFiles {
  datasources: { file: string; data: unknown }[];
  providers: { file: string; data: unknown }[];
}

/** Parse every YAML file of dashboards/provisioning (a parse error names the file and line). */
export function loadProvisioning(dir: string): ProvisioningFiles {
  const read = (sub: string): { file: string; data: unknown }[] =>
    readdirSync(join(dir, sub))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => {
        const file = `${sub}/${f}`;
        try {
          return {
            file,
            data: parse(readFileSync(join(dir, sub, f), 'utf8'), { prettyErrors: true }) as unknown,
          };
        } catch (e) {
          throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
  return { datasources: read('datasources'), providers: read('dashboards') };
}
