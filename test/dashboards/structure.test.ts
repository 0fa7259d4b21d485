/**
 * The provisioning files as Grafana loads them: datasource and provider YAML parse and take every
 * installation-specific value from the environment, no secret is stored, every panel queries the
 * yizhan datasource, panel ids are unique and titles bilingual.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboards, variableQuery } from './dashboardModel.js';
import {
  DATASOURCE_UID,
  dashboardProblems,
  isBilingual,
  loadProvisioning,
  secretProblems,
} from './structure.js';

const DASHBOARDS = fileURLToPath(new URL('../../dashboards/', import.meta.url));
const dashboards = loadDashboards(DASHBOARDS);
const provisioning = loadProvisioning(`${DASHBOARDS}provisioning`);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

describe('dashboard files', () => {
  it('are the two yizhan dashboards, with distinct uids', () => {
    expect(dashboards.map((d) => [d.file, d.json.uid, d.json.title])).toEqual([
      ['yizhan/planning-occupancy.json', 'yizhan-planning-occupancy', '规划：使用率 / Planning: occupancy'],
      ['yizhan/station-health.json', 'yizhan-station-health', '站点健康 / Station health'],
    ]);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s: datasource, ids, titles, queries', (_f, d) => {
    expect(dashboardProblems(d)).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: township and station variables, station chained to township',
    (_f, d) => {
      const vars = d.json.templating?.list ?? [];
      const township = vars.find((v) => v.name === 'township');
      const station = vars.find((v) => v.name === 'station');
      expect(township && variableQuery(township)).toBe(
        'SHOW TAG VALUES FROM "occupancy" WITH KEY = "township"',
      );
      expect(station && variableQuery(station)).toMatch(
        /WITH KEY = "station" WHERE "township" =~ \/\^\$township\$\//,
      );
      for (const v of [township, station]) expect(v).toMatchObject({ multi: true, includeAll: true });
    },
  );

  it.each(dashboards.map((d) => [d.file, d] as const))('%s: holds no secret', (_f, d) => {
    expect(secretProblems(d.file, d.json)).toEqual([]);
  });
});

describe('datasource provisioning', () => {
  it('is one InfluxQL datasource with uid yizhan-influxdb, everything site-specific from the environment', () => {
    expect(provisioning.datasources.map((f) => f.file)).toEqual(['datasources/yizhan-influxdb.yaml']);
    const doc = obj(provisioning.datasources[0]?.data);
    expect(doc.apiVersion).toBe(1);
    const dss = list(doc.datasources).map(obj);
    expect(dss).toHaveLength(1);
    const ds = dss[0] ?? {};
    expect(ds).toMatchObject({
      uid: DATASOURCE_UID,
      type: 'influxdb',
      access: 'proxy',
      url: '${INFLUX_URL}',
    });
    expect(obj(ds.jsonData)).toMatchObject({ version: 'InfluxQL', dbName: '${INFLUX_DB}', httpMode: 'POST' });
    expect(obj(ds.secureJsonData)).toEqual({ httpHeaderValue1: 'Token ${INFLUX_TOKEN}' });
    expect(ds).not.toHaveProperty('password');
    expect(ds).not.toHaveProperty('basicAuthPassword');
  });

  it.each(['datasources', 'providers'] as const)('%s: no secret in any file', (kind) => {
    expect(provisioning[kind].flatMap((f) => secretProblems(f.file, f.data))).toEqual([]);
  });
});

describe('dashboard provider', () => {
  it('loads the folder named by YIZHAN_DASHBOARDS_DIR into 驿站 / yizhan', () => {
    expect(provisioning.providers.map((f) => f.file)).toEqual(['dashboards/yizhan.yaml']);
    const doc = obj(provisioning.providers[0]?.data);
    expect(doc.apiVersion).toBe(1);
    const providers = list(doc.providers).map(obj);
    expect(providers).toHaveLength(1);
    const p = providers[0] ?? {};
    expect(p).toMatchObject({ type: 'file', folder: '驿站 / yizhan', folderUid: 'yizhan' });
    expect(isBilingual(String(p.folder))).toBe(true);
    expect(obj(p.options).path).toBe('${YIZHAN_DASHBOARDS_DIR}');
  });
});

describe('the checks themselves catch what they are for', () => {
  it.each([
    [
      'a literal password',
      { datasources: [{ secureJsonData: { password: 'hunter2' } }] },
      /password holds a literal/,
    ],
    [
      'a literal token header',
      { jsonData: { httpHeaderValue1: 'Token abc' } },
      /httpHeaderValue1 holds a literal/,
    ],
    [
      'a token pasted anywhere',
      { url: 'http://x/?t=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5' },
      /looks like a secret/,
    ],
  ])('secretProblems finds %s', (_name, data, re) => {
    expect(secretProblems('f.yaml', data).join('\n')).toMatch(re);
  });

  it.each([
    ['an env reference', { password: '${INFLUX_PASSWORD}' }],
    ['a scheme and an env reference', { httpHeaderValue1: 'Bearer ${INFLUX_TOKEN}' }],
    ['an empty value', { password: '' }],
  ])('secretProblems accepts %s', (_name, data) => {
    expect(secretProblems('f.yaml', data)).toEqual([]);
  });

  it('dashboardProblems finds a foreign datasource, a duplicate id and a one-language title', () => {
    const bad = {
      file: 'bad.json',
      json: {
        uid: 'x',
        title: 'Only English',
        panels: [
          {
            id: 1,
            type: 'stat',
            title: '在线 / Online',
            datasource: { uid: 'other' },
            targets: [{ refId: 'A', rawQuery: true, query: 'SELECT 1' }],
          },
          {
            id: 1,
            type: 'timeseries',
            title: '水温',
            datasource: { uid: DATASOURCE_UID },
            targets: [{ refId: 'A', rawQuery: true, query: 'SELECT mean("value") FROM "x"' }],
          },
          {
            id: 3,
            type: 'stat',
            title: '在线数 / Online',
            datasource: { uid: DATASOURCE_UID },
            targets: [{ refId: 'A', rawQuery: true, query: 'SELECT 1' }],
          },
        ],
      },
    };
    const text = dashboardProblems(bad).join('\n');
    expect(text).toMatch(/title "Only English"/);
    expect(text).toMatch(/#1 "在线 \/ Online": datasource uid is "other"/);
    expect(text).toMatch(/id 1 is also used/);
    expect(text).toMatch(/"水温": title is not/);
    expect(text).toMatch(/without \$timeFilter/);
    expect(text).toMatch(/#3 "在线数 \/ Online": another panel has the English title "Online"/);
  });
});
