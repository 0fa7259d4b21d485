/**
 * The notices page (/app/notices) in Debian chromium against the whole server app (SQLite in
 * memory; nothing behind MQTT and InfluxDB, which notices do not need): a township manager of
 * 城关镇, whose browser runs on New York time, posts a notice for st-001 with its end typed as the
 * county's clock reads it; the notice shows on st-001's screen and not on st-002's (新塘镇); a
 * change of its end is saved; withdrawn, it leaves the screen without a reload and the page lists
 * it as withdrawn. YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Notice } from '@yizhan/server/api-types';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { OTHER, OWN, startFullApp } from '../server/full-app.js';
import { addTestNotice } from '../server/routes/notices/helpers.js';
import { DESKTOP, addPerson, adminHeaders, ensureWebBuilt, logIn, screenshotDir, shoot, type Person } from './helpers.js';
import { cstInputValue, formatCst, parseCstInput } from '../../web/src/format.js';

let app: FastifyInstance;
let base: string;
let chromium: Chromium | undefined;
let admin: Record<string, string>;
let wang: Person;
let shots: string;

beforeAll(async () => {
  ensureWebBuilt();
  app = await startFullApp();
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  admin = await adminHeaders(app);
  wang = await addPerson(app, admin, 'wang.cg', '王经理', [{ role: 'township_manager', scope: OWN.code }]);
  chromium = await startChromium();
  shots = screenshotDir();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await app?.close();
  if (!process.env.YIZHAN_SCREENSHOTS && shots) rmSync(shots, { recursive: true, force: true });
});

async function notices(): Promise<Notice[]> {
  const r = await app.inject({ method: 'GET', url: '/api/v1/notices?state=all', headers: admin });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<{ notices: Notice[] }>().notices;
}

/** A station screen at kiosk size, once it shows the county-wide notice (its notices have arrived). */
async function screen(stationId: string): Promise<Page> {
  const page = await chromium!.ctx.newPage();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${base}/screen/${stationId}`);
  await page.waitForFunction(() => document.querySelector('#notices')?.textContent?.includes('全县测试通知'));
  return page;
}
const shows = (page: Page, text: string) =>
  page.evaluate((t) => document.querySelector('#notices')?.textContent?.includes(t) ?? false, text);

const TITLE = '寒潮预警：今晚驿站热水全天供应';

describe('notices page', () => {
  it('a township manager posts a notice for a station of the township; its screen shows it, another township’s does not; withdrawn, it leaves', async () => {
    await addTestNotice(app, { county: true }, { title: '全县测试通知' });
    const page = await chromium!.ctx.newPage();
    page.setDefaultTimeout(10_000);
    // A laptop left on New York time: the page still reads and writes the county's clock.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'America/New_York' });
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize(DESKTOP);
    await logIn(page, base, wang.login, wang.password);
    await page.click('[data-test=nav-notices]');
    await page.waitForURL(/\/app\/notices$/);
    await page.waitForSelector('[data-test=notices-current] [data-test=notice]');

    await page.click('[data-test=notice-add]');
    const form = '[data-test=notice-form]';
    // A township manager may post for a station or the township, not the county.
    // The form and its choices render after the click: polled, not read once.
    await expect.poll(() => page.$$eval(`${form} input[name=scopeKind]`, (els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([
      'station',
      'township',
    ]);
    await page.check(`${form} input[name=scopeKind][value=station]`);
    await expect.poll(() => page.$$eval(`${form} select[name=stationId] option`, (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
      OWN.station,
    ]);
    await page.selectOption(`${form} select[name=kind]`, 'weather');
    await page.selectOption(`${form} select[name=severity]`, 'critical');
    await page.fill(`${form} input[name=titleZh]`, TITLE);
    await page.fill(`${form} textarea[name=bodyZh]`, '今晚最低气温零下五度，驿站热水全天供应，请骑手注意防寒。');
    await page.fill(`${form} input[name=titleEn]`, 'Cold wave warning: hot water all day');
    // The start the form offers is now on the county's clock, not New York's.
    const offered = parseCstInput(await page.inputValue(`${form} input[name=startsAt]`));
    expect(Math.abs(offered! - Date.now())).toBeLessThan(2 * 60_000);
    const endsAt = cstInputValue(Date.now() + 3 * 3_600_000);
    await page.fill(`${form} input[name=endsAt]`, endsAt);
    await shoot(page, shots, 'notices-form');
    await page.setViewportSize(DESKTOP);
    await page.click('[data-test=notice-submit]');
    await page.waitForSelector('[data-test=notice-done]');
    expect(await page.textContent('[data-test=notice-done]')).toMatch(/^已发布通知 #\d+$/);

    const posted = (await notices()).find((n) => n.title['zh-CN'] === TITLE)!;
    expect(posted).toMatchObject({ scope: { stationId: OWN.station }, kind: 'weather', severity: 'critical' });
    expect(posted.endsAt).toBe(parseCstInput(endsAt));
    const card = `[data-test=notices-current] [data-test=notice][data-id="${posted.id}"]`;
    await page.waitForSelector(card);
    expect(await page.textContent(`${card} [data-test=notice-when]`)).toContain(
      `${formatCst(posted.startsAt)} 至 ${endsAt.replace('T', ' ')}（北京时间）`,
    );
    expect(await page.textContent(`${card} [data-test=notice-scope]`)).toContain(OWN.station);
    await shoot(page, shots, 'notices');

    const own = await screen(OWN.station);
    const other = await screen(OTHER.station);
    await own.waitForFunction((t) => document.querySelector('#notices')?.textContent?.includes(t), TITLE);
    expect(await shows(other, TITLE)).toBe(false);
    await own.screenshot({ path: join(shots, 'notices-screen-own.png') });
    await other.screenshot({ path: join(shots, 'notices-screen-other.png') });

    // Change its end: only the end is sent, and it is the typed China Standard Time.
    await page.setViewportSize(DESKTOP);
    await page.click(`${card} [data-test=notice-edit]`);
    await page.waitForSelector('[data-test=notice-editing] [data-test=scope-fixed]');
    const later = cstInputValue(Date.now() + 5 * 3_600_000);
    await page.fill('[data-test=notice-editing] input[name=endsAt]', later);
    await page.click('[data-test=notice-editing] [data-test=notice-submit]');
    await page.waitForSelector('[data-test=notice-editing]', { state: 'detached' });
    expect(await page.textContent('[data-test=notice-done]')).toBe(`已保存通知 #${posted.id}`);
    const changed = (await notices()).find((n) => n.id === posted.id)!;
    expect(changed.endsAt).toBe(parseCstInput(later));
    expect(changed.startsAt).toBe(posted.startsAt);

    await page.click(`${card} [data-test=notice-withdraw]`);
    await page.waitForSelector(`[data-test=notices-past] [data-test=notice][data-id="${posted.id}"][data-state=withdrawn]`);
    expect(await page.textContent(`[data-test=notices-past] [data-test=notice][data-id="${posted.id}"]`)).toContain(
      '王经理 于',
    );
    await own.waitForFunction((t) => !document.querySelector('#notices')?.textContent?.includes(t), TITLE);
    expect(await shows(own, '全县测试通知')).toBe(true);
    await shoot(page, shots, 'notices-withdrawn');
    for (const p of [page, own, other]) await p.close();
  }, 90_000);
});
