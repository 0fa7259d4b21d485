/**
 * The server's station screen as a kiosk on a 43-inch 1080p screen, landscape (1920×1080) and
 * portrait (1080×1920), read from 3 m: with a union notice showing, live and with updates paused
 * (serial link down), everything fits without scrolling, the numbers are large, and every text
 * has a contrast of at least 7:1 against what is behind it (WCAG AAA), computed in the page from
 * the computed styles. YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Observation } from '@yizhan/screen/observation';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { OWN, startFullApp } from '../full-app.js';
import { insertNotice } from '../../../server/src/notices/repo.js';
import { screenshotDir } from '../../web/helpers.js';

let app: FastifyInstance;
let url: string;
let chromium: Chromium | undefined;
const shots = screenshotDir();

/** 43-inch 16:9 at 1920 px: 0.49 mm a pixel. 3 m away a figure wants ~50 mm, a label ~17 mm, a note ~12 mm. */
const MIN_PX = { value: 100, heading: 34, note: 24 };

beforeAll(async () => {
  app = await startFullApp();
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
        expect(Math.min(...(await px(page, '.note, #notice, .nt .body'))), 'notes').toBeGreaterThanOrEqual(
          MIN_PX.note,
        );
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
