import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  loadStationFile,
  loadStationPaths,
  loadStationsDir,
  loadStationsOrThrow,
  StationConfigError,
} from '@yizhan/station-config/load';
import {
  DEFAULT_FRAME_TIMEOUT,
  DEFAULT_HEATING_TIMEOUT,
  DEFAULT_MIN_RISE_C,
  stationTimings,
} from '@yizhan/station-config/timings';
import { BROKEN, BROKEN_CASES, DUP, VALID } from './helpers.js';

const lines = (issues: Parameters<typeof formatIssue>[0][], dir: string) =>
  issues.map((i) => formatIssue(i, { relativeTo: dir }));

describe('broken station files: every problem, with its line and a message that says what to do', () => {
  it.each(BROKEN_CASES)('$file: $why', ({ file, expected }) => {
    const r = loadStationFile(join(BROKEN, file));
    expect(lines(r.issues, BROKEN)).toEqual(expected);
    expect(r.station).toBeUndefined();
    for (const i of r.issues) {
      expect(i.file).toBe(join(BROKEN, file));
      expect(i.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('the table covers every file in fixtures/broken, and the directory load reports them all in order', () => {
    const r = loadStationsDir(BROKEN);
    expect(r.stations).toEqual([]);
    expect(lines(r.issues, BROKEN)).toEqual(
      [...BROKEN_CASES].sort((a, b) => (a.file < b.file ? -1 : 1)).flatMap((c) => c.expected),
    );
  });
});

/** Write `text` as <dir>/<id>.yaml and load it. */
function loadText(id: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'yz-cfg-'));
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, text);
  return { ...loadStationFile(file), dir };
}

const STATION = (sensors: string, extra = '') => `id: st-100
name: 测试驿站
township: 城关镇
address: 青岚县城关镇测试路1号
location:
  lat: 30.0
  lon: 119.85
seats: 8
sockets: 0
hours: '07:00-21:00'
dispenser:
  model: 暖泉 NQ-K30
  setpointC: 95
serial:
  path: /dev/ttyYZ0
  baudRate: 115200
${extra}sensors:
${sensors}`;

describe('positions in block-style lists and odd layouts', () => {
  it.each([
    {
      why: 'a sensor without kind: the line of its list item',
      sensors: '  - channel: 1\n    id: door\n  - channel: 2\n    id: occupancy\n    label: 人数\n',
      expected: [
        'st-100.yaml:18 sensors[0].kind: required key "kind" is missing (What the channel measures: door, occupancy, socket_state, socket_power, water_temp, heater, water_level, ambient_temp)',
        'st-100.yaml:20 sensors[1].kind: required key "kind" is missing (What the channel measures: door, occupancy, socket_state, socket_power, water_temp, heater, water_level, ambient_temp)',
      ],
    },
    {
      why: 'a misspelt key inside a list item: the line of that key',
      sensors: '  - channel: 1\n    id: door\n    kind: door\n    lable: 门\n',
      expected: ['st-100.yaml:21 sensors[0].lable: unknown key "lable"; did you mean "label"?'],
    },
    {
      why: 'an empty value: the line of its key',
      sensors: '  - { channel: 1, id: door, kind: door }\n',
      extra: 'nameEn:\n',
      expected: ['st-100.yaml:17 nameEn: expected text, got an empty value'],
    },
    {
      why: 'an empty list',
      sensors: '  []\n',
      expected: ['st-100.yaml:18 sensors: must have at least 1 item(s), has 0'],
    },
    {
      why: 'a case-only mistake is a did-you-mean too',
      sensors: '  - { Channel: 1, id: door, kind: door }\n',
      expected: [
        'st-100.yaml:18 sensors[0].channel: required key "channel" is missing (Channel number on the controller (0..255))',
        'st-100.yaml:18 sensors[0].Channel: unknown key "Channel"; did you mean "channel"?',
      ],
    },
  ])('$why', ({ sensors, extra, expected }) => {
    const r = loadText('st-100', STATION(sensors, extra));
    expect(lines(r.issues, r.dir)).toEqual(expected);
  });

  it('a valid inline station loads with the values written', () => {
    const r = loadText('st-100', STATION('  - { channel: 1, id: door, kind: door }\n'));
    expect(r.issues).toEqual([]);
    expect(r.station?.sensors).toEqual([{ channel: 1, id: 'door', kind: 'door' }]);
  });

  it('an anchor-less alias is reported, not thrown', () => {
    const r = loadText('st-100', STATION('  - *missing\n'));
    expect(r.station).toBeUndefined();
    expect(lines(r.issues, r.dir)).toEqual([
      'st-100.yaml:18 (yaml): YAML: Unresolved alias (the anchor must be set before the alias): missing',
    ]);
  });
});

describe('valid files and directories', () => {
  it('loads the valid fixtures with every value as written', () => {
    const r = loadStationsDir(VALID);
    expect(r.issues).toEqual([]);
    expect(r.stations.map((s) => s.id)).toEqual(['st-001', 'st-002']);
    const st2 = r.stations[1];
    expect(st2?.serial).toEqual({
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
      rs485: true,
      frameTimeout: '1.5min',
    });
    expect(st2?.location).toEqual({ lat: 30.06, lon: 119.93 });
    expect(st2?.dispenser.setpointC).toBe(92.5);
  });

  it('a station id used in two files is reported on the second file, and only the first station is kept', () => {
    const r = loadStationPaths([VALID, DUP]);
    expect(r.stations.map((s) => s.id)).toEqual(['st-001', 'st-002']);
    expect(r.stations[0]?.name).toBe('测试驿站');
    expect(r.issues.map((i) => formatIssue(i))).toEqual([
      `${DUP}/st-001.yaml:2 id: station id "st-001" is already used by ${VALID}/st-001.yaml; station ids must be unique`,
    ]);
  });

  it('one broken file does not stop the good ones from loading', () => {
    const r = loadStationPaths([`${VALID}/st-002.yaml`, `${BROKEN}/bad-lat.yaml`]);
    expect(r.stations.map((s) => s.id)).toEqual(['st-002']);
    expect(r.issues.map((i) => i.path)).toEqual(['location.lat', 'location.lon']);
  });

  it('a missing directory and an empty directory are issues, not exceptions', () => {
    const empty = mkdtempSync(join(tmpdir(), 'yz-empty-'));
    expect(loadStationsDir('/nonexistent/stations').issues.map((i) => formatIssue(i))).toEqual([
      '/nonexistent/stations:1 (file): cannot read: no such file or directory',
    ]);
    expect(loadStationsDir(empty).issues.map((i) => formatIssue(i))).toEqual([
      `${empty}:1 (dir): no station files (*.yaml) in this directory`,
    ]);
  });
});

describe('loadStationsOrThrow', () => {
  it('returns the stations when all files are clean', () => {
    expect(loadStationsOrThrow(VALID).map((s) => s.id)).toEqual(['st-001', 'st-002']);
  });

  it('throws a StationConfigError listing every issue as file:line path: message', () => {
    let caught: unknown;
    try {
      loadStationsOrThrow(BROKEN);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StationConfigError);
    const err = caught as StationConfigError;
    const total = BROKEN_CASES.reduce((n, c) => n + c.expected.length, 0);
    expect(err.issues).toHaveLength(total);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${total} problem(s) in the station config (${BROKEN})`);
    for (const c of BROKEN_CASES)
      for (const line of c.expected) expect(err.message).toContain(`${BROKEN}/${line}`);
  });
});

describe('stationTimings', () => {
  it('turns durations into ms and fills in the schema defaults', () => {
    const [st1, st2] = loadStationsOrThrow(VALID);
    expect(st1 && stationTimings(st1)).toEqual({
      frameTimeoutMs: 30_000,
      heatingTimeoutMs: 600_000,
      minRiseC: 2,
    });
    expect(st2 && stationTimings(st2)).toEqual({
      frameTimeoutMs: 90_000,
      heatingTimeoutMs: 900_000,
      minRiseC: 1.5,
    });
    expect([DEFAULT_FRAME_TIMEOUT, DEFAULT_HEATING_TIMEOUT, DEFAULT_MIN_RISE_C]).toEqual(['30s', '10min', 2]);
  });
});
