/**
 * Headless Debian Chromium for page tests, driven by playwright-core, with the flags this machine
 * needs (no sandbox as root; no background networking, which the closed network would refuse) and
 * a fresh profile folder per launch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launch Chromium with its profile in `profileDir` (which must be new and is left for the caller to remove). */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

export interface Chromium {
  ctx: BrowserContext;
  /** Close the browser and remove its profile folder. */
  close(): Promise<void>;
}

/** Launch Chromium with a fresh profile in a temporary folder. */
export async function startChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'yz-chromium-'));
  try {
    const ctx = await launchChromium(profile);
    return {
      ctx,
      async close() {
        await ctx.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Wait until `page` looks as its user would see it next: web fonts loaded, and two frames drawn, so
 * that what runs before a paint (resize events, ResizeObservers: a chart fitting a narrower window)
 * has run. Measure a layout after this, never right after `setViewportSize`.
 */
export async function laidOut(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
  });
}
