import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATION_SCHEMA_FILE } from '@yizhan/station-config/json-schema';
import { BROKEN, BROKEN_CASES, DUP, REPO, VALID } from './helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command in the repo root, as a person would, without YIZHAN_STATIONS_DIR from this environment. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.YIZHAN_STATIONS_DIR;
  delete base.YIZHAN_TOWNSHIPS_FILE;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'firmware-config/src/cli.ts', ...args]);

const rel = (p: string) => relative(REPO, p);

describe('npm run config:check', () => {
  it('exits 0 on the sample stations with a summary in Chinese and English', async () => {
    const r = await run('npm', ['run', '--silent', 'config:check']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '✔ 47 个驿站配置检查通过（8 个镇街） / 47 station file(s) OK (8 township(s) in firmware-config/townships.yaml)\n',
    );
    expect(r.code).toBe(0);
  });

  it('exits 1 on the broken fixtures and prints every problem as file:line path: message', async () => {
    const r = await cli('check', rel(BROKEN));
    const expected = [...BROKEN_CASES]
      .sort((a, b) => (a.file < b.file ? -1 : 1))
      .flatMap((c) => c.expected.map((l) => `${rel(BROKEN)}/${l}`));
    const total = expected.length;
    expect(r.stdout.split('\n')).toEqual([
      ...expected,
      `✘ ${BROKEN_CASES.length} 个文件共 ${total} 个问题，0 个驿站配置正确 / ${total} problem(s) in ${BROKEN_CASES.length} file(s); 0 station file(s) OK`,
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('takes files and directories, and reports a station id used twice', async () => {
    const r = await cli('check', rel(VALID), `${rel(DUP)}/st-001.yaml`);
    expect(r.stdout.split('\n')).toEqual([
      `${rel(DUP)}/st-001.yaml:2 id: station id "st-001" is already used by ${rel(VALID)}/st-001.yaml; station ids must be unique`,
      '✘ 1 个文件共 1 个问题，2 个驿站配置正确 / 1 problem(s) in 1 file(s); 2 station file(s) OK',
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('checks one good file and exits 0', async () => {
    const r = await cli('check', `${rel(VALID)}/st-002.yaml`);
    expect(r.stdout).toBe('✔ 1 个驿站配置检查通过 / 1 station file(s) OK\n');
    expect(r.code).toBe(0);
  });

  it('without arguments checks $YIZHAN_STATIONS_DIR when it is set', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'firmware-config/src/cli.ts', 'check'], {
      YIZHAN_STATIONS_DIR: VALID,
    });
    expect(r.stdout).toBe('✔ 2 个驿站配置检查通过 / 2 station file(s) OK\n');
    expect(r.code).toBe(0);
  });

  it('checks the townships file beside the folder, and every station township against it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'yz-tw-'));
    cpSync(VALID, join(root, 'stations'), { recursive: true });
    const townships = (rows: string) => writeFileSync(join(root, 'townships.yaml'), `townships:\n${rows}`);
    townships(
      '  - { code: xintang, name: 新塘镇, nameEn: Xintang }\n  - { code: Bad Code, name: 白沙镇, nameEn: Baisha }\n',
    );
    const bad = await cli('check', join(root, 'stations'));
    expect(bad.stdout.split('\n')[0]).toBe(
      `${root}/townships.yaml:3 townships[1].code: "Bad Code" is not valid: a township code is 1..32 lower-case ASCII letters, digits or "-", starting with a letter (e.g. "chengguan")`,
    );
    expect(bad.code).toBe(1);

    townships(
      '  - { code: xintang, name: 新塘镇, nameEn: Xintang }\n  - { code: baisha, name: 白沙镇, nameEn: Baisha }\n',
    );
    const r = await cli('check', join(root, 'stations'));
    expect(r.stdout.split('\n')).toEqual([
      `${root}/stations/st-001.yaml:4 township: township "城关镇" is not defined in townships.yaml; defined: 新塘镇, 白沙镇 (add it to townships.yaml if it is new)`,
      '✘ 1 个文件共 1 个问题，1 个驿站配置正确 / 1 problem(s) in 1 file(s); 1 station file(s) OK',
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('exits 1 on a path that does not exist, and 2 with usage on an unknown command', async () => {
    const missing = await cli('check', 'no/such/dir');
    expect(missing.stdout.split('\n')[0]).toBe(
      'no/such/dir:1 (file): cannot read: no such file or directory',
    );
    expect(missing.code).toBe(1);
    const bad = await cli('chekc');
    expect(bad.stderr).toMatch(/^usage: /);
    expect(bad.code).toBe(2);
  });
});

describe('npm run config:schema', () => {
  it('writes the JSON Schema that is committed as firmware-config/station.schema.json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'yz-schema-')), 'station.schema.json');
    const r = await cli('schema', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote');
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(STATION_SCHEMA_FILE, 'utf8'));
  });
});
