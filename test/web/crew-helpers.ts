/**
 * The crew pages' browser tests share this: a real stack (influxd, broker, server, the store in
 * memory) with st-001 in 城关镇 and st-002 in 新塘镇, a county admin for the API calls around the
 * browser, one Chromium, and pages opened at the phone size (360×740) before the login, so a crew
 * member lands on 我的工单 as on a real phone.
 */
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import { startChromium, type Chromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait.js';
import { twoTownships } from '../server/auth-helpers.js';
import { FakeStation, startStack, type Stack } from '../server/helpers.js';
import { PHONE, adminHeaders, ensureWebBuilt, screenshotDir } from './helpers.js';

setLogger({ error: () => {}, warn: () => {} });

export interface CrewRig {
  stack: Stack;
  chromium: Chromium;
  base: string;
  admin: Record<string, string>;
  shots: string;
  /** A new page at the phone size; closed by `reset`. */
  phonePage(): Promise<Page>;
  /** Close the pages and forget the cookies: the next test starts logged out. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startCrewRig(): Promise<CrewRig> {
  ensureWebBuilt();
  const { stations, townships } = twoTownships();
  const stack = await startStack({ stations, townships });
  const admin = await adminHeaders(stack.server.app);
  const chromium = await startChromium();
  const shots = screenshotDir();
  const pages: Page[] = [];
  return {
    stack,
    chromium,
    base: stack.server.url,
    admin,
    shots,
    async phonePage() {
      const page = await chromium.ctx.newPage();
      await page.setViewportSize(PHONE);
      // Under the test's own timeout, so a wait that fails names its selector.
      page.setDefaultTimeout(10_000);
      pages.push(page);
      return page;
    },
    async reset() {
      for (const p of pages.splice(0)) await p.close();
      await chromium.ctx.clearCookies();
    },
    async close() {
      await chromium.close();
      await stack.close();
      if (!process.env.YIZHAN_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
    },
  };
}

const stations = new Map<string, FakeStation>();

/** The heater of a station reports its failure (or its end), as the agent would: dispenser_broken. */
export async function setHeaterFault(stack: Stack, id: string, active: boolean): Promise<void> {
  let st = stations.get(id);
  if (!st) {
    st = new FakeStation(id);
    stations.set(id, st);
    await stack.pub.pub(id, 'status', st.status('online'), { retain: true });
  }
  await stack.pub.pub(id, 'events', st.fault('heater', 'heater_failure', active));
}

export interface ListedAlert {
  id: string;
  stationId: string;
  rule: string;
  status: string;
}

/** The firing alerts of a station, through the API, once there are `n`. */
export async function firingAt(rig: CrewRig, stationId: string, n = 1): Promise<ListedAlert[]> {
  return waitFor(`${n} firing alert(s) at ${stationId}`, async () => {
    const r = await rig.stack.getJson<{ alerts: ListedAlert[] }>(
      `/api/v1/alerts?state=firing&station=${stationId}`,
      { headers: rig.admin },
    );
    return r.status === 200 && r.body.alerts.length === n ? r.body.alerts : null;
  });
}

/** The texts of every element `selector` matches. */
export const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent?.trim() ?? ''));
