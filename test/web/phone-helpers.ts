/**
 * The riders' phone page (/m/) in chromium against a listening server with the four stations of
 * the riders' API tests around a rider at 30.0 N 120.0 E (test/server/routes/riders/rider-app.ts):
 * st-003 300 m S, st-001 500 m N, st-002 1 km E (e-bike and phone sockets), st-004 200 m W (open
 * 20:00-22:00 and never heard from, so it is neither live nor "has" at any hour of the day).
 */
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { RIDER, goLive, riderApp, type LiveFacts } from '../server/routes/riders/rider-app.js';
import { laidOut, startChromium, type Chromium } from '../helpers/browser.js';
import { ensureWebBuilt, keepScreenshots, screenshotDir } from './helpers.js';

export { RIDER };
export const PHONE_390 = { width: 390, height: 844 };

/** What the stations report unless a test says otherwise: all open all day, something free in each. */
export const FACTS: Record<string, LiveFacts> = {
  'st-001': { occupancy: 3, sockets: [0, 1, 1, 2], waterC: 94 },
  'st-002': { occupancy: 10, sockets: [0, 1, 0, 1], waterC: 95 },
  'st-003': { occupancy: 2, sockets: [1, 1, 1, 1], waterC: 93 },
};

export interface PhoneRig {
  app: FastifyInstance;
  base: string;
  chromium: Chromium;
  shots: string;
  /** Every live station reports again now (live for another 90 s), `changes` applied. */
  live(changes?: Record<string, Partial<LiveFacts>>): void;
  close(): Promise<void>;
}

export async function startPhoneRig(): Promise<PhoneRig> {
  ensureWebBuilt();
  const app = await riderApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const chromium = await startChromium();
  const live = (changes: Record<string, Partial<LiveFacts>> = {}) => {
    for (const [id, f] of Object.entries(FACTS)) goLive(app, id, { ...f, ...changes[id] });
  };
  live();
  return {
    app,
    base,
    chromium,
    shots: screenshotDir(),
    live,
    async close() {
      await chromium.close();
      await app.close();
    },
  };
}

/** A phone page at 390×844 with the location allowed at `at`, or refused (`null`). */
export async function phonePage(
  rig: PhoneRig,
  at: { lat: number; lon: number } | null,
  path = '/m/',
): Promise<Page> {
  const ctx: BrowserContext = rig.chromium.ctx;
  await ctx.clearPermissions();
  if (at) {
    await ctx.grantPermissions(['geolocation'], { origin: rig.base });
    await ctx.setGeolocation({ latitude: at.lat, longitude: at.lon, accuracy: 15 });
  }
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  await page.setViewportSize(PHONE_390);
  if (path) await page.goto(`${rig.base}${path}`);
  return page;
}

/** The station ids in the order the page shows them. */
export const shownIds = (page: Page) =>
  page.$$eval('[data-test=station]', (els) => els.map((e) => e.getAttribute('data-id')));

/** Check that nothing scrolls sideways at 390 px; with YIZHAN_SCREENSHOTS, a full-page screenshot. */
export async function shootPhone(page: Page, dir: string, name: string): Promise<void> {
  await laidOut(page);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide, `${name}: wider than the phone`).toBeLessThanOrEqual(PHONE_390.width);
  if (keepScreenshots()) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}
