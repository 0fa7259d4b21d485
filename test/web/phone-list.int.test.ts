/**
 * The riders' phone page (/m/) at 390×844 in Debian chromium against a real server: with the
 * location allowed the nearest stations that have something free come first, nearest first, and
 * the rider's need re-sorts them; a stale station shows no numbers; refused location → the
 * township picker; a station's QR code (`?station=`) lists from that station; the AMap and Baidu
 * links carry the station's GCJ-02 and BD-09 points; on plain http (not localhost) the page says
 * the location needs HTTPS; the nearest station's notices show above the list; the list refreshes every 15 s while visible,
 * never while hidden, and hides its numbers once its own data is 45 s old; English on a tap.
 * YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { gcj02ToBd09, toGcj02 } from '@yizhan/common/china-datums';
import type { NearbyResponse } from '@yizhan/server/api-types';
import { STATIONS } from '../server/routes/riders/rider-app.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import { addTestNotice } from '../server/routes/notices/helpers.js';
import {
  PHONE_390,
  RIDER,
  phonePage,
  shootPhone,
  shownIds,
  startPhoneRig,
  type PhoneRig,
} from './phone-helpers.js';

let rig: PhoneRig;
beforeAll(async () => {
  rig = await startPhoneRig();
}, 180_000);
afterAll(() => rig?.close());
beforeEach(() => rig.live());

const list = (page: Page) => page.waitForSelector('[data-test=station]');
const card = (page: Page, id: string) => page.locator(`[data-test=station][data-id="${id}"]`);

describe('with the location allowed', () => {
  it('lists the stations that have something free nearest first, then the others, with distance and direction', async () => {
    const page = await phonePage(rig, RIDER);
    await list(page);
    // st-003 300 m S, st-001 500 m N, st-002 1 km E; st-004 (200 m W) never reported: last.
    expect(await shownIds(page)).toEqual(['st-003', 'st-001', 'st-002', 'st-004']);
    await expect
      .poll(() => card(page, 'st-003').locator('[data-test=where]').textContent())
      .toBe('300 米 · 南');
    await expect.poll(() => card(page, 'st-001').locator('[data-test=seat] .value').textContent()).toBe('7');
    expect(await card(page, 'st-004').locator('[data-test=freshness]').textContent()).toBe('离线');
    expect(await card(page, 'st-004').locator('[data-test=seat] .value').textContent()).toBe('—');
    await shootPhone(page, rig.shots, 'phone-list');

    // The rider rides on to st-002: it is first at the next load.
    await rig.chromium.ctx.setGeolocation({
      latitude: STATIONS[1]!.location.lat,
      longitude: STATIONS[1]!.location.lon,
    });
    await page.reload();
    await list(page);
    expect((await shownIds(page))[0]).toBe('st-002');
    expect(await card(page, 'st-002').locator('[data-test=where]').textContent()).toBe('就在这里');
    await page.close();
  });

  it('puts the stations with a free socket first when the rider asks for charging', async () => {
    const page = await phonePage(rig, RIDER);
    await list(page);
    await page.click('[data-test=need-socket]');
    // st-003's four sockets are all charging: it drops behind st-001 and st-002.
    await expect.poll(() => shownIds(page)).toEqual(['st-001', 'st-002', 'st-004', 'st-003']);
    expect(await card(page, 'st-002').locator('[data-test=ebike] .value').textContent()).toBe('1');
    expect(await card(page, 'st-002').locator('[data-test=phone] .value').textContent()).toBe('1');
    expect(await page.locator('[data-test=need-socket]').getAttribute('aria-pressed')).toBe('true');
    await shootPhone(page, rig.shots, 'phone-list-socket');
    await page.close();
  });

  it('shows a station whose sensors stopped as paused, with its data age and no numbers', async () => {
    rig.live({ 'st-001': { serialUp: false } });
    // The server's snapshot lives 1 s: wait for the one that has it, then ask from a point the
    // browser has no cached answer for (answers may be reused for 5 s).
    await expect
      .poll(async () => {
        const r = await rig.app.inject(`/api/v1/public/stations/nearby?lat=${RIDER.lat}&lon=${RIDER.lon}`);
        return r.json<NearbyResponse>().stations.find((s) => s.id === 'st-001')?.freshness;
      })
      .toBe('stale');
    const page = await phonePage(rig, { lat: RIDER.lat + 0.0001, lon: RIDER.lon });
    await list(page);
    const st1 = card(page, 'st-001');
    expect(await st1.locator('[data-test=freshness]').textContent()).toMatch(/^暂停更新 · \d+ 秒前的数据$/);
    for (const tile of ['seat', 'socket', 'water'])
      expect(await st1.locator(`[data-test=${tile}] .value`).textContent(), tile).toBe('—');
    await shootPhone(page, rig.shots, 'phone-list-stale');
    await page.close();
  });

  it("shows the union's notices of the nearest station (its township's rainstorm warning)", async () => {
    await addTestNotice(rig.app, { township: 'xintang' }, { title: '暴雨橙色预警', severity: 'warning' });
    await addTestNotice(rig.app, { stationId: 'st-001' }, { title: '只在001号驿站' });
    // In English: a notices URL this browser has not cached yet (answers may be reused for 10 s).
    const page = await phonePage(rig, RIDER, '/m/?lang=en');
    await list(page);
    await page.waitForSelector('[data-test=notice]');
    // st-003 (新塘镇) is first: its township's notice, not st-001's own; no English title: the Chinese one.
    expect(await page.locator('[data-test=notice] h2').allTextContents()).toEqual(['暴雨橙色预警']);
    await shootPhone(page, rig.shots, 'phone-list-notice');
    await page.close();
  });

  it('links each station to AMap at its GCJ-02 point and Baidu at its BD-09 point', async () => {
    const page = await phonePage(rig, RIDER);
    await list(page);
    for (const s of STATIONS) {
      const amap = new URL((await card(page, s.id).locator('[data-test=amap]').getAttribute('href'))!);
      const baidu = new URL((await card(page, s.id).locator('[data-test=baidu]').getAttribute('href'))!);
      const g = toGcj02(s.location);
      const b = gcj02ToBd09(g);
      expect(amap.origin + amap.pathname).toBe('https://uri.amap.com/navigation');
      const [lon, lat, name] = amap.searchParams.get('to')!.split(',');
      expect(Math.abs(Number(lon) - g.lon), `${s.id} AMap lon`).toBeLessThan(1e-6);
      expect(Math.abs(Number(lat) - g.lat), `${s.id} AMap lat`).toBeLessThan(1e-6);
      expect(name).toBe(s.name);
      expect(amap.searchParams.get('coordinate')).toBe('gaode');
      expect(amap.searchParams.get('mode')).toBe('ride');
      // The GCJ-02 shift is hundreds of metres here: a WGS-84 point passed as-is would fail the check above.
      expect(Math.abs(g.lon - s.location.lon)).toBeGreaterThan(1e-3);
      expect(baidu.origin + baidu.pathname).toBe('https://api.map.baidu.com/marker');
      const [bLat, bLon] = baidu.searchParams.get('location')!.split(',').map(Number);
      expect(Math.abs(bLat! - b.lat), `${s.id} Baidu lat`).toBeLessThan(1e-6);
      expect(Math.abs(bLon! - b.lon), `${s.id} Baidu lon`).toBeLessThan(1e-6);
      expect(baidu.searchParams.get('coord_type')).toBe('bd09ll');
    }
    await page.close();
  });
});

describe('without a location', () => {
  it('offers the township picker when the location is refused, and lists the township picked', async () => {
    const page = await phonePage(rig, null);
    await page.waitForSelector('[data-test=picker]');
    expect(await page.locator('[data-test=picker] p').textContent()).toBe('没有获得位置权限。请选择镇街：');
    await page.waitForSelector('[data-test=township] option[value=xintang]', { state: 'attached' });
    await page.selectOption('[data-test=township]', 'xintang');
    await list(page);
    expect(await shownIds(page)).toEqual(['st-003', 'st-004']);
    expect(await page.locator('h1').textContent()).toContain('新塘镇的驿站');
    expect(await card(page, 'st-003').locator('[data-test=where]').textContent()).toBe('新塘镇');
    await shootPhone(page, rig.shots, 'phone-picker');
    await page.close();
  });

  it('lists from the station whose QR code was scanned, that station first at 0 m', async () => {
    const page = await phonePage(rig, null, '/m/?station=st-001');
    await list(page);
    expect((await shownIds(page))[0]).toBe('st-001');
    expect(await card(page, 'st-001').locator('[data-test=where]').textContent()).toBe('就在这里');
    expect(await page.locator('h1').textContent()).toContain('从你扫码的驿站算起');
    // The report link names the station, so the form has it chosen.
    expect(await page.getAttribute('[data-test=report-link]', 'href')).toBe('/m/report?station=st-001');
    await page.close();
  });
});

describe('on plain http from another address', () => {
  it('says the location needs HTTPS and offers the picker; the QR code still gives a list', async () => {
    // A name other than localhost for the same server: not a secure context, as a phone opening
    // http://<server-address>/m/ would see it.
    const profile = mkdtempSync(join(tmpdir(), 'yz-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP riders.example 127.0.0.1'],
      headless: true,
    });
    try {
      const page = await ctx.newPage();
      await page.setViewportSize(PHONE_390);
      await page.goto(`${rig.base.replace('127.0.0.1', 'riders.example')}/m/?station=st-002`);
      await list(page);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      expect(await page.locator('[data-test=picker] p').textContent()).toBe(
        '此网址不是 HTTPS，浏览器不提供位置。请选择镇街：',
      );
      // Asking again would be pointless: no 用我的位置 button.
      expect(await page.locator('[data-test=picker] button').count()).toBe(0);
      expect((await shownIds(page))[0]).toBe('st-002');
      await shootPhone(page, rig.shots, 'phone-insecure');
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

describe('refreshing', () => {
  it('asks every 15 s while visible, not at all while hidden, and at once when shown again', async () => {
    const page = await phonePage(rig, RIDER, '');
    await page.clock.install();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/stations/nearby')) asked.push(r.url());
    });
    await page.goto(`${rig.base}/m/`);
    await list(page);
    await expect.poll(() => asked.length).toBe(1);
    await page.clock.runFor(15_500);
    await expect.poll(() => asked.length).toBe(2);

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.clock.runFor(120_000);
    expect(asked).toHaveLength(2);

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await expect.poll(() => asked.length).toBe(3);
    await page.close();
  });

  it('hides the numbers and says how old they are once its own data is 45 s old (network gone)', async () => {
    const page = await phonePage(rig, RIDER, '');
    await page.clock.install();
    await page.goto(`${rig.base}/m/`);
    await list(page);
    expect(await card(page, 'st-001').locator('[data-test=seat] .value').textContent()).toBe('7');
    await page.route('**/api/v1/public/**', (r) => r.abort('internetdisconnected'));
    await page.clock.runFor(50_000);
    await page.waitForSelector('[data-test=page-stale]');
    expect(await page.locator('[data-test=page-stale]').textContent()).toMatch(/网络不通，\d+ 秒前的数据/);
    expect(await card(page, 'st-001').locator('[data-test=seat] .value').textContent()).toBe('—');
    expect(await card(page, 'st-001').locator('[data-test=freshness]').textContent()).toBe('暂停更新');
    expect(await page.locator('[data-test=error]').textContent()).toContain('网络不通');
    await shootPhone(page, rig.shots, 'phone-list-offline');
    await page.close();
  });
});

describe('language', () => {
  it('switches to English on a tap and keeps it on the next visit', async () => {
    const page = await phonePage(rig, RIDER);
    await list(page);
    await page.click('[data-test=lang]');
    await expect.poll(() => page.locator('h1').textContent()).toContain('Nearest to you first');
    expect(await card(page, 'st-003').locator('[data-test=where]').textContent()).toBe('300 m · S');
    await page.reload();
    await list(page);
    expect(await page.locator('[data-test=need-water]').textContent()).toContain('Hot water');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await shootPhone(page, rig.shots, 'phone-list-en');
    await page.click('[data-test=lang]');
    await page.close();
  });
});
