/**
 * The crew pages against the issue-13 routes (assign, people, work orders, photos, verification,
 * reports), in Debian chromium at 360×740. Run after the lifecycle and work-order branches are
 * merged: on the web branch alone those routes answer 404.
 *
 * A crew member hands an alert to a colleague and gets it back (live, by `alert-changed`), makes a
 * work order from it, starts it, claims it fixed with a note and a photo from the phone's camera,
 * and sees the sensors' verification waiting; the station's fault clears and the page says since
 * when. The reports page shows the API's numbers, and the monthly page prints without menus.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addPerson, logIn, shoot, type Person } from './helpers.js';
import { firingAt, setHeaterFault, startCrewRig, texts, type CrewRig } from './crew-helpers.js';
import { formatDuration } from '../../web/src/format.js';

let rig: CrewRig;
let li: Person;
let zhang: Person;
let alertId: string;

// The smallest PNG (1×1, red): what the phone's camera input hands over, as a file.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

beforeAll(async () => {
  rig = await startCrewRig();
  li = await addPerson(rig.stack.server.app, rig.admin, 'li.crew', '李师傅', [
    { role: 'crew_member', scope: 'chengguan' },
  ]);
  zhang = await addPerson(rig.stack.server.app, rig.admin, 'zhang.lead', '张组长', [
    { role: 'crew_lead', scope: 'chengguan' },
  ]);
  await setHeaterFault(rig.stack, 'st-001', true);
  alertId = (await firingAt(rig, 'st-001'))[0]!.id;
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

beforeEach(async () => {
  await rig.reset();
});

const mine = '[data-test=my-alerts] [data-test=alert]';
const open = '[data-test=open-alerts] [data-test=alert]';

async function assigneeOf(id: string): Promise<string | null> {
  const r = await rig.stack.getJson<{ alert: { assignee: { displayName: string } | null } }>(
    `/api/v1/alerts/${encodeURIComponent(id)}`,
    { headers: rig.admin },
  );
  return r.body.alert.assignee?.displayName ?? null;
}

describe('crew pages with the work-order routes', () => {
  it('assigns from the phone, makes a work order, claims it fixed with a photo, and shows the verification', async () => {
    const page = await rig.phonePage();
    await logIn(page, rig.base, li.login, li.password);
    await page.waitForURL(/\/app\/crew$/);
    await page.waitForSelector(open);

    await page.click(`${open} [data-test=assign-me]`);
    await page.waitForSelector(mine);
    expect(await page.textContent(`${mine} [data-test=assignee]`)).toContain('李师傅');
    expect(await assigneeOf(alertId)).toBe('李师傅');

    // Hand it to the crew lead, picked from the township's people.
    await page.click(`${mine} [data-test=assign]`);
    await page.waitForSelector(`${mine} [data-test=person]`);
    expect(await texts(page, `${mine} [data-test=person]`)).toEqual(
      expect.arrayContaining([expect.stringContaining('李师傅'), expect.stringContaining('张组长')]),
    );
    await page.click(`${mine} [data-test=person][data-id="${zhang.id}"]`);
    await page.waitForSelector('[data-test=none]');
    expect(await assigneeOf(alertId)).toBe('张组长');

    // The lead gives it back through the API: the phone shows it again without a reload.
    const back = await rig.stack.server.app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${encodeURIComponent(alertId)}/assign`,
      headers: rig.admin,
      payload: { userId: li.id },
    });
    expect(back.statusCode, back.body).toBe(200);
    await page.waitForSelector(mine, { timeout: 5000 });

    await page.click(`${mine} [data-test=make-work-order]`);
    await page.waitForSelector(`${mine} [data-test=work-order-link]`);
    expect(await page.textContent(`${mine} [data-test=action-notice]`)).toMatch(/^已建工单 #\d+$/);
    await page.click(`${mine} [data-test=work-order-link]`);
    await page.waitForURL(/\/app\/work-orders\/\d+$/);
    await page.waitForSelector('[data-test=wo-actions]');
    expect(await page.textContent('[data-test=wo-steps] [aria-current=step]')).toContain('待处理');
    if (await page.$('[data-test=wo-assign-me]')) {
      await page.click('[data-test=wo-assign-me]');
      await page.waitForSelector('[data-test=wo-assign-me]', { state: 'detached' });
    }

    await page.click('[data-test=wo-start]');
    await page.waitForSelector('[data-test=wo-fixed]');
    expect(await page.textContent('[data-test=wo-steps] [aria-current=step]')).toContain('处理中');
    await page.click('[data-test=wo-fixed]');
    await page.fill('[data-test=fixed-form] textarea[name=note]', '更换加热管，出水正常');
    await page.setInputFiles('[data-test=fixed-form] input[name=photo]', {
      name: 'fix.png',
      mimeType: 'image/png',
      buffer: PNG,
    });
    expect(await page.getAttribute('[data-test=fixed-form] input[name=photo]', 'capture')).toBe(
      'environment',
    );
    await page.click('[data-test=fixed-form] button[type=submit]');
    await page.waitForSelector('[data-test=verification][data-state=waiting]');
    expect(await page.textContent('[data-test=verification]')).toContain(
      '等待传感器确认：故障消失需保持 10 分钟',
    );
    expect(await page.textContent('[data-test=wo-steps] [aria-current=step]')).toContain('已报修好');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-test=photo]');
      return img !== null && img.complete && img.naturalWidth === 1;
    });
    expect(await texts(page, '[data-test=wo-event]')).toEqual(
      expect.arrayContaining([expect.stringContaining('更换加热管，出水正常')]),
    );
    await shoot(page, rig.shots, 'work-order-fixed');

    // The heater reports healthy: the page says since when the fault is gone.
    await setHeaterFault(rig.stack, 'st-001', false);
    await expect
      .poll(async () => {
        await page.reload();
        await page.waitForSelector('[data-test=verification]');
        return (await page.$('[data-test=good-since]')) !== null;
      })
      .toBe(true);
    expect(await page.textContent('[data-test=good-since]')).toMatch(/^故障消失于 \d{4}-\d\d-\d\d \d\d:\d\d/);
  });

  it("shows the response report's numbers and a printable monthly page without menus", async () => {
    const page = await rig.phonePage();
    await logIn(page, rig.base, zhang.login, zhang.password);
    await page.goto(`${rig.base}/app/reports`);
    await page.waitForSelector('[data-test=report-row][data-township=chengguan][data-rule="*"]');
    // The page's first range is the server's default (the county's last 30 days): the same call.
    const api = await rig.stack.getJson<{
      from: string;
      to: string;
      rows: {
        townshipCode: string;
        rule: string;
        alerts: number;
        mttaMs: number | null;
        workOrders: number;
      }[];
    }>(`/api/v1/reports/response`, {
      headers: rig.admin,
    });
    const total = api.body.rows.find((r) => r.townshipCode === 'chengguan' && r.rule === '*')!;
    expect(total.alerts).toBeGreaterThanOrEqual(1);
    expect(total.workOrders).toBeGreaterThanOrEqual(1);
    const row = '[data-test=report-row][data-township=chengguan][data-rule="*"]';
    expect(await page.textContent(`${row} [data-test=alerts]`)).toBe(String(total.alerts));
    expect(await page.textContent(`${row} [data-test=mtta]`)).toBe(formatDuration(total.mttaMs, 'zh-CN'));
    expect(await page.getAttribute('[data-test=monthly-csv]', 'href')).toBe(
      `/api/v1/reports/monthly.csv?month=${api.body.to.slice(0, 7)}`,
    );
    await shoot(page, rig.shots, 'reports');

    await page.click('[data-test=monthly-page]');
    await page.waitForURL(/\/app\/reports\/monthly\?month=\d{4}-\d\d/);
    await page.waitForSelector('[data-test=report-row]');
    expect(await page.textContent('[data-test=monthly-title]')).toBe(
      `城关镇 ${api.body.to.slice(0, 7)} 驿站维护月报`,
    );
    expect(await page.$('nav.tabs')).toBeNull();
    expect(await page.$('header.bar')).toBeNull();
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('[data-test=print]')).toBe(false);
    expect(await page.isVisible('[data-test=report]')).toBe(true);
    await page.emulateMedia({ media: 'screen' });
    await shoot(page, rig.shots, 'monthly');
  });
});
