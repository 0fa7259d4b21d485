/**
 * The staff web app (web/, served at /app/) in Debian chromium against a real server (influxd,
 * broker, server, the operations store in memory): log in, see only one's own township, change
 * the password, log out, a disabled user thrown out at the next request, and every page at phone
 * and desktop size (YIZHAN_SCREENSHOTS=<folder> keeps the screenshots).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { twoTownships } from '../server/auth-helpers.js';
import { waitFor } from '../helpers/wait.js';
import { FakeStation, startStack, type Stack } from '../server/helpers.js';
import { FULL_MENU, addPerson, adminHeaders, ensureWebBuilt, logIn, screenshotDir, shoot } from './helpers.js';

setLogger({ error: () => {}, warn: () => {} });

let stack: Stack | undefined;
let chromium: Chromium | undefined;
let base: string;
let admin: Record<string, string>;
let shots: string;
const pages: Page[] = [];

/** A dispenser_broken alert at each station: st-001 in 城关镇, st-002 in 新塘镇. */
async function fireAlerts(s: Stack): Promise<void> {
  for (const id of ['st-001', 'st-002']) {
    const st = new FakeStation(id);
    await s.pub.pub(id, 'status', st.status('online'), { retain: true });
    await s.pub.pub(id, 'events', st.fault('heater', 'heater_failure', true));
  }
  await waitFor('both alerts stored', async () => {
    const r = await s.getJson<{ alerts: unknown[] }>('/api/v1/alerts', { headers: admin });
    return r.status === 200 && r.body.alerts.length === 2;
  });
}

async function newPage(): Promise<Page> {
  const page = await chromium!.ctx.newPage();
  pages.push(page);
  return page;
}

/** The secret a shown-once box shows. */
async function shownOnce(page: Page): Promise<string> {
  const secret = (await page.textContent('[data-test=shown-once] [data-test=secret]'))?.trim() ?? '';
  expect(secret.length).toBeGreaterThanOrEqual(10);
  return secret;
}

let checks = 0;
/**
 * The status of a login with these credentials through the API, each from its own address: the
 * browser's logins from 127.0.0.1 use up that address's rate limit (10 a minute) on their own.
 */
async function logsIn(login: string, password: string): Promise<number> {
  const r = await stack!.server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login, password },
    remoteAddress: `192.0.2.${++checks}`,
  });
  return r.statusCode;
}

const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent?.trim() ?? ''));

beforeAll(async () => {
  ensureWebBuilt();
  const { stations, townships } = twoTownships();
  stack = await startStack({ stations, townships });
  base = stack.server.url;
  admin = await adminHeaders(stack.server.app);
  await fireAlerts(stack);
  chromium = await startChromium();
  shots = screenshotDir();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.close();
  if (shots && !process.env.YIZHAN_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
});

beforeEach(async () => {
  // One browser, one person at a time: every test starts logged out.
  for (const p of pages.splice(0)) await p.close();
  await chromium!.ctx.clearCookies();
});

describe('staff web app', () => {
  it('logs a township manager in and shows only their township: its card and its alerts', async () => {
    const wang = await addPerson(stack!.server.app, admin, 'wang.cg', '王经理', [
      { role: 'township_manager', scope: 'chengguan' },
    ]);
    const page = await newPage();
    await logIn(page, base, wang.login, wang.password);
    expect(await page.textContent('h1')).toBe('总览');
    expect(await texts(page, 'nav a')).toEqual(FULL_MENU);
    await page.waitForSelector('[data-test=township-card]');
    expect(
      await page.$$eval('[data-test=township-card]', (els) => els.map((e) => e.getAttribute('data-code'))),
    ).toEqual(['chengguan']);
    expect(await page.textContent('[data-test=township-card] h2')).toContain('城关镇');

    await page.click('[data-test=nav-alerts]');
    await page.waitForSelector('[data-test=alert]');
    const shown = await texts(page, '[data-test=alert] h3');
    expect(shown).toHaveLength(1);
    expect(shown[0]).toContain('st-001');
  });

  it('changes the password; then only the new one logs in', async () => {
    const li = await addPerson(stack!.server.app, admin, 'li.crew', '李师傅', [
      { role: 'crew_member', scope: 'chengguan' },
    ]);
    const page = await newPage();
    await logIn(page, base, li.login, li.password);
    await page.click('[data-test=nav-account]');
    const next = 'a-new-Passwort-2';
    await page.fill('input[name=current]', li.password);
    await page.fill('input[name=next]', next);
    await page.fill('input[name=repeat]', next);
    await page.click('[data-test=password-form] button[type=submit]');
    await page.waitForSelector('[data-test=password-changed]');
    await page.click('[data-test=logout]');
    await page.waitForURL(/\/app\/login\?reason=logout/);

    await page.fill('input[name=login]', li.login);
    await page.fill('input[name=password]', li.password);
    await page.click('[data-test=login-submit]');
    await page.waitForSelector('[data-test=error]');
    expect(page.url()).toContain('/app/login');

    await page.fill('input[name=password]', next);
    await page.click('[data-test=login-submit]');
    await page.waitForURL((u) => !u.pathname.startsWith('/app/login'));
    expect(await page.textContent('h1')).toBe('总览');
  });

  it('logs out: back to the login page, and the old session cookie no longer works', async () => {
    const zhou = await addPerson(stack!.server.app, admin, 'zhou.view', '周查看', [
      { role: 'viewer', scope: 'xintang' },
    ]);
    const page = await newPage();
    await logIn(page, base, zhou.login, zhou.password);
    const cookie = (await chromium!.ctx.cookies(base)).find((c) => c.name === 'yizhan_session');
    expect(cookie?.httpOnly).toBe(true);
    const asBefore = { cookie: `yizhan_session=${cookie!.value}` };
    expect((await fetch(`${base}/api/v1/auth/me`, { headers: asBefore })).status).toBe(200);

    await page.click('[data-test=logout]');
    await page.waitForURL(/\/app\/login\?reason=logout/);
    expect(await page.textContent('[data-test=notice]')).toContain('已退出登录');
    expect((await fetch(`${base}/api/v1/auth/me`, { headers: asBefore })).status).toBe(401);
    await page.goto(`${base}/app/alerts`);
    await page.waitForURL(/\/app\/login/);
  });

  it('throws a disabled user out at their next request, with a message', async () => {
    const sun = await addPerson(stack!.server.app, admin, 'sun.lead', '孙组长', [
      { role: 'crew_lead', scope: 'chengguan' },
    ]);
    const page = await newPage();
    await logIn(page, base, sun.login, sun.password);
    await page.waitForSelector('[data-test=township-card]');
    const r = await stack!.server.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${sun.id}`,
      headers: admin,
      payload: { disabled: true },
    });
    expect(r.statusCode, r.body).toBe(200);

    await page.click('[data-test=nav-alerts]');
    await page.waitForURL(/\/app\/login\?reason=expired/);
    expect(await page.textContent('[data-test=notice]')).toContain('会话已结束，请重新登录');
  });

  it('shows every page at phone and desktop size; acks and comments an alert, makes a token, adds a user, resets a password', async () => {
    const zhao = await addPerson(stack!.server.app, admin, 'zhao.admin', '赵管理员', [
      { role: 'county_admin', scope: 'county' },
    ]);
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.click('[data-test=staff-login]');
    await page.waitForSelector('[data-test=login-submit]');
    expect(new URL(page.url()).pathname).toBe('/app/login');
    await shoot(page, shots, 'login');
    await page.click('[data-test=lang]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Staff login');
    await page.reload();
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Staff login');
    await shoot(page, shots, 'login-en');
    await page.click('[data-test=lang]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === '管理登录');

    await logIn(page, base, zhao.login, zhao.password);
    await page.waitForSelector('[data-test=township-card][data-code=xintang]');
    await shoot(page, shots, 'overview');

    await page.click('[data-test=nav-alerts]');
    await page.waitForSelector('[data-test=alert]');
    expect(await page.$$eval('[data-test=alert]', (els) => els.length)).toBe(2);
    await shoot(page, shots, 'alerts');

    await page.click('[data-test=alert] h3 a');
    await page.waitForSelector('[data-test=event]');
    await page.click('[data-test=ack]');
    await page.waitForSelector('[data-test=acked]');
    await page.fill('textarea[name=comment]', '已通知维修人员，预计下午到场');
    await page.click('form button[type=submit]');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('[data-test=event]')).some((e) =>
        e.textContent?.includes('预计下午到场'),
      ),
    );
    await shoot(page, shots, 'alert');

    await page.click('[data-test=nav-account]');
    await page.waitForSelector('[data-test=token-form]');
    await page.fill('input[name=tokenName]', '巡检脚本');
    await page.check('input[type=checkbox][value="station:read"]');
    await page.click('[data-test=token-form] button[type=submit]');
    const token = (await page.textContent('[data-test=shown-once] [data-test=secret]'))?.trim() ?? '';
    expect(
      (await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await page.waitForSelector('[data-test=token]');
    await shoot(page, shots, 'account');

    await page.click('[data-test=nav-users]');
    await page.waitForSelector('[data-test=user][data-login="zhao.admin"]');
    await page.click('[data-test=add-user]');
    await page.fill('[data-test=user-form] input[name=login]', 'qian.crew');
    await page.fill('[data-test=user-form] input[name=displayName]', '钱师傅');
    await page.click('[data-test=user-form] button[type=submit]');
    const first = await shownOnce(page);
    await page.waitForSelector('[data-test=user][data-login="qian.crew"]');
    expect(await logsIn('qian.crew', first)).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-test=user][data-login="qian.crew"] [data-test=reset-password]');
    await page.waitForFunction(
      (old) =>
        document.querySelector('[data-test=shown-once] [data-test=secret]')?.textContent?.trim() !== old,
      first,
    );
    const reset = await shownOnce(page);
    expect(await logsIn('qian.crew', first)).toBe(401);
    expect(await logsIn('qian.crew', reset)).toBe(200);
    await shoot(page, shots, 'users');

    await page.click('[data-test=nav-audit]');
    await page.waitForSelector('[data-test=audit-entry]');
    const actions = await page.$$eval('[data-test=audit-entry] [data-action]', (els) =>
      els.map((e) => [e.getAttribute('data-action'), e.textContent?.trim()]),
    );
    expect(actions).toContainEqual(['alert.ack', '确认告警 alert.ack']);
    expect(actions).toContainEqual(['user.add', '添加用户 user.add']);
    await shoot(page, shots, 'audit');
  });
});
