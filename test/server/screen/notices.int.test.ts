/**
 * The union's notices on the station screen in a real browser (Debian chromium): a notice showing
 * at load is there in large type, zh-CN first and English below; a notice that starts later
 * appears without a reload at its start and leaves at its end; at 1920×1080 and 1080×1920 the
 * page still fits the screen (the tiles shrink under the notices, no scrolling). Screenshots: $TMPDIR/yizhan-notices-*.png.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { OWN, startFullApp } from '../full-app.js';
import { addTestNotice } from '../routes/notices/helpers.js';
import { insertNotice } from '../../../server/src/notices/repo.js';

let app: FastifyInstance;
let url: string;
let chromium: Chromium | undefined;

beforeAll(async () => {
  app = await startFullApp();
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  chromium = await startChromium();
}, 90_000);
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

const titles = (page: Page) => page.$$eval('#notices .nt h3', (hs) => hs.map((h) => h.textContent ?? ''));

describe('notices on /screen/:stationId', () => {
  it('shows a notice at load in large type, and one that starts later appears and leaves without a reload', async () => {
    const now = Date.now();
    await insertNotice(
      app.ops.db,
      { stationId: OWN.station },
      OWN.code,
      {
        kind: 'hours',
        severity: 'critical',
        title: { 'zh-CN': '今晚 20:00 闭站检修', en: 'Closed tonight from 20:00 for repairs' },
        body: { 'zh-CN': '请到城关二号驿站休息充电。', en: 'Please use Chengguan station 2.' },
        startsAt: now - 60_000,
        endsAt: now + 3_600_000,
      },
      null,
      now,
    );
    await app.notices.changed();
    const page = await chromium!.ctx.newPage();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${url}/screen/${OWN.station}`);
    await page.waitForSelector('#notices .nt[data-severity="critical"]');
    expect(await titles(page)).toEqual(['开放时间调整今晚 20:00 闭站检修']);
    expect(await page.textContent('#notices .alt')).toContain('Closed tonight from 20:00');
    const px = await page.$eval('#notices h3', (h) => parseFloat(getComputedStyle(h).fontSize));
    expect(px, 'notice title font size at 1080p').toBeGreaterThanOrEqual(48);

    const startsAt = Date.now() + 1500;
    const endsAt = startsAt + 2500;
    await addTestNotice(app, { county: true }, { title: '寒潮预警：驿站热水全天供应', startsAt, endsAt });
    await page.waitForFunction(() => document.querySelector('#notices')?.textContent?.includes('寒潮预警'), null, {
      timeout: 10_000,
    });
    const appeared = Date.now();
    expect(appeared).toBeGreaterThanOrEqual(startsAt);
    expect(appeared - startsAt).toBeLessThan(1500);
    await page.screenshot({ path: join(tmpdir(), 'yizhan-notices-1080p.png') });
    // The kiosk keeps everything on one screen: the tiles shrink below the notices.
    const fits = await page.evaluate(() => ({
      w: document.documentElement.scrollWidth,
      h: document.documentElement.scrollHeight,
      tilesBottom: Math.max(...Array.from(document.querySelectorAll<HTMLElement>('.tile'), (t) => t.getBoundingClientRect().bottom)),
    }));
    expect(fits.w).toBeLessThanOrEqual(1920);
    expect(fits.h).toBeLessThanOrEqual(1080);
    expect(fits.tilesBottom).toBeLessThanOrEqual(1080);
    const valuePx = await page.$eval('#free-seats', (el) => parseFloat(getComputedStyle(el).fontSize));
    expect(valuePx, 'free seats still large under two notices').toBeGreaterThanOrEqual(60);

    await page.setViewportSize({ width: 1080, height: 1920 });
    await page.screenshot({ path: join(tmpdir(), 'yizhan-notices-portrait.png') });
    const portraitPx = await page.$eval('#notices h3', (h) => parseFloat(getComputedStyle(h).fontSize));
    expect(portraitPx, 'notice title font size at 1080×1920').toBeGreaterThanOrEqual(44);

    await page.waitForFunction(() => !document.querySelector('#notices')?.textContent?.includes('寒潮预警'), null, {
      timeout: 10_000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
    expect(await titles(page)).toHaveLength(1);
    await page.close();
  }, 60_000);
});
