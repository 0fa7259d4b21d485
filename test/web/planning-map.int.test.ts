/**
 * The planners' map in Debian chromium against a real server: the same two stations drawn on a
 * WGS-84 tile set and on a GCJ-02 tile set (local generated tiles with a red cross where each
 * station's street crossing is, in that datum), and on no tiles at all. On both tile sets each
 * station's dot must sit on its cross (pixels of the screenshot); on GCJ-02 tiles the unconverted
 * point must be off the cross, so the check can tell. YIZHAN_SCREENSHOTS=<folder> keeps the images.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import type { MapTiles } from '@yizhan/server/api-types';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { decodePng, type Rgb } from '../helpers/png.js';
import { stationFixture } from '../helpers/station.js';
import { startServer, startStack, type Stack, type StartedServer } from '../server/helpers.js';
import { DESKTOP, addPerson, adminHeaders, ensureWebBuilt, logIn, screenshotDir, shoot } from './helpers.js';
import { drawnAt, startTileServer, worldPixel, type Datum, type TileServer } from './planning-tiles.js';

setLogger({ error: () => {}, warn: () => {} });

/** Two stations about 1 km apart in a Chinese city: GCJ-02 moves them by some 500 m. */
const POINTS = [
  { id: 'st-001', name: '测试001号驿站', lat: 30.2741, lon: 120.1551 },
  { id: 'st-002', name: '测试002号驿站', lat: 30.2805, lon: 120.165 },
];
const stations = POINTS.map((p) => ({ ...stationFixture(p.id, { township: '城关镇' }), location: { lat: p.lat, lon: p.lon } }));
const townships = [{ code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' }];

let tiles: TileServer;
let stack: Stack | undefined;
const extra: StartedServer[] = [];
let chromium: Chromium | undefined;
let shots: string;

const tileSet = (datum: Datum): MapTiles => ({
  kind: 'xyz',
  url: `${tiles.url}/${datum}/{z}/{x}/{y}.png`,
  datum,
  attribution: `test ${datum}`,
  subdomains: '',
  maxZoom: 18,
});

/** A planner logged in on `base`, on the coverage page with both station dots drawn. */
async function openMap(app: StartedServer['app'], base: string, login: string): Promise<Page> {
  const admin = await adminHeaders(app);
  const who = await addPerson(app, admin, login, '规划员', [{ role: 'planner', scope: 'county' }]);
  const page = await chromium!.ctx.newPage();
  await page.setViewportSize(DESKTOP);
  await logIn(page, base, who.login, who.password);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/app/planning/coverage`);
  try {
    for (const p of POINTS) await page.waitForSelector(`path[data-station="${p.id}"]`, { timeout: 15_000 });
  } catch (e) {
    await page.screenshot({ path: join(shots, `planning-map-${login}-failed.png`), fullPage: true });
    throw new Error(`${(e as Error).message}\npage: ${await page.innerText('body')}\nerrors: ${errors.join('\n')}`);
  }
  return page;
}

async function tilesLoaded(page: Page): Promise<number> {
  await page.waitForFunction(
    () =>
      document.querySelectorAll('img.leaflet-tile-loaded').length >= 4 &&
      !document.querySelector('img.leaflet-tile:not(.leaflet-tile-loaded)'),
  );
  const src = await page.getAttribute('img.leaflet-tile-loaded', 'src');
  return Number(/\/(?:wgs84|gcj02)\/(\d+)\//.exec(src ?? '')?.[1]);
}

/** Centre of a station's dot, in pixels of the map element. */
async function dotAt(page: Page, id: string): Promise<{ x: number; y: number }> {
  return page.$eval(`path[data-station="${id}"]`, (el) => {
    const map = el.closest('.map-canvas')!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2 - map.x, y: r.y + r.height / 2 - map.y };
  });
}

/** The red pixels (the tiles' crosses, under whatever overlay) within `half` px of a point. */
function redNear(img: Rgb, at: { x: number; y: number }, half: number): { n: number; x: number; y: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  const s = img.width / DESKTOP.width > 1.5 ? 2 : 1;
  for (let y = Math.max(0, Math.round((at.y - half) * s)); y < Math.min(img.height, (at.y + half) * s); y++)
    for (let x = Math.max(0, Math.round((at.x - half) * s)); x < Math.min(img.width, (at.x + half) * s); x++) {
      const i = (y * img.width + x) * img.channels;
      const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
      if (r > 120 && r - g > 80 && r - b > 80) {
        n++;
        sx += x / s;
        sy += y / s;
      }
    }
  return { n, x: n ? sx / n : NaN, y: n ? sy / n : NaN };
}

beforeAll(async () => {
  ensureWebBuilt();
  tiles = await startTileServer(POINTS);
  stack = await startStack({ stations, townships, mapTiles: tileSet('wgs84') });
  const more = { stations, townships, mqttUrl: stack.broker.url, influxUrl: stack.influx.url };
  extra.push(await startServer({ ...more, mapTiles: tileSet('gcj02') }));
  extra.push(await startServer(more));
  chromium = await startChromium();
  shots = screenshotDir();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  for (const s of extra) await s.close();
  await stack?.close();
  await tiles?.close();
});

describe('planning map', () => {
  for (const datum of ['wgs84', 'gcj02'] as const) {
    it(`puts each station on its street on ${datum} tiles`, async () => {
      const server = datum === 'wgs84' ? stack!.server : extra[0]!;
      const page = await openMap(server.app, server.url, `planner-${datum}`);
      const z = await tilesLoaded(page);
      expect(z).toBeGreaterThanOrEqual(13);
      const png = await page.locator('.map-canvas').screenshot({ path: join(shots, `planning-map-${datum}.png`) });
      const img = decodePng(png);
      for (const p of POINTS) {
        const dot = await dotAt(page, p.id);
        const red = redNear(img, dot, 30);
        // The cross's arms stick out of the dot on all four sides; their centre is the street crossing.
        expect(red.n, `${p.id}: red cross pixels around the dot`).toBeGreaterThan(40);
        expect(Math.hypot(red.x - dot.x, red.y - dot.y), `${p.id}: dot vs cross`).toBeLessThan(3);
        expect(await page.textContent('.leaflet-tooltip-pane')).toContain(p.name);
        if (datum === 'gcj02') {
          // Where the dot would be without the conversion: hundreds of metres off, and no cross there.
          const g = worldPixel(drawnAt(p, 'gcj02'), z);
          const w = worldPixel(p, z);
          const raw = { x: dot.x - (g.x - w.x), y: dot.y - (g.y - w.y) };
          expect(Math.hypot(g.x - w.x, g.y - w.y)).toBeGreaterThan(50);
          expect(redNear(img, raw, 12).n, `${p.id}: no cross at the unconverted point`).toBe(0);
        }
      }
      expect(tiles.served[datum]).toBeGreaterThan(0);
      await page.close();
    });
  }

  it('draws the stations, their names and a metric scale bar without tiles', async () => {
    const server = extra[1]!;
    const page = await openMap(server.app, server.url, 'planner-plain');
    expect(await page.$$('img.leaflet-tile')).toHaveLength(0);
    expect(await page.isVisible('[data-test=no-tiles]')).toBe(true);
    expect(await page.$$('path.yz-station')).toHaveLength(2);
    const scale = (await page.textContent('.leaflet-control-scale-line'))?.trim() ?? '';
    expect(scale).toMatch(/^\d+ (m|km)$/);
    for (const p of POINTS) expect(await page.textContent('.leaflet-tooltip-pane')).toContain(p.name);
    await page.screenshot({ path: join(shots, 'planning-map-plain.png'), fullPage: true });
    // Phone and desktop: nothing makes the page scroll sideways, with or without the analytics answers.
    await shoot(page, shots, 'planning-coverage');
    await page.goto(`${server.url}/app/planning`);
    await page.waitForSelector('[data-test=planning-form]');
    await shoot(page, shots, 'planning-analytics');
    await page.close();
  });
});
