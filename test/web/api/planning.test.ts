/**
 * The planners' part of the web API client (web/src/api/planning.ts): import files sent as they
 * are with the content type the server reads them by, and a refused import's problems, line by
 * line, carried by the ApiError the page lists them from.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createClient } from '../../../web/src/api/client.js';

function rig(answer: () => Response) {
  const sent: { method: string; url: string; type: string; body: unknown }[] = [];
  const api = createClient({ lang: () => 'zh-CN', csrf: () => 'c', onUnauthorized: () => {} }, (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    sent.push({ method: init?.method ?? 'GET', url, type: headers['content-type'] ?? '', body: init?.body });
    return Promise.resolve(answer());
  });
  return { api, sent };
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('planning API client', () => {
  it('sends a CSV as text/csv and anything else as GeoJSON, with the layer name and kind in the query', async () => {
    const { api, sent } = rig(() => json(201, []));
    await api.planning.importCandidates(new File(['name,lat,lon\n'], 'sites.CSV'));
    await api.planning.addDemandLayer('外卖 热度', 'orders', new File(['{}'], 'heat.geojson'));
    expect(sent.map((s) => [s.method, s.url, s.type])).toEqual([
      ['POST', '/api/v1/planning/candidates/import', 'text/csv'],
      ['POST', '/api/v1/planning/demand-layers?name=%E5%A4%96%E5%8D%96+%E7%83%AD%E5%BA%A6&kind=orders', 'application/geo+json'],
    ]);
    expect(await (sent[0]!.body as Blob).text()).toBe('name,lat,lon\n');
  });

  it('hands a refused import back with every problem by line and field', async () => {
    const problems = [
      { line: 3, field: 'lat', message: { 'zh-CN': '纬度超出范围', en: 'latitude out of range' } },
      { line: 4, field: 'lon', message: { 'zh-CN': '不是数字', en: 'not a number' } },
    ];
    const { api } = rig(() => json(400, { error: 'import_rejected', message: '文件有 2 处问题', problems }));
    const err = await api.planning.importCandidates(new File(['x'], 'a.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'import_rejected', message: '文件有 2 处问题', problems });
  });

  it('still reads the ordinary error body', async () => {
    const { api } = rig(() => json(403, { error: { code: 'forbidden', message: '没有权限' } }));
    const err = await api.planning.solve({ k: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: 'forbidden', message: '没有权限', problems: [] });
  });

  it('links the downloads to the same answers as CSV or JSON', () => {
    const { api } = rig(() => json(200, {}));
    expect(api.planning.analyticsUrl('stations', 'csv', { from: 1, to: 2, township: 'chengguan' })).toBe(
      '/api/v1/planning/stations?from=1&to=2&township=chengguan&format=csv',
    );
    expect(api.planning.exportUrl('coverage', 'geojson')).toBe('/api/v1/planning/export/coverage.geojson');
  });
});
