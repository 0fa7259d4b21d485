import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SENSOR_KIND_NAMES } from '@yizhan/protocol/serial';
import {
  STATION_SCHEMA_FILE,
  TOWNSHIPS_SCHEMA_FILE,
  stationJsonSchemaText,
  townshipsJsonSchemaText,
} from '@yizhan/station-config/json-schema';
import { DEFAULT_STATIONS_DIR, loadStationsDir, loadStationsOrThrow } from '@yizhan/station-config/load';
import { distanceKm, renderSamples, renderTownships } from '@yizhan/station-config/samples';
import { DEFAULT_TOWNSHIPS_FILE, loadTownshipsFile } from '@yizhan/station-config/townships';
import type { StationConfig } from '@yizhan/station-config/schema';

const { stations, issues } = loadStationsDir();
const files = readdirSync(DEFAULT_STATIONS_DIR).sort();

describe('the 47 sample stations', () => {
  it('all load clean from DEFAULT_STATIONS_DIR, ids st-001 .. st-047', () => {
    expect(issues).toEqual([]);
    expect(files).toEqual(Array.from({ length: 47 }, (_, i) => `st-${String(i + 1).padStart(3, '0')}.yaml`));
    expect(stations.map((s) => `${s.id}.yaml`)).toEqual(files);
    expect(loadStationsOrThrow()).toHaveLength(47);
  });

  it('every file points editors at the schema, says it is sample data, and has sample: true', () => {
    for (const f of files) {
      const text = readFileSync(join(DEFAULT_STATIONS_DIR, f), 'utf8').split('\n');
      expect(text[0], f).toBe('# yaml-language-server: $schema=../station.schema.json');
      expect(text[1], f).toMatch(/^# 样例数据 SAMPLE DATA/);
    }
    expect(stations.every((s) => s.sample === true)).toBe(true);
  });

  it('the files are what the generator writes (edit src/samples/, then run it)', () => {
    const rendered = renderSamples();
    expect([...rendered.keys()]).toEqual(files);
    for (const [f, text] of rendered)
      expect(readFileSync(join(DEFAULT_STATIONS_DIR, f), 'utf8'), f).toBe(text);
  });

  it('townships.yaml is what the generator writes and defines every sample station township', () => {
    expect(readFileSync(DEFAULT_TOWNSHIPS_FILE, 'utf8')).toBe(renderTownships());
    expect(readFileSync(TOWNSHIPS_SCHEMA_FILE, 'utf8')).toBe(townshipsJsonSchemaText());
    const defs = loadTownshipsFile(DEFAULT_TOWNSHIPS_FILE).townships ?? [];
    expect(new Set(stations.map((s) => s.township))).toEqual(new Set(defs.map((d) => d.name)));
    expect(loadStationsDir(DEFAULT_STATIONS_DIR, { townships: defs }).issues).toEqual([]);
  });

  it('follow the channel conventions exactly', () => {
    for (const s of stations) {
      const expected: StationConfig['sensors'] = [
        { channel: 1, id: 'door', kind: 'door' },
        { channel: 2, id: 'occupancy', kind: 'occupancy' },
        { channel: 3, id: 'ambient', kind: 'ambient_temp' },
      ];
      for (let n = 1; n <= s.sockets; n++)
        expected.push({ channel: 10 + n - 1, id: `socket-${n}`, kind: 'socket_state' });
      for (let n = 1; n <= s.sockets; n++)
        expected.push({ channel: 40 + n - 1, id: `socket-${n}-power`, kind: 'socket_power' });
      expected.push(
        { channel: 80, id: 'water-temp', kind: 'water_temp' },
        { channel: 81, id: 'heater', kind: 'heater' },
        { channel: 82, id: 'water-level', kind: 'water_level' },
      );
      expect(
        s.sensors.map(({ channel, id, kind }) => ({ channel, id, kind })),
        s.id,
      ).toEqual(expected);
      expect(
        s.sensors.every((x) => typeof x.label === 'string' && x.label.length > 0),
        s.id,
      ).toBe(true);
    }
    // Every sensor kind occurs, so consumers see all of them in the sample data.
    expect(new Set(stations.flatMap((s) => s.sensors.map((x) => x.kind)))).toEqual(
      new Set(SENSOR_KIND_NAMES),
    );
  });

  it('have plausible sizes and settings', () => {
    for (const s of stations) {
      expect(s.seats, s.id).toBeGreaterThanOrEqual(6);
      expect(s.seats, s.id).toBeLessThanOrEqual(30);
      expect(s.sockets, s.id).toBeGreaterThanOrEqual(4);
      expect(s.sockets, s.id).toBeLessThanOrEqual(16);
      expect(s.serial, s.id).toEqual({ path: '/dev/ttyYZ0', baudRate: 115200, frameTimeout: '30s' });
      expect(s.name, s.id).toMatch(/驿站$/);
      expect(s.address, s.id).toMatch(new RegExp(`^青岚县${s.township}`));
      expect(s.dispenser.setpointC, s.id).toBeGreaterThanOrEqual(85);
    }
    expect(new Set(stations.map((s) => s.name)).size).toBe(47);
    expect(new Set(stations.map((s) => s.hours)).size).toBeGreaterThan(1);
  });

  it('lie in one county, at distinct places, the county town having the most stations', () => {
    const byTownship = new Map<string, number>();
    for (const s of stations) {
      expect(s.location.lat, s.id).toBeGreaterThanOrEqual(29.8);
      expect(s.location.lat, s.id).toBeLessThanOrEqual(30.2);
      expect(s.location.lon, s.id).toBeGreaterThanOrEqual(119.6);
      expect(s.location.lon, s.id).toBeLessThanOrEqual(120.1);
      byTownship.set(s.township, (byTownship.get(s.township) ?? 0) + 1);
    }
    expect(Object.fromEntries(byTownship)).toEqual({
      城关镇: 19,
      新塘镇: 5,
      白沙镇: 5,
      石门镇: 4,
      青山镇: 4,
      溪口镇: 4,
      桃源乡: 3,
      长乐乡: 3,
    });
    for (const a of stations)
      for (const b of stations)
        if (a.id < b.id)
          expect(distanceKm(a.location, b.location), `${a.id}-${b.id}`).toBeGreaterThanOrEqual(0.4);
  });

  it('form a 15-minute network: every station has a neighbour within 15 minutes by e-bike (5 km at 20 km/h), town stations within 2 km', () => {
    for (const a of stations) {
      const nearest = Math.min(
        ...stations.filter((b) => b !== a).map((b) => distanceKm(a.location, b.location)),
      );
      expect(nearest, a.id).toBeLessThanOrEqual(a.township === '城关镇' ? 2 : 5);
    }
  });
});

describe('station.schema.json', () => {
  it('is committed up to date (npm run config:schema)', () => {
    expect(readFileSync(STATION_SCHEMA_FILE, 'utf8')).toBe(stationJsonSchemaText());
  });

  it('is a JSON Schema with descriptions for editors', () => {
    const s = JSON.parse(readFileSync(STATION_SCHEMA_FILE, 'utf8')) as {
      $schema: string;
      properties: Record<
        string,
        { description?: string; properties?: Record<string, { description?: string }> }
      >;
    };
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const [k, v] of Object.entries(s.properties)) expect(v.description, k).toBeTruthy();
    expect(s.properties.serial?.properties?.frameTimeout?.description).toMatch(/serial link is down/);
  });
});
