/**
 * The server's station screen as a kiosk on a 43-inch 1080p screen, landscape (1920×1080) and
 * portrait (1080×1920), read from 3 m: with a union notice showing, live and with updates paused
 * (serial link down), everything fits without scrolling, the numbers are large, and every text
 * has a contrast of at least 7:1 against what is behind it (WCAG AAA), computed in the page from
 * the computed styles. Beside the tiles: nearby stations with free sockets (nearest first, with
 * direction and distance; greyed with its age when the answer is old) and the QR code to the phone
 * page, read back from the screenshot. YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Observation } from '@yizhan/screen/observation';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { readQrPng } from '../../helpers/qr.js';
import { stationFixture } from '../../helpers/station.js';
import { OTHER, OWN, startFullApp } from '../full-app.js';
import { goLive } from '../routes/riders/rider-app.js';
import { insertNotice } from '../../../server/src/notices/repo.js';
import { screenshotDir } from '../../web/helpers.js';

let app: FastifyInstance;
let url: string;
let chromium: Chromium | undefined;
const shots = screenshotDir();

/** 43-inch 16:9 at 1920 px: 0.49 mm a pixel. 3 m away a figure wants ~50 mm, a label ~17 mm, a note ~12 mm. */
const MIN_PX = { value: 100, heading: 34, note: 24 };

/** Metres per degree of latitude (haversine sphere); a degree of longitude at 30° is cos(30°) of it. */
const M_PER_DEG = 111_195;
const from001 = (northM: number, eastM: number) => ({
  lat: 30 + northM / M_PER_DEG,
  lon: 120 + eastM / (M_PER_DEG * Math.cos(Math.PI / 6)),
});
/**
 * Around st-001 (30 N 120 E): st-002 1.2 km NE with 2 free sockets, st-003 800 m S with 1, st-004
 * 400 m W with none, st-005 300 m N never heard from (offline): the screen lists st-003, st-002.
 */
const STATIONS = [
  stationFixture(OWN.station, { township: OWN.name }),
  { ...stationFixture(OTHER.station, { township: OTHER.name }), location: from001(849, 849) },
  { ...stationFixture('st-003', { township: OWN.name }), location: from001(-800, 0) },
  { ...stationFixture('st-004', { township: OWN.name }), location: from001(0, -400) },
  { ...stationFixture('st-005', { township: OWN.name }), location: from001(300, 0) },
];

beforeAll(async () => {
  app = await startFullApp({ stations: STATIONS });
  goLive(app, OTHER.station, { occupancy: 2, sockets: [0, 0, 1, 2], waterC: 95 });
  goLive(app, 'st-003', { occupancy: 2, sockets: [0, 1, 1, 1], waterC: 95 });
  goLive(app, 'st-004', { occupancy: 2, sockets: [1, 1, 1, 2], waterC: 95 });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  const now = Date.now();
  await insertNotice(
    app.ops.db,
    { stationId: OWN.station },
    OWN.code,
    {
      kind: 'weather',
      severity: 'warning',
      title: { 'zh-CN': '暴雨黄色预警', en: 'Heavy rain, yellow warning' },
      body: {
        'zh-CN': '今晚有暴雨，驿站延长开放。',
        en: 'Heavy rain tonight: the station stays open longer.',
      },
      startsAt: now - 60_000,
      endsAt: now + 3_600_000,
    },
    null,
    now,
  );
  await app.notices.changed();
  const ts = now - 1000;
  const readings: Observation[] = [
    { type: 'status', online: true, bootId: 'b1', ts },
    ...(
      [
        ['occupancy', 'occupancy', 3],
        ['water-temp', 'water_temp', 93],
        ['heater', 'heater', 0],
        ['door', 'door', 0],
        ['socket-1', 'socket_state', 0],
        ['socket-2', 'socket_state', 1],
      ] as const
    ).map(([sensor, kind, value]): Observation => ({
      type: 'reading',
      sensor,
      kind,
      value,
      ts,
      historical: false,
    })),
  ];
  app.store.apply(OWN.station, readings);
  chromium = await startChromium();
}, 90_000);
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

/** Each element with text of its own: its contrast against the first opaque background behind it, and its size. */
function textContrasts(page: Page) {
  return page.evaluate(() => {
    const rgba = (s: string): number[] => (s.match(/[\d.]+/g) ?? []).map(Number).concat([1]).slice(0, 4);
    const lum = ([r, g, b]: number[]): number => {
      const c = [r, g, b].map((v) => {
        const x = (v ?? 0) / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
    };
    const out: { id: string; text: string; ratio: number; px: number; bottom: number; right: number }[] = [];
    for (const el of Array.from(document.body.querySelectorAll<HTMLElement>('*'))) {
      const own = Array.from(el.childNodes)
        .filter((n) => n.nodeType === 3 && n.textContent?.trim())
        .map((n) => n.textContent!.trim())
        .join(' ');
      if (!own || el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || !el.getClientRects().length) continue;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden') continue;
      let bg: number[] = [0, 0, 0, 0];
      for (let a: HTMLElement | null = el; a; a = a.parentElement) {
        bg = rgba(getComputedStyle(a).backgroundColor);
        if (bg[3]! > 0) break;
      }
      const fg = rgba(st.color);
      const mix = fg.slice(0, 3).map((v, i) => v * fg[3]! + bg[i]! * (1 - fg[3]!));
      const [l1, l2] = [lum(mix), lum(bg)].sort((x, y) => y - x);
      const r = el.getBoundingClientRect();
      out.push({
        id: el.id || `${el.tagName.toLowerCase()}.${el.className}`,
        text: own.slice(0, 30),
        ratio: Math.round(((l1! + 0.05) / (l2! + 0.05)) * 100) / 100,
        px: parseFloat(st.fontSize),
        bottom: r.bottom,
        right: r.right,
      });
    }
    return out;
  });
}

const px = (page: Page, sel: string) =>
  page.$$eval(sel, (els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));

describe('the station screen as a kiosk', () => {
  for (const [w, h, name] of [
    [1920, 1080, 'landscape'],
    [1080, 1920, 'portrait'],
  ] as const)
    it(`${name} ${w}×${h}: fits, large numbers, contrast ≥ 7:1, live and with updates paused`, async () => {
      const page = await chromium!.ctx.newPage();
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${url}/screen/${OWN.station}`);
      await page.waitForSelector('#conn[data-live="1"]');
      await page.waitForSelector('#notices .nt');
      await page.waitForSelector('#nearby-list .nb');
      expect(await page.textContent('#free-seats')).toBe('7');
      for (const state of ['live', 'paused'] as const) {
        if (state === 'paused') {
          app.store.apply(OWN.station, [{ type: 'health', ts: Date.now(), health: serialDown() }]);
          await page.waitForFunction(() => document.body.dataset.stale === '1');
          expect(await page.textContent('#notice')).toMatch(/^传感器连接中断 · 暂停更新 · 数据停在/);
        }
        const size = await page.evaluate(() => ({
          h: document.documentElement.scrollHeight,
          w: document.documentElement.scrollWidth,
        }));
        expect(size, `${name} ${state}: no scrolling`).toEqual({ h, w });
        const texts = await textContrasts(page);
        expect(texts.length).toBeGreaterThan(15);
        expect(
          texts.filter((t) => t.bottom > h + 0.5 || t.right > w + 0.5),
          'text off the screen',
        ).toEqual([]);
        expect(
          texts.filter((t) => t.ratio < 7),
          `${name} ${state}: text under 7:1`,
        ).toEqual([]);
        expect(Math.min(...(await px(page, '.value'))), 'the numbers').toBeGreaterThanOrEqual(MIN_PX.value);
        expect(Math.min(...(await px(page, '.tile h2'))), 'tile headings').toBeGreaterThanOrEqual(
          MIN_PX.heading,
        );
        expect(
          Math.min(...(await px(page, '.note, #notice, .nt .body, .nb-name, .nb-where, #qr .what'))),
          'notes',
        ).toBeGreaterThanOrEqual(MIN_PX.note);
        expect(await nearbyRows(page), 'nearby, with the tiles live or paused').toHaveLength(2);
        await page.screenshot({ path: join(shots, `kiosk-${name}-${state}.png`) });
      }
      // Back to live for the next size.
      app.store.apply(OWN.station, [
        {
          type: 'health',
          ts: Date.now(),
          health: { ...serialDown(), serial: { ...serialDown().serial, state: 'up' } },
        },
      ]);
      await page.close();
    });
});

/** The nearby block's rows as a rider reads them. */
function nearbyRows(page: Page) {
  return page.$$eval('#nearby-list .nb', (rows) =>
    rows.map((r) => ({
      id: r.getAttribute('data-id'),
      free: r.querySelector('.nb-count')?.textContent,
      name: r.querySelector('.nb-name')?.textContent,
      where: r.querySelector('.nb-where')?.textContent,
    })),
  );
}

describe('nearby stations and the QR code', () => {
  it('lists the nearest stations with free sockets, with direction and distance, in both languages', async () => {
    const page = await chromium!.ctx.newPage();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${url}/screen/${OWN.station}`);
    await page.waitForSelector('#nearby-list .nb');
    expect(await nearbyRows(page)).toEqual([
      { id: 'st-003', free: '1', name: '测试003号驿站', where: '南 800 m' },
      { id: 'st-002', free: '2', name: '测试002号驿站', where: '东北 1.2 km' },
    ]);
    expect(await page.textContent('#nearby h2')).toBe('附近空闲充电口');
    expect(await page.getAttribute('#nearby', 'data-stale')).toBe('0');
    await page.goto(`${url}/screen/${OWN.station}?lang=en`);
    await page.waitForSelector('#nearby-list .nb');
    expect(await nearbyRows(page)).toEqual([
      { id: 'st-003', free: '1', name: 'Test Station 003', where: 'S 800 m' },
      { id: 'st-002', free: '2', name: 'Test Station 002', where: 'NE 1.2 km' },
    ]);
    await page.close();
  });

  it('greys an old answer with its age, and shows no numbers without one', async () => {
    const page = await chromium!.ctx.newPage();
    await page.setViewportSize({ width: 1080, height: 1920 });
    const res = await fetch(`${url}/api/v1/public/stations/nearby?near=${OWN.station}&need=socket&limit=3`);
    const real = (await res.json()) as Record<string, unknown>;
    let answer: { status: number; body: unknown } = {
      status: 200,
      body: { ...real, generatedAt: Date.now() - 10 * 60_000 },
    };
    await page.route('**/api/v1/public/stations/nearby?**', (r) =>
      r.fulfill({
        status: answer.status,
        contentType: 'application/json',
        body: JSON.stringify(answer.body),
      }),
    );
    await page.goto(`${url}/screen/${OWN.station}`);
    await page.waitForSelector('#nearby[data-stale="1"]');
    expect(await page.textContent('#nearby-note')).toMatch(/^数据停在 10 分钟前 · 暂停更新$/);
    expect(await nearbyRows(page)).toHaveLength(2);
    const grey = await page.$eval('.nb-count', (e) => getComputedStyle(e).color);
    expect(grey).toBe('rgb(167, 177, 189)');
    await page.screenshot({ path: join(shots, 'kiosk-portrait-nearby-stale.png') });
    answer = { status: 503, body: { error: 'down' } };
    await page.reload();
    await page.waitForFunction(
      () => document.getElementById('nearby-note')?.textContent === '附近驿站暂无数据',
    );
    expect(await nearbyRows(page)).toEqual([]);
    await page.close();
  });

  for (const [w, h] of [
    [1920, 1080],
    [1080, 1920],
  ] as const)
    it(`the QR code at ${w}×${h} reads as the phone page of this station`, async () => {
      const page = await chromium!.ctx.newPage();
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${url}/screen/${OWN.station}`);
      const target = `${url}/m/?station=${OWN.station}`;
      expect(await page.getAttribute('#qr', 'data-url')).toBe(target);
      expect(readQrPng(await page.locator('#qr svg').screenshot())).toBe(target);
      await page.close();
    });
});

function serialDown() {
  return {
    v: 1 as const,
    stationId: OWN.station,
    bootId: 'b1',
    seq: 1,
    ts: Date.now(),
    agentVersion: '1.0.0',
    uptimeS: 600,
    rssBytes: 50_000_000,
    serial: {
      state: 'down' as const,
      port: '/dev/ttyYZ0',
      lastFrameAgeMs: 90_000,
      framesGood: 100,
      framesBad: {},
    },
  };
}
