/**
 * The planning pages in Debian chromium against a real server with hourly rollups in InfluxDB: the
 * hour-of-week heatmap drawn (168 cells, Monday-first Chinese day labels, the busy weekday lunch
 * hours darkest), and the planning report printed with page.pdf whose text, read back by pdftotext,
 * keeps its Chinese headings and station names; a candidate import with refused lines, then the
 * best k. YIZHAN_SCREENSHOTS=<folder> keeps the screenshots and the PDF.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { stationFixture } from '../helpers/station.js';
import { startStack, type Stack } from '../server/helpers.js';
import { DESKTOP, addPerson, adminHeaders, ensureWebBuilt, logIn, screenshotDir } from './helpers.js';

setLogger({ error: () => {}, warn: () => {} });

const HOUR = 3_600_000;
const SHANGHAI = 8 * HOUR;
const stations = [
  { ...stationFixture('st-001', { township: '城关镇' }), location: { lat: 30.2741, lon: 120.1551 } },
  { ...stationFixture('st-002', { township: '城关镇' }), location: { lat: 30.2805, lon: 120.165 } },
];
const townships = [{ code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' }];
const DAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** Nearly full 80 % of the time Monday to Friday 11–13 local time, 10 % otherwise. */
const busy = (t: number) => {
  const local = new Date(t + SHANGHAI);
  const dow = (local.getUTCDay() + 6) % 7;
  const h = local.getUTCHours();
  return dow < 5 && h >= 11 && h < 13;
};

/** Two weeks of hourly township and station rollups (rollup_2y), with the fields the continuous queries write. */
async function fillRollups(s: Stack): Promise<void> {
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const lines: string[] = [];
  for (let t = end - 14 * 24 * HOUR; t < end; t += HOUR) {
    const share = busy(t) ? 0.8 : 0.1;
    // The shares and the sums the heatmap reads (value = sum ÷ samples), 12 samples an hour.
    const fields =
      `samples=12i,near_full_share=${share},full_share=${share / 2},occupancy_mean=${share * 10},all_busy_share=0.2,` +
      `near_full_n=${share * 12},full_n=${share * 6},occupancy_sum=${share * 120},all_busy_n=2.4`;
    lines.push(`township_use_1h,township=城关镇 ${fields} ${t}`);
    for (const st of stations) lines.push(`station_use_1h,station=${st.id},township=城关镇 ${fields},seats=10i,sockets=4i ${t}`);
  }
  const r = await fetch(`${s.influx.url}/write?db=yizhan&rp=rollup_2y&precision=ms`, { method: 'POST', body: lines.join('\n') });
  expect(r.status, await r.text()).toBe(204);
}

/** Relative luminance 0..255 of an SVG fill (rgb(…) or #rrggbb). */
function luminance(fill: string): number {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(fill);
  const [r, g, b] = m ? [m[1], m[2], m[3]].map(Number) : [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

let stack: Stack | undefined;
let chromium: Chromium | undefined;
let shots: string;
let page: Page;

beforeAll(async () => {
  ensureWebBuilt();
  stack = await startStack({ stations, townships });
  await fillRollups(stack);
  const admin = await adminHeaders(stack.server.app);
  const who = await addPerson(stack.server.app, admin, 'planner1', '规划员', [{ role: 'planner', scope: 'county' }]);
  chromium = await startChromium();
  shots = screenshotDir();
  page = await chromium.ctx.newPage();
  await page.setViewportSize(DESKTOP);
  await logIn(page, stack.server.url, who.login, who.password);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

describe('planning pages', () => {
  it('draws the hour-of-week heatmap, Monday first, with Chinese labels and the busy hours darkest', async () => {
    await page.goto(`${stack!.server.url}/app/planning`);
    await page.waitForSelector('[data-test=heatmap] svg');
    await page.screenshot({ path: join(shots, 'planning-analytics.png'), fullPage: true });
    const labels = await page.$$eval('[data-test=heatmap] svg text', (els) => els.map((e) => e.textContent ?? ''));
    const days = labels.filter((l) => l.startsWith('周'));
    expect(days).toEqual(DAYS);
    // One coloured cell per hour of the week, and the weekday lunch hours carry the darkest colour.
    const cells = await page.$$eval('[data-test=heatmap] svg path[fill^="rgb"], [data-test=heatmap] svg path[fill^="#"]', (els) =>
      els.map((e) => {
        const b = (e as SVGGraphicsElement).getBBox();
        return { fill: e.getAttribute('fill') ?? '', w: b.width, h: b.height, x: b.x, y: b.y };
      }),
    );
    const grid = cells.filter((c) => c.w > 5 && c.w < 60 && c.h > 5 && c.h < 60);
    expect(grid.length).toBeGreaterThanOrEqual(168);
    const byFill = new Map<string, typeof grid>();
    for (const c of grid) byFill.set(c.fill, [...(byFill.get(c.fill) ?? []), c]);
    // Two values in the data: 10 cells of busy weekday hours (5 days × 2 hours) and the other 158.
    const groups = [...byFill.values()].sort((a, b) => a.length - b.length).slice(-2);
    expect(groups.map((g) => g.length)).toEqual([10, 158]);
    const [hot, calm] = groups as [typeof grid, typeof grid];
    // The hot cells: the top five rows (Monday first) and the columns of 11 and 12 o'clock.
    const rows = [...new Set(grid.map((c) => Math.round(c.y)))].sort((a, b) => a - b);
    const cols = [...new Set(grid.map((c) => Math.round(c.x)))].sort((a, b) => a - b);
    expect([...new Set(hot.map((c) => rows.indexOf(Math.round(c.y))))].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...new Set(hot.map((c) => cols.indexOf(Math.round(c.x))))].sort((a, b) => a - b)).toEqual([11, 12]);
    expect(luminance(hot[0]!.fill)).toBeLessThan(luminance(calm[0]!.fill));
    expect(await page.textContent('[data-test=heatmap-caption]')).toContain('Asia/Shanghai');
    // Every ranking column, the reason last, fits its box at desktop width: no column cut off.
    await page.waitForSelector('[data-test=reason]');
    const fit = await page.$eval('[data-test=ranking]', (t) => ({ table: t.scrollWidth, box: t.parentElement!.clientWidth }));
    expect(fit.table).toBeLessThanOrEqual(fit.box);
  });

  it('imports candidates, listing every refused line, then ranks the accepted ones and shows the best k', async () => {
    await page.goto(`${stack!.server.url}/app/planning/coverage`);
    await page.waitForSelector('path[data-station="st-001"]');
    const input = '[data-test=import-candidates] input[type=file]';
    const bad = 'name,lat,lon,address\n东门菜场,30.2800,120.1700,东门路1号\n北站,95,120.16,北站路\n西湖边,30.27,abc,湖滨路\n';
    await page.setInputFiles(input, { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.click('[data-test=import-candidates] button[type=submit]');
    await page.waitForSelector('[data-test=import-problem]');
    const problems = await page.$$eval('[data-test=import-problem]', (els) => els.map((e) => e.textContent?.trim() ?? ''));
    expect(problems.some((p) => p.startsWith('第 3 行'))).toBe(true);
    expect(problems.some((p) => p.startsWith('第 4 行'))).toBe(true);
    expect(problems.every((p) => !p.startsWith('第 2 行'))).toBe(true);
    expect(await page.$$('[data-test=candidate-row]')).toHaveLength(0);

    const good = 'name,lat,lon,address\n东门菜场,30.2800,120.1700,东门路1号\n南郊物流园,30.2300,120.1500,南郊路8号\n';
    await page.setInputFiles(input, { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.click('[data-test=import-candidates] button[type=submit]');
    await page.waitForSelector('[data-test=imported]');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=candidate-row]').length === 2);
    expect(await page.$$('path.yz-candidate')).toHaveLength(2);
    // The view follows the import: both new sites are inside the map.
    const inside = await page.$$eval('path.yz-candidate', (els) => {
      const map = els[0]!.closest('.map-canvas')!.getBoundingClientRect();
      return els.map((e) => {
        const r = e.getBoundingClientRect();
        return r.left >= map.left && r.right <= map.right && r.top >= map.top && r.bottom <= map.bottom;
      });
    });
    expect(inside).toEqual([true, true]);
    await page.click('[data-test=solve]');
    await page.waitForSelector('[data-test=best-row]');
    expect((await page.$$('[data-test=best-row]')).length).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(shots, 'planning-coverage-solved.png'), fullPage: true });
  });

  it('prints the planning report to PDF with its Chinese headings and the station names intact', async () => {
    await page.goto(`${stack!.server.url}/app/planning/report`);
    await page.waitForSelector('[data-test=heatmap] svg');
    await page.waitForSelector('[data-test=ranking-row]');
    await page.waitForSelector('path[data-station="st-001"]');
    await page.screenshot({ path: join(shots, 'planning-report.png'), fullPage: true });
    expect(await page.isVisible('.bar')).toBe(false);
    const pdf = join(shots, 'planning-report.pdf');
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    await page.emulateMedia({ media: 'screen' });
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
    for (const heading of ['规划报告', '一、哪些驿站已经饱和？', '二、哪里需要增加插座？', '三、15 分钟服务圈覆盖了哪里？', '四、下一个驿站建在哪里？'])
      expect(text, heading).toContain(heading);
    for (const name of ['测试001号驿站', '测试002号驿站', ...DAYS]) expect(text, name).toContain(name);
    // One page per question: the four headings start four pages.
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(pages.findIndex((p) => p.includes('四、下一个驿站建在哪里？'))).toBeGreaterThan(
      pages.findIndex((p) => p.includes('三、15 分钟服务圈覆盖了哪里？')),
    );
  });
});
