/**
 * The planners' map tiles from the settings: each preset's URL and datum, a Tianditu key put into
 * its URL, and a refusal naming the variable for what cannot work (Tianditu without a key, xyz
 * without a URL, a template without {z}).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@yizhan/server/config';
import { tileImageSource } from '../../../server/src/planning/map-tiles.js';
import { WEB_CSP, webCsp } from '../../../server/src/routes/web.js';

function tiles(env: Record<string, string>) {
  const r = loadConfig(env);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config.mapTiles;
}
function errors(env: Record<string, string>): string[] {
  const r = loadConfig(env);
  return r.ok ? [] : r.errors;
}

describe('map tile settings', () => {
  it('draws without tiles by default', () => {
    expect(tiles({})).toMatchObject({ kind: 'none', url: '', datum: 'wgs84' });
  });

  it('puts the Tianditu key into its WGS-84 (CGCS2000) web-mercator URL', () => {
    const t = tiles({ YIZHAN_MAP_TILES: 'tianditu', YIZHAN_MAP_TILE_KEY: 'abc123' });
    expect(t.datum).toBe('wgs84');
    expect(t.url).toMatch(/^https:\/\/t\{s\}\.tianditu\.gov\.cn\/vec_w\/.*TILEMATRIX=\{z\}&TILEROW=\{y\}&TILECOL=\{x\}&tk=abc123$/);
    expect(t.subdomains).toBe('01234567');
  });

  it('reads the Tianditu key from YIZHAN_MAP_TILE_KEY_FILE like every secret', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'yz-tk-')), 'key');
    writeFileSync(file, 'from-file\n');
    expect(tiles({ YIZHAN_MAP_TILES: 'tianditu', YIZHAN_MAP_TILE_KEY_FILE: file }).url).toMatch(/tk=from-file$/);
  });

  it('says AMap tiles are GCJ-02', () => {
    expect(tiles({ YIZHAN_MAP_TILES: 'amap' })).toMatchObject({ kind: 'amap', datum: 'gcj02', subdomains: '1234' });
  });

  it('takes an XYZ template with the datum the setting names', () => {
    const t = tiles({ YIZHAN_MAP_TILES: 'xyz', YIZHAN_MAP_TILE_URL: 'https://tiles.example.org/{z}/{x}/{y}.png', YIZHAN_MAP_TILE_DATUM: 'gcj02' });
    expect(t).toMatchObject({ kind: 'xyz', url: 'https://tiles.example.org/{z}/{x}/{y}.png', datum: 'gcj02' });
  });

  it('refuses what cannot draw, naming the variable', () => {
    expect(errors({ YIZHAN_MAP_TILES: 'tianditu' })).toEqual([expect.stringMatching(/^YIZHAN_MAP_TILE_KEY: .*Tianditu needs/)]);
    expect(errors({ YIZHAN_MAP_TILES: 'xyz' })).toEqual([expect.stringMatching(/^YIZHAN_MAP_TILE_URL: .*need a URL template/)]);
    expect(errors({ YIZHAN_MAP_TILES: 'xyz', YIZHAN_MAP_TILE_URL: 'https://x.org/tile.png' })).toEqual([
      expect.stringMatching(/^YIZHAN_MAP_TILE_URL: .*lacks \{z\}/),
    ]);
    expect(errors({ YIZHAN_MAP_TILES: 'bing' }).join('\n')).toMatch(/YIZHAN_MAP_TILES/);
    expect(errors({ YIZHAN_MAP_TILES: 'none', YIZHAN_MAP_TILE_URL: 'https://x.org/{z}/{x}/{y}' })).toEqual([
      expect.stringMatching(/^YIZHAN_MAP_TILE_URL: .*YIZHAN_MAP_TILES is none/),
    ]);
  });
});

describe('the web page may load the tiles', () => {
  it('allows the tile host as an image source, a subdomain placeholder as *', () => {
    expect(tileImageSource('https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}')).toBe('https://*.tianditu.gov.cn');
    expect(tileImageSource('http://127.0.0.1:8123/gcj/{z}/{x}/{y}.png')).toBe('http://127.0.0.1:8123');
    expect(webCsp(tiles({ YIZHAN_MAP_TILES: 'amap' }))).toContain("img-src 'self' data: https://*.is.autonavi.com;");
  });

  it('keeps images to the server itself without tiles', () => {
    expect(webCsp(tiles({}))).toBe(WEB_CSP);
    expect(webCsp(undefined)).toBe(WEB_CSP);
  });
});
