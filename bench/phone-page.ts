/**
 * The riders' phone page (/m/) on a cheap phone on 4G: bytes transferred before the first useful
 * paint (the list of nearest stations on screen) and when that paint came, in Debian chromium
 * (playwright-core) with the network and the CPU throttled through the DevTools protocol.
 *
 * The profile is Lighthouse's mobile one ("Slow 4G", a mid-to-low-end Android phone), with the
 * values DevTools applies per request: 562.5 ms round trip (150 ms RTT × 3.75), 1.47 Mbit/s
 * down (1.6 × 0.9), 675 kbit/s up (750 × 0.9), CPU 4× slower. Cold cache: every file is fetched.
 *
 * `measurePhonePage(baseUrl)` is used by the budget test (test/web/phone-budget.int.test.ts) and
 * by bench:screens (`phonePageKb`). The rider stands at `PHONE_RIDER` unless told otherwise, with
 * the location allowed, so the list is the one measured from them.
 */
import type { BrowserContext } from 'playwright-core';
import { startChromium } from '../test/helpers/browser.js';

export const CHEAP_PHONE_4G = {
  name: 'Lighthouse mobile, Slow 4G (DevTools throttling), CPU 4×',
  latencyMs: 562.5,
  downloadKbitPerS: 1474.56,
  uploadKbitPerS: 675,
  cpuSlowdown: 4,
} as const;

/** The sample county's centre (firmware-config/stations lie around it), WGS-84. */
export const PHONE_RIDER = { lat: 30.0, lon: 119.85 };
export const PHONE_VIEWPORT = { width: 390, height: 844 };
/** The page's User Timing mark for the first frame showing the stations (web/src/phone/painted.ts). */
export const LIST_MARK = 'yz-list';

export interface PhonePageMeasure {
  /** KiB over the wire (headers and bodies, compressed as sent) of every response finished by the paint. */
  kb: number;
  /** From the start of the navigation to the first frame showing the list of stations. */
  firstPaintMs: number;
}

export interface MeasureOptions {
  /** The page's path and query (default `/m/`). */
  path?: string;
  /** Where the rider stands (default PHONE_RIDER). */
  at?: { lat: number; lon: number };
  /** A browser to use (a fresh one is started and closed otherwise). */
  ctx?: BrowserContext;
  timeoutMs?: number;
}

export async function measurePhonePage(baseUrl: string, o: MeasureOptions = {}): Promise<PhonePageMeasure> {
  const own = o.ctx ? null : await startChromium();
  const ctx = o.ctx ?? own!.ctx;
  const at = o.at ?? PHONE_RIDER;
  try {
    await ctx.grantPermissions(['geolocation'], { origin: new URL(baseUrl).origin });
    await ctx.setGeolocation({ latitude: at.lat, longitude: at.lon, accuracy: 20 });
    const page = await ctx.newPage();
    try {
      await page.setViewportSize(PHONE_VIEWPORT);
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: CHEAP_PHONE_4G.latencyMs,
        downloadThroughput: (CHEAP_PHONE_4G.downloadKbitPerS * 1024) / 8,
        uploadThroughput: (CHEAP_PHONE_4G.uploadKbitPerS * 1024) / 8,
      });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: CHEAP_PHONE_4G.cpuSlowdown });
      await page.goto(new URL(o.path ?? '/m/', baseUrl).toString(), { timeout: o.timeoutMs ?? 60_000 });
      await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, LIST_MARK, {
        timeout: o.timeoutMs ?? 60_000,
        polling: 50,
      });
      const m = await page.evaluate((mark) => {
        const paint = performance.getEntriesByName(mark)[0]!.startTime;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const before = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(
          (r) => r.responseEnd <= paint,
        );
        return { paint, bytes: nav.transferSize + before.reduce((n, r) => n + r.transferSize, 0) };
      }, LIST_MARK);
      await cdp.detach();
      return { kb: Math.round((m.bytes / 1024) * 10) / 10, firstPaintMs: Math.round(m.paint) };
    } finally {
      await page.close();
    }
  } finally {
    await own?.close();
  }
}

/** `npx tsx bench/phone-page.ts <baseUrl> [path]`: one measurement of a running server, as JSON. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const [base = 'http://127.0.0.1:8080', path] = process.argv.slice(2);
  console.log(JSON.stringify({ profile: CHEAP_PHONE_4G, ...(await measurePhonePage(base, { path })) }));
}
