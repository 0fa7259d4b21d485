/**
 * The planning exports on the 47 sample stations with the sample files imported, on SQLite and
 * PostgreSQL: stations, coverage and candidates as CSV (UTF-8 BOM, CRLF) and GeoJSON, the same
 * numbers as the JSON answers.
 */
import { describe, expect, it } from 'vitest';
import { testEngines } from '../../store/engines.js';
import { coverageSuite, getJson, importSamples } from './coverage-fixture.js';
import type { CoverageAnswer } from '../../../../server/src/planning/coverage-schemas.js';

const lines = (body: string) =>
  body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');

describe.each(testEngines())('planning exports ($name)', (engine) => {
  const s = coverageSuite(engine);

  it('exports stations, coverage and candidates as CSV and GeoJSON', async () => {
    await importSamples(s);
    const st = await s.app.inject({ url: '/api/v1/planning/export/stations.csv', headers: s.reader });
    expect(st.headers['content-type']).toMatch(/^text\/csv/);
    expect(st.headers['content-disposition']).toBe('attachment; filename="stations.csv"');
    const stations = lines(st.body);
    expect(stations[0]).toBe('id,name,township,lat,lon,seats,sockets,address');
    expect(stations).toHaveLength(48);
    const csv = await s.app.inject({
      url: '/api/v1/planning/coverage?format=csv&mode=walk',
      headers: s.reader,
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="coverage-walk.csv"');
    const rows = lines(csv.body);
    expect(rows[0]).toBe('h3,lat,lon,minutes,station_id,demand,covered');
    const walk = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage?mode=walk');
    expect(rows).toHaveLength(walk.cells.length + 1);
    const first = walk.cells[0]!;
    expect(rows[1]).toBe(
      [
        first.h3,
        first.lat,
        first.lon,
        first.minutes,
        first.stationId,
        first.demand,
        first.covered ? 1 : 0,
      ].join(','),
    );
    const hex = await s.app.inject({ url: '/api/v1/planning/export/coverage.geojson', headers: s.reader });
    expect(hex.headers['content-type']).toMatch(/^application\/geo\+json/);
    const features = hex.json<{
      features: { geometry: { type: string; coordinates: number[][][] }; properties: { covered: boolean } }[];
    }>().features;
    expect(features[0]!.geometry.type).toBe('Polygon');
    expect(features[0]!.geometry.coordinates[0]).toHaveLength(7);
    const cands = (
      await s.app.inject({ url: '/api/v1/planning/export/candidates.geojson', headers: s.reader })
    ).json<{ features: { properties: { name: string; addedDemand: number } }[] }>();
    expect(
      cands.features.find((f) => f.properties.name === '岚湖新城社区服务中心')!.properties.addedDemand,
    ).toBe(300);
  });
});
