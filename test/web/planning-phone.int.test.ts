/**
 * The app on a phone and the planning pages for the right people, in Debian chromium against a real
 * server: at 390×844 and 360×740 the menu of every page is one row (菜单 and the page's name) that
 * opens the entries as a list, and the planning report has no sideways scrolling; the coverage
 * map's first view holds every one of the 47 sample stations and is not much wider than they are
 * (opened on the phone, and after a desktop window shrinks to a phone); a crew member has no 规划 in
 * the menu and, typing its address, gets 无权限 without any planning request.
 * YIZHAN_SCREENSHOTS=<folder> keeps the screenshots of every page at phone and desktop size.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { loadTownshipsFor } from '@yizhan/station-config/townships';
import { startStack, type Stack } from '../server/helpers.js';
import {
  DESKTOP,
  FULL_MENU,
  addPerson,
  adminHeaders,
  ensureWebBuilt,
  keepScreenshots,
  logIn,
  screenshotDir,
  shoot,
  type Person,
} from './helpers.js';

setLogger({ error: () => {}, warn: () => {} });

/** The 47 sample stations of the county (firmware-config/stations), as `npm start` shows them. */
const stations = loadStationsOrThrow();
const { townships } = loadTownshipsFor(DEFAULT_STATIONS_DIR);
const POINTS = stations.map((s) => ({ id: s.id, lat: s.location.lat, lon: s.location.lon }));
const PHONES = [
  { width: 390, height: 844 },
  { width: 360, height: 740 },
];
/** One row: the 48 px menu button and its border. */
const MENU_MAX_PX = 56;

let stack: Stack | undefined;
let chromium: Chromium | undefined;
let shots: string;
let admin: Person;
let crew: Person;

beforeAll(async () => {
  ensureWebBuilt();
  stack = await startStack({ stations, townships: townships! });
  const h = await adminHeaders(stack.server.app);
  admin = await addPerson(stack.server.app, h, 'county.admin', '县管理员', [
    { role: 'county_admin', scope: 'county' },
  ]);
  crew = await addPerson(stack.server.app, h, 'li.crew', '李师傅', [
    { role: 'crew_member', scope: 'chengguan' },
  ]);
  chromium = await startChromium();
  shots = screenshotDir();
  await (await pageAt(DESKTOP, admin)).close();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

/**
 * A page at `size` showing `path` (opened directly, as a link or a bookmark would); the county
 * admin's session (logged in once: logins are rate limited) unless `who`, who logs in at /app/.
 */
async function pageAt(size: { width: number; height: number }, who?: Person, path = '/app/'): Promise<Page> {
  const page = await chromium!.ctx.newPage();
  page.setDefaultTimeout(15_000);
  await page.setViewportSize(size);
  if (who) {
    await chromium!.ctx.clearCookies();
    await logIn(page, stack!.server.url, who.login, who.password);
  } else await page.goto(`${stack!.server.url}${path}`);
  await page.waitForSelector('nav.tabs a', { state: 'attached' });
  return page;
}

const box = async (page: Page, selector: string) => {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`${selector}: not shown`);
  return b;
};
const shown = (page: Page, selector: string) =>
  page.$$eval(selector, (els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent?.trim()),
  );

/** Two frames: the map's resize (and its fit) runs a frame after the viewport's. */
const frames = (page: Page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** The map's box and each station dot's centre, in page pixels. */
async function mapView(page: Page) {
  for (const p of POINTS) await page.waitForSelector(`path[data-station="${p.id}"]`, { state: 'attached' });
  await frames(page);
  return page.evaluate(
    (ids) => {
      const m = document.querySelector('.map-canvas')!.getBoundingClientRect();
      const dots = ids.map((id) => {
        const r = document.querySelector(`path[data-station="${id}"]`)!.getBoundingClientRect();
        return { id, x: r.x + r.width / 2, y: r.y + r.height / 2 };
      });
      return { map: { x: m.x, y: m.y, width: m.width, height: m.height }, dots };
    },
    POINTS.map((p) => p.id),
  );
}

/**
 * Every station inside the map, and the stations spanning at least 40 % of its width or height (one
 * more whole zoom level would not hold them).
 */
function expectFitted(v: Awaited<ReturnType<typeof mapView>>, what: string) {
  for (const d of v.dots) {
    expect(d.x, `${what}: ${d.id} inside the map (x)`).toBeGreaterThan(v.map.x);
    expect(d.x, `${what}: ${d.id} inside the map (x)`).toBeLessThan(v.map.x + v.map.width);
    expect(d.y, `${what}: ${d.id} inside the map (y)`).toBeGreaterThan(v.map.y);
    expect(d.y, `${what}: ${d.id} inside the map (y)`).toBeLessThan(v.map.y + v.map.height);
  }
  const xs = v.dots.map((d) => d.x);
  const ys = v.dots.map((d) => d.y);
  const spread = Math.max(
    (Math.max(...xs) - Math.min(...xs)) / v.map.width,
    (Math.max(...ys) - Math.min(...ys)) / v.map.height,
  );
  expect(spread, `${what}: share of the map the stations span`).toBeGreaterThan(0.4);
}

describe('the app on a phone', () => {
  const PAGES = [
    ['overview', '/app/', '[data-test=township-card]'],
    ['alerts', '/app/alerts', 'h1'],
    ['work', '/app/work', 'h1'],
    ['reports', '/app/reports', 'h1'],
    ['planning', '/app/planning', '[data-test=planning-form]'],
    ['planning-coverage', '/app/planning/coverage', 'path[data-station]'],
    ['rider-reports', '/app/rider-reports', '[data-test=report-filters]'],
    ['rider-report-figures', '/app/rider-reports/figures', '[data-test=figures-form]'],
    ['notices', '/app/notices', '[data-test=notices-current]'],
    ['users', '/app/users', 'h1'],
    ['audit', '/app/audit', 'h1'],
    ['account', '/app/account', 'h1'],
  ] as const;

  it('keeps the menu of every page in one row at 390×844 and 360×740, opening as a list', async () => {
    // Each page is loaded once, at one phone size (the two take turns), and measured at both.
    const page = await pageAt(PHONES[0]!);
    for (const [i, [name, path, ready]] of PAGES.entries()) {
      await page.setViewportSize(PHONES[i % 2]!);
      await page.goto(`${stack!.server.url}${path}`);
      await page.waitForSelector(ready);
      for (const size of PHONES) {
        await page.setViewportSize(size);
        const at = `${name} at ${size.width}`;
        const nav = await box(page, 'nav.tabs');
        expect(nav.height, `${at}: menu height`).toBeLessThanOrEqual(MENU_MAX_PX);
        expect((await box(page, 'header.bar')).height, `${at}: top bar height`).toBeLessThanOrEqual(60);
        expect(await shown(page, 'nav.tabs a'), `${at}: entries hidden until 菜单`).toEqual([]);
      }
      await shoot(page, shots, `phone-${name}`);
    }
    for (const size of PHONES) {
      await page.setViewportSize(size);
      if (!page.url().endsWith('/app/account')) await page.goto(`${stack!.server.url}/app/account`);
      await page.click('[data-test=menu]');
      if (keepScreenshots())
        await page.screenshot({ path: join(shots, `phone-menu-open-${size.width}.png`) });
      const entries = await shown(page, 'nav.tabs a');
      expect(entries, `at ${size.width}`).toEqual(FULL_MENU);
      for (const a of await page.locator('nav.tabs a').all()) {
        const b = (await a.boundingBox())!;
        expect(b.x + b.width, `at ${size.width}`).toBeLessThanOrEqual(size.width);
        expect(b.height, `at ${size.width}`).toBeGreaterThanOrEqual(44);
      }
      // Esc and a tap outside close it too.
      await page.keyboard.press('Escape');
      expect(await shown(page, 'nav.tabs a')).toEqual([]);
      await page.click('[data-test=menu]');
      await page.click('header.bar .brand');
      expect(await shown(page, 'nav.tabs a')).toEqual([]);
      await page.click('[data-test=menu]');
      await page.click('[data-test=nav-planning]');
      await page.waitForURL(/\/app\/planning$/);
      expect(await shown(page, 'nav.tabs a')).toEqual([]);
      expect(await page.textContent('[data-test=menu-current]')).toBe('规划');
    }
    await page.close();
  }, 90_000);

  it('lays the planning report (for paper, no menu) out on a phone without sideways scrolling', async () => {
    const page = await chromium!.ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.setViewportSize(PHONES[1]!);
    await page.goto(`${stack!.server.url}/app/planning/report`);
    await page.waitForSelector('path[data-station]', { state: 'attached' });
    expect(await page.$('nav.tabs')).toBeNull();
    await shoot(page, shots, 'phone-planning-report');
    await page.close();
  });

  it('shows the menu entries in one row on a desktop', async () => {
    const page = await pageAt(DESKTOP);
    expect((await box(page, 'nav.tabs')).height).toBeLessThanOrEqual(MENU_MAX_PX);
    expect(await page.isVisible('[data-test=menu]')).toBe(false);
    expect(await shown(page, 'nav.tabs a')).toHaveLength(FULL_MENU.length);
    await page.close();
  });

  for (const size of [...PHONES, DESKTOP])
    it(`fits the coverage map to the stations on first draw at ${size.width}×${size.height}`, async () => {
      const page = await pageAt(size, undefined, '/app/planning/coverage');
      expectFitted(await mapView(page), `opened at ${size.width}`);
      // The names shown on the map never cover one another; the rest show on a tap.
      const boxes = await page.$$eval('.leaflet-tooltip.yz-label', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { name: e.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
        }),
      );
      expect(boxes.length).toBeGreaterThan(3);
      const overlaps = boxes.flatMap((a, i) =>
        boxes
          .slice(i + 1)
          .filter((b) => a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1)
          .map((b) => [a, b]),
      );
      expect(overlaps).toEqual([]);
      await page.close();
    });

  it('fits the map again when a desktop window shrinks to a phone, until the reader moves it', async () => {
    const page = await pageAt(DESKTOP, undefined, '/app/planning/coverage');
    await mapView(page);
    await page.setViewportSize(PHONES[0]!);
    expectFitted(await mapView(page), 'shrunk to 390');
    // The scale bar tells the zoom: the reader's zoom stays through the next resize.
    const scale = () => page.textContent('.leaflet-control-scale-line');
    const fitted = await scale();
    await page.click('.leaflet-control-zoom-in');
    await page.waitForFunction(
      (s) => document.querySelector('.leaflet-control-scale-line')?.textContent !== s,
      fitted,
    );
    const zoomed = await scale();
    await page.setViewportSize(PHONES[1]!);
    await frames(page);
    expect(await scale()).toBe(zoomed);
    await page.close();
  });

  it('gives a crew member no 规划 in the menu, and 无权限 at its addresses without asking for planning data', async () => {
    const page = await pageAt(PHONES[0]!, crew);
    await page.waitForURL(/\/app\/crew$/);
    await page.click('[data-test=menu]');
    const entries = await shown(page, 'nav.tabs a');
    expect(entries).toEqual(['我的工单', '总览', '告警', '全部工单', '报表', '我的账号']);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/planning')) asked.push(r.url());
    });
    for (const path of ['/app/planning', '/app/planning/coverage', '/app/planning/report']) {
      await page.goto(`${stack!.server.url}${path}`);
      await page.waitForSelector('[data-test=forbidden]');
      expect(await page.textContent('h1'), path).toBe('无权限');
      const text = await page.textContent('[data-test=forbidden]');
      expect(text).toContain('查看规划分析与覆盖');
      expect(text).toContain('planning:read');
      // The menu stays, so the way back is there, on the report page (for paper) too.
      expect((await box(page, 'nav.tabs')).height).toBeLessThanOrEqual(MENU_MAX_PX);
    }
    await shoot(page, shots, 'phone-forbidden');
    await page.setViewportSize(PHONES[0]!);
    expect(asked).toEqual([]);
    await page.click('[data-test=forbidden-home]');
    await page.waitForURL(/\/app\/crew$/);
    await page.close();
  });
});
