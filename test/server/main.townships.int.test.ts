/**
 * server/src/main.ts and the townships file: with townships.yaml beside the stations folder, a
 * station whose township it does not define stops the start, naming the station file, the
 * township and the likely one; a broken townships file, or a missing one named by
 * YIZHAN_TOWNSHIPS_FILE, stops it too. Nothing else is needed: it refuses before connecting.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { DEFAULT_TOWNSHIPS_FILE } from '@yizhan/station-config/townships';
import { spawnServerMain } from './helpers.js';

const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A copy of the sample stations and townships.yaml in a temp folder; st-002 gets `township`. */
function county(township?: string): { root: string; stations: string } {
  const root = temp('yz-main-tw-');
  const stations = join(root, 'stations');
  cpSync(DEFAULT_STATIONS_DIR, stations, { recursive: true });
  cpSync(DEFAULT_TOWNSHIPS_FILE, join(root, 'townships.yaml'));
  if (township !== undefined) {
    const f = join(stations, 'st-002.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/^township: .*$/m, `township: ${township}`));
  }
  return { root, stations };
}

async function start(env: Record<string, string>) {
  const p = spawnServerMain({
    YIZHAN_HTTP_PORT: '0',
    YIZHAN_DATA_DIR: temp('yz-main-d-'),
    ...env,
  });
  return p.done;
}

describe('server main refuses to start on townships it cannot place', () => {
  it('a station township that townships.yaml does not define: the file, the township, did-you-mean', async () => {
    const c = county('城官镇');
    const r = await start({ YIZHAN_STATIONS_DIR: c.stations });
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `${join(c.stations, 'st-002.yaml')}:8 township: township "城官镇" is not defined in townships.yaml; did you mean "城关镇"?`,
    );
  });

  it('a broken townships file, and a missing one named by YIZHAN_TOWNSHIPS_FILE', async () => {
    const c = county();
    writeFileSync(
      join(c.root, 'townships.yaml'),
      'townships:\n  - { code: county, name: 城关镇, nameEn: Chengguan }\n',
    );
    const bad = await start({ YIZHAN_STATIONS_DIR: c.stations });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${join(c.root, 'townships.yaml')}:2 townships[0].code: "county" is reserved`);

    const missing = await start({
      YIZHAN_STATIONS_DIR: c.stations,
      YIZHAN_TOWNSHIPS_FILE: join(c.root, 'nope.yaml'),
    });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file (named by YIZHAN_TOWNSHIPS_FILE)');
  });
});
