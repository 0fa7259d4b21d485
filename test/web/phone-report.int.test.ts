/**
 * 随手拍 from the riders' phone page (/m/report) at 390×844 in Debian chromium against the real
 * server and its public reports API (server/src/routes/rider-reports): a station fault with a camera photo (4000×3000 with GPS
 * EXIF) goes out resized to 1600 px with no EXIF, the receipt code shows large, and its progress
 * page shows the report as received with its photo, and in progress by a station repair order once
 * the township's grid staff triage it valid; "keep photo location" sends the original with
 * keepLocation=1; nothing is sent while the text is missing, and a street problem needs a place.
 * YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addTestUser, sessionHeaders } from '../server/auth-helpers.js';
import { RIDER, phonePage, shootPhone, startPhoneRig, type PhoneRig } from './phone-helpers.js';
import { cameraJpeg, jpegInfo } from './phone-photo.js';

let rig: PhoneRig;
beforeAll(async () => {
  rig = await startPhoneRig();
}, 180_000);
afterAll(() => rig?.close());

const RECEIPT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

interface Sent {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The report API's POSTs the page makes, read on their way to the server (the bytes of a Blob
 * body are only visible to an intercepting route).
 */
async function recordReports(page: Page): Promise<Sent[]> {
  const seen: Sent[] = [];
  await page.route('**/api/v1/public/reports**', async (route) => {
    const r = route.request();
    if (r.method() === 'POST')
      seen.push({ url: new URL(r.url()), headers: r.headers(), body: r.postDataBuffer() ?? Buffer.alloc(0) });
    await route.continue();
  });
  return seen;
}

async function openForm(at: { lat: number; lon: number } | null, path = '/m/report?station=st-001') {
  const page = await phonePage(rig, at, path);
  await page.waitForSelector('[data-test=cat-station_fault]');
  return page;
}

describe('a station fault with a photo', () => {
  it('sends the photo resized without EXIF, shows the receipt and its progress', async () => {
    const page = await openForm(RIDER);
    const sent = await recordReports(page);
    expect(await page.inputValue('[data-test=report-station]')).toBe('st-001');
    await page.click('[data-test=cat-station_fault]');
    await page.fill('[data-test=report-text]', '二号插座插上没电，指示灯不亮');
    const photo = await cameraJpeg(page, 4000, 3000);
    expect(jpegInfo(photo)).toEqual({ width: 4000, height: 3000, exif: true });
    await page.setInputFiles('[data-test=report-photo]', {
      name: 'IMG_0001.jpg',
      mimeType: 'image/jpeg',
      buffer: photo,
    });
    await page.waitForSelector('.thumbs img');
    await shootPhone(page, rig.shots, 'phone-report-form');
    await page.click('[data-test=report-submit]');
    await page.waitForSelector('[data-test=receipt-code]');

    const [report, upload] = sent;
    expect(sent).toHaveLength(2);
    expect(report!.headers['x-yizhan-device']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const body = JSON.parse(report!.body.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      category: 'station_fault',
      text: '二号插座插上没电，指示灯不亮',
      stationId: 'st-001',
      photoCount: 1,
    });
    expect(body.location).toMatchObject({ lat: RIDER.lat, lon: RIDER.lon });
    expect(body.contact).toBeUndefined();
    expect(body.credit).toBeUndefined();
    expect(upload!.url.searchParams.get('keepLocation')).toBeNull();
    expect(upload!.headers['content-type']).toBe('image/jpeg');
    expect(upload!.headers.authorization).toMatch(/^Bearer .+/);
    expect(jpegInfo(upload!.body)).toEqual({ width: 1600, height: 1200, exif: false });
    expect(upload!.body.length).toBeLessThan(photo.length);

    expect(await page.locator('[data-test=receipt] .error').count(), 'photo upload failed').toBe(0);
    const code = (await page.textContent('[data-test=receipt-code]'))!.trim();
    expect(code).toMatch(RECEIPT);
    const px = await page.$eval('[data-test=receipt-code]', (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(px).toBeGreaterThanOrEqual(40);
    await shootPhone(page, rig.shots, 'phone-report-receipt');

    await page.click('[data-test=progress-link]');
    await page.waitForURL(`**/m/r/${code}`);
    await page.waitForSelector('[data-test=report-status]');
    expect(await page.textContent('[data-test=status]')).toBe('已收到');
    expect(await page.textContent('[data-test=status-text]')).toBe('二号插座插上没电，指示灯不亮');
    expect(await page.textContent('[data-test=history]')).toContain('已收到');
    expect(await page.textContent('.form')).toContain('1 张照片');
    await shootPhone(page, rig.shots, 'phone-report-status');

    // The township's grid staff triage it valid: a work order for the crew; the rider sees it.
    const { id } = await rig.app.ops.db
      .selectFrom('rider_reports')
      .select('id')
      .where('receipt', '=', code.replace('-', ''))
      .executeTakeFirstOrThrow();
    const grid = await addTestUser(rig.app, [{ role: 'grid_staff', scope: 'chengguan' }], '网格员小李');
    const triage = await rig.app.inject({
      method: 'POST',
      url: `/api/v1/rider-reports/${id}/triage`,
      headers: await sessionHeaders(rig.app, grid),
      payload: { decision: 'valid' },
    });
    expect(triage.statusCode, triage.body).toBe(200);
    await page.reload();
    await page.waitForSelector('[data-test=report-status]');
    expect(await page.textContent('[data-test=status]')).toBe('处理中');
    expect(await page.textContent('[data-test=report-status]')).toContain('处理方：驿站维修工单');
    expect(await page.locator('[data-test=history] li strong').allTextContents()).toEqual(
      expect.arrayContaining(['已收到', '处理中']),
    );
    // Staff are never named to the rider.
    expect(await page.textContent('main')).not.toContain('小李');
    await shootPhone(page, rig.shots, 'phone-report-triaged');

    // The phone remembers it: /m/r lists it.
    await page.goto(`${rig.base}/m/r`);
    await page.waitForSelector(`a[href="/m/r/${code}"]`);
    await page.close();
  });

  it('sends the original photo with keepLocation=1 when the rider keeps its location', async () => {
    const page = await openForm(RIDER);
    const sent = await recordReports(page);
    await page.click('[data-test=cat-missing_supplies]');
    await page.fill('[data-test=report-text]', '急救包空了');
    const photo = await cameraJpeg(page, 800, 600);
    await page.setInputFiles('[data-test=report-photo]', {
      name: 'a.jpg',
      mimeType: 'image/jpeg',
      buffer: photo,
    });
    await page.check('[data-test=keep-location]');
    await page.click('[data-test=report-submit]');
    await page.waitForSelector('[data-test=receipt-code]');
    expect(await page.locator('[data-test=receipt] .error').count(), 'photo upload failed').toBe(0);
    const upload = sent[1]!;
    expect(upload.url.searchParams.get('keepLocation')).toBe('1');
    expect(upload.body.equals(photo)).toBe(true);
    await page.close();
  });
});

describe('what the form refuses before sending', () => {
  it('asks for the text, and for a place for a street problem, sending nothing', async () => {
    const page = await openForm(null, '/m/report');
    const sent = await recordReports(page);
    await page.click('[data-test=cat-road_damage]');
    await page.click('[data-test=report-submit]');
    expect(await page.textContent('[data-test=report-error]')).toBe('请填写问题描述');
    await page.fill('[data-test=report-text]', '路面有大坑');
    await page.click('[data-test=report-submit]');
    expect(await page.textContent('[data-test=report-error]')).toBe(
      '街面问题需要位置：请允许获取位置或选择附近的驿站',
    );
    expect(sent).toHaveLength(0);
    // Without a location or QR code the county's stations can still be picked, by township.
    await page.waitForSelector('[data-test=report-station] option[value=st-003]', { state: 'attached' });
    expect(await page.textContent('[data-test=report-station] option[value=st-003]')).toBe(
      '新塘镇 · 测试003号驿站',
    );
    await page.close();
  });
});
