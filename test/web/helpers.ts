/**
 * The staff web app in a real browser: web/dist built once when stale (scripts/lib/web-build.ts,
 * as `npm start` does), people made through the real users API by a county admin, logging in
 * through the login page, and screenshots at phone and desktop sizes.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../../scripts/lib/web-build.js';
import { laidOut } from '../helpers/browser.js';
import type { Grant } from '@yizhan/server/roles';
import { addTestUser, sessionHeaders } from '../server/auth-helpers.js';

export { ensureWebBuilt };

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 860 };
/** The menu, in order, of someone who may open every page (a county admin, a township manager). */
export const FULL_MENU = ['我的工单', '总览', '告警', '全部工单', '报表', '规划', '随手拍', '通知', '用户管理', '审计日志', '我的账号'];

export interface Person {
  id: number;
  login: string;
  password: string;
}

/** A county admin made in the store, for the API calls a test makes around the browser. */
export async function adminHeaders(app: FastifyInstance): Promise<Record<string, string>> {
  const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }], 'county-admin');
  return sessionHeaders(app, admin);
}

/** A person with a password, added through POST /api/v1/users as the admin would. */
export async function addPerson(
  app: FastifyInstance,
  admin: Record<string, string>,
  login: string,
  displayName: string,
  grants: Grant[],
): Promise<Person> {
  const password = `${login}-Passwort-1`;
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: admin,
    payload: { login, displayName, grants, password },
  });
  expect(r.statusCode, r.body).toBe(201);
  return { id: r.json<{ user: { id: number } }>().user.id, login, password };
}

/** Log in through the page; resolves on the first page after the login. */
export async function logIn(page: Page, base: string, login: string, password: string): Promise<void> {
  await page.goto(`${base}/app/`);
  await page.waitForURL(/\/app\/login/);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.click('[data-test=login-submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/app/login'));
}

/** Whether screenshots are kept (YIZHAN_SCREENSHOTS=<folder>): only then does {@link shoot} take them. */
export const keepScreenshots = (): boolean => Boolean(process.env.YIZHAN_SCREENSHOTS);

/** The folder screenshots go to: YIZHAN_SCREENSHOTS when set (kept), else a new temp folder. */
export function screenshotDir(): string {
  const dir = process.env.YIZHAN_SCREENSHOTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  return mkdtempSync(join(tmpdir(), 'yz-web-shots-'));
}

/**
 * Check that nothing makes `page` scroll sideways at the phone size (a crew member on the road
 * would have to), then show it at the desktop size; with YIZHAN_SCREENSHOTS, a full-page screenshot
 * at each size. Without it none is taken: two full-page PNGs per call cost about 2 s on the 2-core
 * CI machine, for files nobody looks at. Either way the page is left at the desktop size.
 */
export async function shoot(page: Page, dir: string, name: string): Promise<void> {
  for (const [size, vp] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(vp);
    await laidOut(page);
    if (size === 'phone') {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(wide, `${name}: page wider than the phone`).toBeLessThanOrEqual(PHONE.width);
    }
    if (keepScreenshots()) await page.screenshot({ path: join(dir, `${name}-${size}.png`), fullPage: true });
  }
}
