import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadStationFile } from '@yizhan/station-config/load';
import {
  DEFAULT_TOWNSHIPS_FILE,
  loadTownshipsFile,
  loadTownshipsFor,
  townshipsFileFor,
} from '@yizhan/station-config/townships';
import { VALID } from './helpers.js';

function townshipsText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'yz-tw-'));
  const file = join(dir, 'townships.yaml');
  writeFileSync(file, text);
  return { ...loadTownshipsFile(file), dir };
}

const lines = (r: { issues: Parameters<typeof formatIssue>[0][]; dir: string }) =>
  r.issues.map((i) => formatIssue(i, { relativeTo: r.dir }));

describe('townships.yaml: every problem with its line and what to write instead', () => {
  it.each([
    {
      why: 'a code that is not lower-case ASCII',
      text: 'townships:\n  - { code: Chengguan, name: 城关镇, nameEn: Chengguan }\n',
      expected: [
        'townships.yaml:2 townships[0].code: "Chengguan" is not valid: a township code is 1..32 lower-case ASCII letters, digits or "-", starting with a letter (e.g. "chengguan")',
      ],
    },
    {
      why: 'a code or name used twice, and the reserved code county',
      text:
        'townships:\n  - { code: chengguan, name: 城关镇, nameEn: Chengguan }\n' +
        '  - { code: chengguan, name: 城关镇, nameEn: Other }\n  - { code: county, name: 全县, nameEn: County }\n',
      expected: [
        'townships.yaml:3 townships[1].code: code "chengguan" is already used by townships[0]; each township\'s code must be unique',
        'townships.yaml:3 townships[1].name: name "城关镇" is already used by townships[0]; each township\'s name must be unique',
        'townships.yaml:4 townships[2].code: "county" is reserved (role grants use it for the whole county); choose another code',
      ],
    },
    {
      why: 'a misspelt key with did-you-mean, and the key it leaves missing',
      text: 'townships:\n  - code: xintang\n    name: 新塘镇\n    nmeEn: Xintang\n',
      expected: [
        'townships.yaml:2 townships[0].nameEn: required key "nameEn" is missing (English name, e.g. "Chengguan")',
        'townships.yaml:4 townships[0].nmeEn: unknown key "nmeEn"; did you mean "nameEn"?',
      ],
    },
    {
      why: 'an empty list',
      text: 'townships: []\n',
      expected: ['townships.yaml:1 townships: must have at least 1 item(s), has 0'],
    },
  ])('$why', ({ text, expected }) => {
    const r = townshipsText(text);
    expect(lines(r)).toEqual(expected);
    expect(r.townships).toBeUndefined();
  });

  it('the sample county file loads: 8 townships with ASCII codes', () => {
    const r = loadTownshipsFile(DEFAULT_TOWNSHIPS_FILE);
    expect(r.issues).toEqual([]);
    expect(r.townships?.map((t) => t.code)).toEqual([
      'chengguan',
      'xintang',
      'baisha',
      'shimen',
      'qingshan',
      'xikou',
      'taoyuan',
      'changle',
    ]);
    expect(townshipsFileFor(join(DEFAULT_TOWNSHIPS_FILE, '..', 'stations'))).toBe(DEFAULT_TOWNSHIPS_FILE);
  });

  it('absent beside the folder is fine (names only); absent when named explicitly is a problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-tw-'));
    expect(loadTownshipsFor(join(dir, 'stations'))).toEqual({
      file: join(dir, 'townships.yaml'),
      issues: [],
    });
    const named = loadTownshipsFor(join(dir, 'stations'), join(dir, 'mine.yaml'));
    expect(named.issues.map((i) => i.message)).toEqual(['no such file (named by YIZHAN_TOWNSHIPS_FILE)']);
  });
});

describe('a station township that townships.yaml does not define', () => {
  const defs = [
    { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
    { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
  ];
  const station = (township: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-tw-'));
    const text = readFileSync(join(VALID, 'st-001.yaml'), 'utf8').replace(
      /^township: .*$/m,
      `township: ${township}`,
    );
    writeFileSync(join(dir, 'st-001.yaml'), text);
    const r = loadStationFile(join(dir, 'st-001.yaml'), { townships: defs });
    return { ...r, dir };
  };

  it.each([
    { township: '城关镇', expected: [] },
    {
      township: '城官镇',
      expected: [
        'st-001.yaml:4 township: township "城官镇" is not defined in townships.yaml; did you mean "城关镇"?',
      ],
    },
    {
      township: 'xintang',
      expected: [
        'st-001.yaml:4 township: township "xintang" is not defined in townships.yaml; write its Chinese name "新塘镇"',
      ],
    },
    {
      township: '月亮湾',
      expected: [
        'st-001.yaml:4 township: township "月亮湾" is not defined in townships.yaml; defined: 城关镇, 新塘镇 (add it to townships.yaml if it is new)',
      ],
    },
  ])('township: $township', ({ township, expected }) => {
    const r = station(township);
    expect(lines(r)).toEqual(expected);
    expect(r.station === undefined).toBe(expected.length > 0);
  });
});
