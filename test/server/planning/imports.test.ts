/**
 * Demand and candidate imports: good CSV (with and without BOM, quotes, CRLF) and GeoJSON accepted;
 * every bad row reported by line and field with both languages; the whole file rejected.
 */
import { describe, expect, it } from 'vitest';
import {
  CANDIDATE_SPEC,
  DEMAND_SPEC,
  countyArea,
  parseImport,
} from '../../../server/src/planning/imports.js';

const area = countyArea([
  { lat: 29.99, lon: 119.85 },
  { lat: 30.1, lon: 120.0 },
]);

describe('parseImport', () => {
  it('reads CSV with a BOM, CRLF line ends, quoted names and columns in any order', () => {
    const csv = '\uFEFFweight,lat,lon,name\r\n12.5,30.01,119.9,"外卖热点, 东区"\r\n3,30.05,119.95,\r\n';
    expect(parseImport(csv, DEMAND_SPEC, area)).toEqual({
      ok: true,
      rows: [
        { lat: 30.01, lon: 119.9, weight: 12.5, name: '外卖热点, 东区' },
        { lat: 30.05, lon: 119.95, weight: 3, name: '' },
      ],
    });
  });

  it('reads a GeoJSON FeatureCollection of points ([lon, lat]) with a numeric weight', () => {
    const gj = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [119.9, 30.02] },
          properties: { weight: 4, name: '小区' },
        },
      ],
    });
    expect(parseImport(gj, DEMAND_SPEC, area)).toEqual({
      ok: true,
      rows: [{ lat: 30.02, lon: 119.9, weight: 4, name: '小区' }],
    });
  });

  it('lists one problem per bad field with its line, and rejects the whole file', () => {
    const csv = [
      'lat,lon,weight',
      '30.01,119.9,5', // line 2: fine
      '95,119.9,5', // line 3: latitude out of range
      '30.01,119.9,', // line 4: missing weight
      '30.01,abc,5', // line 5: non-numeric
      '119.9,30.01,5', // line 6: swapped
      '45,100,5', // line 7: outside the county
      '30.01,119.9,-2', // line 8: negative weight
    ].join('\n');
    const r = parseImport(csv, DEMAND_SPEC, area);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'lat'],
      [4, 'weight'],
      [5, 'lon'],
      [6, 'lat'],
      [7, 'lat'],
      [8, 'weight'],
    ]);
    expect(r.problems[0]!.message).toEqual({
      'zh-CN': '纬度 95 超出 −90…90',
      en: 'latitude 95 is outside −90…90',
    });
    expect(r.problems[1]!.message.en).toBe('weight is missing');
    expect(r.problems[2]!.message['zh-CN']).toBe('lon 不是数字："abc"');
    expect(r.problems[3]!.message.en).toContain('look swapped');
    expect(r.problems[4]!.message.en).toContain('outside the county area');
  });

  it('names the missing header column, and refuses too many rows before reading them', () => {
    const noHeader = parseImport('30.01,119.9,5\n', DEMAND_SPEC, area);
    expect(noHeader.ok || noHeader.problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'lat'],
      [1, 'lon'],
      [1, 'weight'],
    ]);
    const many = 'lat,lon,weight\n' + '30.01,119.9,1\n'.repeat(11);
    const r = parseImport(many, DEMAND_SPEC, area, 10);
    expect(r.ok || r.problems).toEqual([
      {
        line: 12,
        field: 'file',
        message: { 'zh-CN': '行数过多：最多 10 行数据', en: 'Too many rows: at most 10 data rows' },
      },
    ]);
  });

  it('reads candidates (name, lat, lon, optional address) and reports GeoJSON problems by feature', () => {
    const ok = parseImport(
      'name,lat,lon,address\n城东菜场,30.02,119.91,青岚县城东路1号\n',
      CANDIDATE_SPEC,
      area,
    );
    expect(ok).toEqual({
      ok: true,
      rows: [{ name: '城东菜场', lat: 30.02, lon: 119.91, address: '青岚县城东路1号' }],
    });
    const bad = parseImport(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [119.9, 30.02] },
            properties: { name: 'a' },
          },
          { type: 'Feature', geometry: { type: 'LineString', coordinates: [] }, properties: { name: 'b' } },
          { type: 'Feature', geometry: { type: 'Point', coordinates: [119.9, 30.02] }, properties: {} },
        ],
      }),
      CANDIDATE_SPEC,
      area,
    );
    expect(bad.ok || bad.problems.map((p) => [p.line, p.field])).toEqual([
      [2, 'geometry'],
      [3, 'name'],
    ]);
    const notJson = parseImport('{"type":', CANDIDATE_SPEC, area);
    expect(notJson.ok || notJson.problems[0]!.message.en).toMatch(/^Not valid JSON/);
  });
});
