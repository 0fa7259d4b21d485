/**
 * The riders' phone page's budget: under 100 KB transferred before the list of nearest stations
 * is on screen, measured by bench/phone-page.ts in Debian chromium throttled to a cheap phone on
 * 4G (Lighthouse's mobile profile, CPU 4×), cold cache, 390×844. The page's own chunk must not
 * carry the staff app's code: its files are only /m/ ones.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHEAP_PHONE_4G, measurePhonePage } from '../../bench/phone-page.js';
import { RIDER, startPhoneRig, type PhoneRig } from './phone-helpers.js';

const BUDGET_KB = 100;

let rig: PhoneRig;
beforeAll(async () => {
  rig = await startPhoneRig();
}, 180_000);
afterAll(() => rig?.close());

it(`transfers under ${BUDGET_KB} KB before the stations show, on ${CHEAP_PHONE_4G.name}`, async () => {
  const files: string[] = [];
  const page = await rig.chromium.ctx.newPage();
  page.on('request', (r) => files.push(new URL(r.url()).pathname));
  await page.goto(`${rig.base}/m/`);
  await page.close();
  expect(
    files.every((f) => f.startsWith('/m/') || f.startsWith('/api/v1/public/')),
    files.join(' '),
  ).toBe(true);

  const m = await measurePhonePage(rig.base, { ctx: rig.chromium.ctx, at: RIDER });
  console.log(
    `phone page: ${m.kb} KB before the first useful paint at ${m.firstPaintMs} ms (${CHEAP_PHONE_4G.name})`,
  );
  expect(m.kb).toBeLessThan(BUDGET_KB);
  // Something was measured: the page, its script and the list's answer at least.
  expect(m.kb).toBeGreaterThan(10);
  expect(m.firstPaintMs).toBeGreaterThan(3 * CHEAP_PHONE_4G.latencyMs);
}, 120_000);
