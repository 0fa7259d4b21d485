/**
 * The riders' reports pages (/app/rider-reports…) in Debian chromium at 390×844 against the whole
 * server app (SQLite in memory): a rider reports a broken water dispenser at st-001 (城关镇) through
 * the public API, with a photo, a contact and a name for recognition; a grid staff member of 城关镇
 * finds it in the triage list on the phone, sees the photo and the contact, triages it as valid and
 * it becomes the crew's work order, shown and linked; a street problem is assigned to a grid
 * member and resolved with a note; the figures page counts both and names the rider; a grid staff member of 新塘镇 neither lists it nor opens it, and sees no contact.
 * YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { PublicReport, ReportDetailResponse } from '@yizhan/server/api-types';
import { laidOut, startChromium, type Chromium } from '../helpers/browser.js';
import { OTHER, OWN } from '../server/full-app.js';
import { JPEG_16x12, jpegWithGps } from '../server/reports/images.js';
import { PLACES, addReport, startReportsApp, uploadPhoto } from '../server/routes/rider-reports/helpers.js';
import { addPerson, adminHeaders, ensureWebBuilt, logIn, screenshotDir, shoot, type Person } from './helpers.js';

const PHONE_390 = { width: 390, height: 844 };
const TEXT = '驿站饮水机一直不出热水，按钮灯也不亮。';
const PHONE_NO = '138 0000 1234';

let app: FastifyInstance;
let base: string;
let chromium: Chromium | undefined;
let admin: Record<string, string>;
let zhao: Person;
let qian: Person;
let shots: string;
let receipt: string;
let reportId: number;

/** What a rider's phone page sends: the report, then its photo (a JPEG with GPS, as a phone takes it) with the upload token. */
async function submitReport(): Promise<string> {
  const made = await addReport(app, {
    text: TEXT,
    stationId: OWN.station,
    contact: { name: '刘师傅', phone: PHONE_NO },
    credit: { name: '刘骑手' },
    photoCount: 1,
  });
  const p = await uploadPhoto(app, made, jpegWithGps(JPEG_16x12, PLACES.own.lat, PLACES.own.lon));
  expect(p.statusCode, p.body).toBe(201);
  return made.receipt;
}

beforeAll(async () => {
  ensureWebBuilt();
  app = await startReportsApp();
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  admin = await adminHeaders(app);
  zhao = await addPerson(app, admin, 'zhao.grid', '赵网格', [{ role: 'grid_staff', scope: OWN.code }]);
  qian = await addPerson(app, admin, 'qian.grid', '钱网格', [{ role: 'grid_staff', scope: OTHER.code }]);
  chromium = await startChromium();
  shots = screenshotDir();
  receipt = await submitReport();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await app?.close();
  if (!process.env.YIZHAN_SCREENSHOTS && shots) rmSync(shots, { recursive: true, force: true });
});

async function phonePage(): Promise<Page> {
  await chromium!.ctx.clearCookies();
  const page = await chromium!.ctx.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewportSize(PHONE_390);
  return page;
}

async function fitsPhone(page: Page, what: string): Promise<void> {
  await page.setViewportSize(PHONE_390);
  await laidOut(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${what}: wider than 390 px`).toBeLessThanOrEqual(390);
}

async function publicStatus(): Promise<PublicReport> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/public/reports/${receipt}` });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<PublicReport>();
}

describe('rider reports pages', () => {
  it('a grid staff member of the township triages a report with a photo on the phone: valid, it becomes a work order', async () => {
    const page = await phonePage();
    await logIn(page, base, zhao.login, zhao.password);
    await page.click('[data-test=menu]');
    await page.click('[data-test=nav-rider-reports]');
    await page.waitForURL(/\/app\/rider-reports$/);
    const card = `[data-test=report][data-receipt="${receipt}"]`;
    await page.waitForSelector(card);
    expect(await page.textContent(`${card} [data-test=report-status]`)).toBe('已收到');
    // The list never carries the rider's contact.
    expect(await page.textContent('main')).not.toContain(PHONE_NO);
    await fitsPhone(page, 'list');
    await shoot(page, shots, 'rider-reports-list');

    await page.setViewportSize(PHONE_390);
    await page.click(`${card} [data-test=report-link]`);
    await page.waitForURL(/\/app\/rider-reports\/\d+$/);
    reportId = Number(new URL(page.url()).pathname.split('/').pop());
    expect(await page.textContent('[data-test=report-text]')).toBe(TEXT);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-test=report-photo]');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    expect(await page.getAttribute('[data-test=report-contact]', 'data-state')).toBe('shown');
    expect(await page.textContent('[data-test=contact-phone]')).toBe(PHONE_NO);
    await fitsPhone(page, 'report');
    await shoot(page, shots, 'rider-report-received');

    await page.setViewportSize(PHONE_390);
    // A station problem found valid is the crew's work order at once (转为工单).
    expect(await page.textContent('[data-test=triage-form] label:has(input[value=valid])')).toContain('转为工单');
    await page.check('[data-test=triage-form] input[name=decision][value=valid]');
    await page.click('[data-test=triage-submit]');
    await page.waitForSelector('[data-test=work-order-link]');
    expect(await page.textContent('[data-test=report-done]')).toMatch(/^已转为工单 #\d+$/);
    const link = await page.textContent('[data-test=work-order-link]');
    const woId = Number(/#(\d+)/.exec(link ?? '')?.[1]);
    expect(woId).toBeGreaterThan(0);
    expect(await page.$('[data-test=report-actions]')).toBeNull();
    await shoot(page, shots, 'rider-report-work-order');

    const detail = await app.inject({ method: 'GET', url: `/api/v1/rider-reports/${reportId}`, headers: admin });
    expect(detail.json<ReportDetailResponse>().report).toMatchObject({ decision: 'valid', workOrderId: woId });
    expect((await publicStatus()).handledBy).toMatchObject({ kind: 'work_order' });

    await page.setViewportSize(PHONE_390);
    await page.click('[data-test=work-order-link]');
    await page.waitForURL(new RegExp(`/app/work-orders/${woId}$`));
    await page.waitForSelector('[data-test=wo-steps]');
    expect(await page.textContent('h1')).toContain(String(woId));
    await page.close();
  }, 90_000);

  it('a street problem is assigned to a grid member picked from the township and resolved with a note the rider reads', async () => {
    const street = await addReport(app, {
      category: 'road_damage',
      text: '城关路口井盖松动，电动车经过很危险。',
      stationId: undefined,
      location: { lat: PLACES.own.lat + 0.001, lon: PLACES.own.lon, accuracyM: 12 },
    });
    const page = await phonePage();
    await logIn(page, base, zhao.login, zhao.password);
    await page.goto(`${base}/app/rider-reports?category=road_damage`);
    const card = `[data-test=report][data-receipt="${street.receipt}"]`;
    await page.waitForSelector(card);
    expect(await page.$$('[data-test=report]')).toHaveLength(1);
    await page.click(`${card} [data-test=report-link]`);
    await page.waitForSelector('[data-test=report-location] [data-test=amap]');
    expect(await page.textContent('[data-test=report-location]')).toContain('精度约 12 米');
    await page.check('[data-test=triage-form] input[name=decision][value=valid]');
    await page.click('[data-test=triage-submit]');
    await page.waitForSelector('[data-test=report-actions][data-step=assign] [data-test=person]');
    // The picker offers the township's grid members (赵网格), not 钱网格 of 新塘镇.
    const people = await page.$$eval('[data-test=person]', (bs) => bs.map((b) => b.textContent?.trim()));
    expect(people).toEqual(['赵网格']);
    await page.click(`[data-test=person][data-id="${zhao.id}"]`);
    await page.waitForSelector('[data-test=report-actions][data-step=resolve]');
    expect(await page.textContent('[data-test=assigned]')).toContain('赵网格');
    await page.fill('[data-test=resolve-form] textarea[name=note]', '已联系市政更换井盖。');
    await fitsPhone(page, 'resolve');
    await shoot(page, shots, 'rider-report-resolve');
    await page.setViewportSize(PHONE_390);
    await page.click('[data-test=resolve-submit]');
    await page.waitForSelector('[data-test=report-status]:text("已解决")');
    expect(await page.$('[data-test=report-actions]')).toBeNull();
    const r = await app.inject({ method: 'GET', url: `/api/v1/public/reports/${street.receipt}` });
    const pub = r.json<PublicReport>();
    expect(pub).toMatchObject({ status: 'resolved', handledBy: { kind: 'grid_member' } });
    expect(pub.history.at(-1)?.note).toBe('已联系市政更换井盖。');
    // Staff are never named to the rider.
    expect(r.body).not.toContain('赵网格');
    await page.close();
  }, 90_000);

  it('the figures page counts the valid reports, names the credited rider and links the CSV', async () => {
    const page = await phonePage();
    await logIn(page, base, zhao.login, zhao.password);
    await page.goto(`${base}/app/rider-reports/figures`);
    await page.waitForSelector('[data-test=figures-table]');
    // The station fault and the street problem, both valid, in the default range (the last 12 months).
    expect(await page.textContent('[data-test=total-valid]')).toBe('2');
    const rows = await page.$$eval('[data-test=figures-row]', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows.some((r) => r.includes('驿站设施故障'))).toBe(true);
    expect(rows.some((r) => r.includes('道路破损'))).toBe(true);
    expect(await page.textContent('[data-test=figures-rider]')).toContain('刘骑手');
    await page.waitForSelector('[data-test=report-bars] svg');
    const csv = await page.getAttribute('[data-test=figures-csv]', 'href');
    expect(csv).toMatch(/^\/api\/v1\/rider-reports\/figures\.csv\?/);
    const r = await page.evaluate(async (u) => (await fetch(u)).text(), csv!);
    expect(r).toContain('station_fault');
    expect(r).not.toContain(PHONE_NO.replace(/ /g, ''));
    expect(r).not.toContain(PHONE_NO);
    await fitsPhone(page, 'figures');
    await shoot(page, shots, 'rider-report-figures');
    await page.close();
  }, 60_000);

  it('a grid staff member of another township neither lists nor opens it', async () => {
    const page = await phonePage();
    await logIn(page, base, qian.login, qian.password);
    await page.goto(`${base}/app/rider-reports?status=all`);
    await page.waitForSelector('[data-test=none]');
    expect(await page.$(`[data-test=report][data-receipt="${receipt}"]`)).toBeNull();
    await page.goto(`${base}/app/rider-reports/${reportId}`);
    await page.waitForSelector('[data-test=error]');
    expect(await page.$('[data-test=report-text]')).toBeNull();
    expect(await page.textContent('main')).not.toContain(PHONE_NO);
    await page.screenshot({ path: join(shots, 'rider-report-other-township.png') });
    await page.close();
  }, 60_000);
});
