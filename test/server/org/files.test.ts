/**
 * The server and the accounts CLI read the same station files and township definitions, so a
 * grant the CLI accepts names a township the server knows: with townships.yaml its codes
 * ("chengguan"), without it the Chinese names.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { loadOrgFiles } from '../../../server/src/org/files.js';
import { openCliStore } from '@yizhan/server/cli';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yz-org-files-'));
  temps.push(d);
  return d;
};

describe('loadOrgFiles and the CLI', () => {
  it('with the sample townships.yaml: codes for the CLI as for the server', async () => {
    const files = loadOrgFiles({});
    expect(files.ok && files.townships?.map((t) => t.code)).toContain('chengguan');
    const cli = await openCliStore({ YIZHAN_DATA_DIR: temp() });
    try {
      expect(cli.ctx.township('chengguan')).toBeDefined();
      expect(cli.ctx.township('城关镇')).toBeUndefined();
    } finally {
      await cli.store.close();
    }
  });

  it('without townships.yaml beside the stations: the Chinese names are the codes', async () => {
    const stations = join(temp(), 'stations');
    cpSync(DEFAULT_STATIONS_DIR, stations, { recursive: true });
    const files = loadOrgFiles({ stationsDir: stations });
    expect(files).toMatchObject({ ok: true, stationsDir: stations });
    expect(files.ok && files.townships).toBeUndefined();
    const cli = await openCliStore({ YIZHAN_DATA_DIR: temp(), YIZHAN_STATIONS_DIR: stations });
    try {
      expect(cli.ctx.township('城关镇')).toBeDefined();
    } finally {
      await cli.store.close();
    }
  });

  it('a broken townships file is a problem for both, naming the file', () => {
    const r = loadOrgFiles({ townshipsFile: join(temp(), 'missing.yaml') });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/missing\.yaml is invalid:\n.*no such file/);
  });
});
