/**
 * The station screen in a real browser (Debian chromium via playwright-core): Chinese by default,
 * live door change within a second of the MQTT publish, English with ?lang=en, layout on a 1080p
 * kiosk and on a phone, and the station index.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { setLogger } from '@influxdata/influxdb-client';
import { FakeStation, startStack, type Stack } from '../helpers.js';
import { stationFixture } from '../../helpers/station.js';

setLogger({ error: () => {}, warn: () => {} });

let stack: Stack | undefined;
let server: Stack['server'];
let pub: Stack['pub'];
let ctx: BrowserContext;
let chromium: Chromium | undefined;
const st = new FakeStation('st-001');

async function text(page: Page, id: string): Promise<string> {
  return (await page.textContent(`#${id}`))?.trim() ?? '';
}

beforeAll(async () => {
  stack = await startStack({
    stations: [stationFixture('st-001', { seats: 12, sockets: 6 }), stationFixture('st-002')],
  });
  ({ server, pub } = stack);
  const ts = Date.now() - 1000;
  await pub.pub('st-001', 'status', st.status('online', ts), { retain: true });
  await pub.pub(
    'st-001',
    'telemetry',
    st.telemetry(
      [
        { sensor: 'occupancy', kind: 'occupancy', value: 4 },
        ...[0, 0, 1, 2, 0, 1].map((v, i) => ({ sensor: `socket-${i + 1}`, kind: 'socket_state', value: v })),
        { sensor: 'water-temp', kind: 'water_temp', value: 93 },
        { sensor: 'heater', kind: 'heater', value: 0 },
        { sensor: 'door', kind: 'door', value: 0 },
      ],
      ts,
    ),
  );
  chromium = await startChromium();
  ctx = chromium.ctx;
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

describe('/screen/:stationId', () => {
  it('shows the live state in Chinese and the door change within a second of the MQTT publish', async () => {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${server.url}/screen/st-001`);
    await page.waitForSelector('#conn[data-live="1"]', { timeout: 10_000 });
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await text(page, 'name')).toBe('测试001号驿站');
    const headings = await page.$$eval('.tile h2', (hs) => hs.map((h) => h.textContent));
    expect(headings).toEqual(['空闲座位', '空闲充电口', '热水', '门']);
    expect(await text(page, 'free-seats')).toBe('8');
    expect(await text(page, 'seats-total')).toBe('共 12');
    expect(await text(page, 'free-sockets')).toBe('3');
    expect(await text(page, 'water-temp')).toBe('93°C');
    expect(await text(page, 'water-state')).toBe('可用');
    expect(await text(page, 'door')).toBe('关');
    expect(await text(page, 'online')).toBe('在线');
    expect(await text(page, 'last-update')).not.toBe('—');

    const t0 = Date.now();
    await pub.pub('st-001', 'events', st.state('door', 'door', 1));
    await page.waitForFunction(() => document.getElementById('door')?.textContent === '开', undefined, {
      timeout: 1000,
      polling: 'raf',
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await page.getAttribute('#tile-door', 'data-state')).toBe('open');

    // Heater fault: the water tile says 热水器故障 (dispenser out of order) instead of the temperature.
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', true));
    await page.waitForFunction(
      () => document.getElementById('water-temp')?.textContent === '热水器故障',
      undefined,
      { timeout: 2000 },
    );
    await pub.pub('st-001', 'events', st.fault('heater', 'heater_failure', false));
    await page.waitForFunction(
      () => document.getElementById('water-state')?.textContent === '可用',
      undefined,
      { timeout: 2000 },
    );

    // 1080p kiosk: 2×2 tiles, everything on one screen, no scrolling.
    const boxes = await page.$$eval('.tile', (ts) =>
      ts.map((t) => t.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width })),
    );
    expect(new Set(boxes.map((b) => Math.round(b.y))).size).toBe(2);
    expect(new Set(boxes.map((b) => Math.round(b.x))).size).toBe(2);
    const size = await page.evaluate(() => ({
      h: document.documentElement.scrollHeight,
      w: document.documentElement.scrollWidth,
    }));
    expect(size.h).toBeLessThanOrEqual(1080);
    expect(size.w).toBeLessThanOrEqual(1920);
    const valueFont = await page.$eval('#free-seats', (el) => parseFloat(getComputedStyle(el).fontSize));
    expect(valueFont).toBeGreaterThanOrEqual(120);
    await page.screenshot({ path: join(tmpdir(), 'yizhan-screen-1080p.png') });
    await page.close();
  });

  it('English with ?lang=en; one column without horizontal scroll on a phone', async () => {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/screen/st-001?lang=en`);
    await page.waitForSelector('#conn[data-live="1"]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await text(page, 'name')).toBe('Test Station 001');
    expect(await page.$$eval('.tile h2', (hs) => hs.map((h) => h.textContent))).toEqual([
      'Free seats',
      'Free sockets',
      'Hot water',
      'Door',
    ]);
    expect(await text(page, 'door')).toBe('Open');
    expect(await text(page, 'water-state')).toBe('Ready');
    const xs = await page.$$eval('.tile', (ts) => ts.map((t) => Math.round(t.getBoundingClientRect().x)));
    expect(new Set(xs).size).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(tmpdir(), 'yizhan-screen-phone.png'), fullPage: true });
    await page.close();
  });

  it('goes offline on the will and shows it', async () => {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/screen/st-001`);
    await page.waitForSelector('#conn[data-live="1"]');
    await pub.pub('st-001', 'status', st.status('offline', Date.now(), 'will'), { retain: true });
    await page.waitForFunction(() => document.getElementById('online')?.textContent === '离线', undefined, {
      timeout: 2000,
    });
    await page.close();
  });

  it('unknown station: 404 page', async () => {
    const page = await ctx.newPage();
    const res = await page.goto(`${server.url}/screen/st-404`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('h1')).toContain('未找到该驿站');
    await page.close();
  });
});

describe('/ (index)', () => {
  it('lists the stations with links to their screens', async () => {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/`);
    const links = await page.$$eval('tbody a', (as) =>
      as.map((a) => [a.textContent, a.getAttribute('href')]),
    );
    expect(links).toEqual([
      ['测试001号驿站', '/screen/st-001'],
      ['测试002号驿站', '/screen/st-002'],
    ]);
    await page.click('text=测试002号驿站');
    await page.waitForSelector('#conn[data-live="1"]');
    expect(await text(page, 'name')).toBe('测试002号驿站');
    await page.close();
  });
});
