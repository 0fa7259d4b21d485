/**
 * alert-rules.yaml: every problem with its line and what to write instead; the sample file loads
 * against the sample stations and townships; its JSON schema is the committed one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '@yizhan/station-config/load';
import { loadStationsDir } from '@yizhan/station-config/load';
import {
  DEFAULT_ALERT_RULES_FILE,
  loadAlertRulesFile,
  loadAlertRulesFor,
} from '@yizhan/station-config/alert-rules-load';
import { resolveThresholds } from '@yizhan/station-config/alert-rules';
import { CONFIG_README, withAlertRulesTable } from '@yizhan/station-config/alert-rules-docs';
import { ALERT_RULES_SCHEMA_FILE, alertRulesJsonSchemaText } from '@yizhan/station-config/json-schema';
import { DEFAULT_TOWNSHIPS_FILE, loadTownshipsFile } from '@yizhan/station-config/townships';

const names = { townshipCodes: ['chengguan', 'xintang'], stationIds: ['st-001', 'st-002', 'st-017'] };

function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'yz-ar-'));
  const file = join(dir, 'alert-rules.yaml');
  writeFileSync(file, text);
  const r = loadAlertRulesFile(file, names);
  return { ...r, lines: r.issues.map((i) => formatIssue(i, { relativeTo: dir })) };
}

describe('alert-rules.yaml: every problem with file:line and what to write instead', () => {
  it.each([
    {
      why: 'a misspelt rule name',
      text: 'defaults:\n  water_lo: { below: 20 }\n',
      expected: ['alert-rules.yaml:2 defaults.water_lo: unknown key "water_lo"; did you mean "water_low"?'],
    },
    {
      why: 'a misspelt setting of a rule',
      text: 'townships:\n  chengguan:\n    door_stuck_open:\n      holdOutsideHour: 5min\n',
      expected: [
        'alert-rules.yaml:4 townships.chengguan.door_stuck_open.holdOutsideHour: unknown key "holdOutsideHour"; did you mean "holdOutsideHours"?',
      ],
    },
    {
      why: 'a duration without its unit',
      text: 'stations:\n  st-001:\n    station_dark: { silentFor: 10 }\n',
      expected: [
        'alert-rules.yaml:3 stations.st-001.station_dark.silentFor: "10" is not a duration; write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
      ],
    },
    {
      why: 'an unknown township code',
      text: 'townships:\n  chenguan:\n    water_low: { below: 10 }\n',
      expected: [
        'alert-rules.yaml:2 townships.chenguan: unknown township code (townships.yaml) "chenguan"; did you mean "chengguan"?',
      ],
    },
    {
      why: 'an unknown station id',
      text: 'water: 1\nstations:\n  st-071:\n    water_low: { below: 10 }\n',
      expected: [
        'alert-rules.yaml:1 water: unknown key "water"; allowed keys here: defaults, townships, stations, flapping, outage',
      ],
    },
    {
      why: 'an unknown station id (alone)',
      text: 'stations:\n  st-071:\n    water_low: { below: 10 }\n',
      expected: [
        'alert-rules.yaml:2 stations.st-071: unknown station id (station files) "st-071"; did you mean "st-001"?',
      ],
    },
    {
      why: 'station_dark.for shorter than outage.within',
      text: 'outage: { within: 2min }\nstations:\n  st-002:\n    station_dark: { for: 30s }\n',
      expected: [
        'alert-rules.yaml:1 outage.within: station_dark.for "1min" is shorter than outage.within "2min": a dark station must wait the outage window before it fires, so the incident knows how many stations went dark',
        'alert-rules.yaml:4 stations.st-002.station_dark.for: station_dark.for "30s" is shorter than outage.within "2min": a dark station must wait the outage window before it fires, so the incident knows how many stations went dark',
      ],
    },
    {
      why: 'bad YAML',
      text: 'defaults:\n  water_low: { below: 20\n',
      expected: [expect.stringMatching(/^alert-rules\.yaml:\d+ \(yaml\): /)],
    },
  ])('$why', ({ text, expected }) => {
    const r = load(text);
    expect(r.rules).toBeUndefined();
    expect(r.lines).toEqual(expected);
  });

  it('a good file loads and resolves station over township over defaults, field by field', () => {
    const r = load(
      'defaults:\n  water_low: { below: 20, for: 3min }\ntownships:\n  chengguan:\n    water_low: { below: 10 }\n' +
        'stations:\n  st-001:\n    water_low: { below: 5, severity: critical }\n',
    );
    expect(r.issues).toEqual([]);
    const rules = r.rules ?? {};
    const st1 = resolveThresholds(rules, 'st-001', 'chengguan').water_low;
    expect(st1).toMatchObject({ below: 5, severity: 'critical', forMs: 180_000, clearAbove: 25 });
    expect(resolveThresholds(rules, 'st-002', 'chengguan').water_low).toMatchObject({
      below: 10,
      severity: 'warning',
    });
    expect(resolveThresholds(rules, 'st-017', 'xintang').water_low).toMatchObject({
      below: 20,
      forMs: 180_000,
    });
  });
});

describe('the sample alert-rules.yaml', () => {
  it('loads against the sample stations and townships, and its JSON schema is committed', () => {
    const townshipCodes = (loadTownshipsFile(DEFAULT_TOWNSHIPS_FILE).townships ?? []).map((t) => t.code);
    const stationIds = loadStationsDir().stations.map((s) => s.id);
    const r = loadAlertRulesFile(DEFAULT_ALERT_RULES_FILE, { townshipCodes, stationIds });
    expect(r.issues).toEqual([]);
    expect(resolveThresholds(r.rules ?? {}, 'st-003', 'chengguan').station_dark.silentForMs).toBe(600_000);
    expect(readFileSync(ALERT_RULES_SCHEMA_FILE, 'utf8')).toBe(alertRulesJsonSchemaText());
  });

  it('an absent file beside the stations means the defaults; an absent named file is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-ar-'));
    expect(loadAlertRulesFor(join(dir, 'stations'), undefined)).toEqual({
      file: undefined,
      rules: {},
      issues: [],
    });
    const named = loadAlertRulesFor(join(dir, 'stations'), join(dir, 'nope.yaml'));
    expect(named.rules).toBeUndefined();
    expect(named.issues[0]?.message).toContain('YIZHAN_ALERT_RULES_FILE');
  });
});

describe('firmware-config/README.md', () => {
  it('lists every rule setting with its default, as the schema has them', () => {
    const readme = readFileSync(CONFIG_README, 'utf8');
    expect(readme).toBe(withAlertRulesTable(readme));
    expect(readme).toContain('| `station_dark.silentFor` | `3min` |');
  });
});
