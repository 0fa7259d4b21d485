/**
 * The station screen never shows stale data as live (real browser, real broker, influxd and
 * server): a frozen server, a pulled serial cable, an offline station, a dispenser fault, closed
 * hours; and the subset web font that carries every Chinese character of the pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { setLogger } from '@influxdata/influxdb-client';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { startFreezeProxy, type FreezeProxy } from '../../helpers/freeze-proxy.js';
import { localMinuteOfDay } from '@yizhan/station-config/hours';
import { FakeStation, startStack, type Stack } from '../helpers.js';
import { stationFixture } from '../../helpers/station.js';

setLogger({ error: () => {}, warn: () => {} });

const HEARTBEAT_MS = 1000;
let stack: Stack | undefined;
let server: Stack['server'];
let proxy: FreezeProxy;
let pub: Stack['pub'];
let ctx: BrowserContext;
let chromium: Chromium | undefined;

/** "HH:MM" in China Standard Time, `min` minutes from now. */
function cst(min: number): string {
  const m = Math.floor(localMinuteOfDay(Date.now()) + min) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
const closedOpensAt = cst(120);
/** The notice of a closed station: the opening time, "明天" when that is after midnight. */
const tomorrow = localMinuteOfDay(Date.now()) + 120 >= 1440;
const closedNotice = {
  zh: `已闭站 · ${tomorrow ? '明天 ' : ''}${closedOpensAt} 开放`,
  en: `Station closed · Opens ${tomorrow ? 'tomorrow ' : ''}at ${closedOpensAt}`,
};

async function text(page: Page, id: string): Promise<string> {
  return (await page.textContent(`#${id}`))?.trim() ?? '';
}
async function until(page: Page, id: string, pred: (t: string) => boolean, what: string): Promise<void> {
  await expect.poll(() => text(page, id), { timeout: 15_000, message: what }).toSatisfy(pred);
}

function health(st: FakeStation, serial: 'up' | 'down', ts = Date.now()) {
  return {
    v: 1,
    stationId: st.id,
    bootId: st.bootId,
    seq: st.seq++,
    ts,
    agentVersion: '1.0.0',
    uptimeS: 600,
    rssBytes: 50_000_000,
    serial: { state: serial, port: '/dev/ttyYZ0', lastFrameAgeMs: 90_000, framesGood: 100, framesBad: {} },
  };
}

/** A station that is online with water ready, 4 of 10 seats taken, door closed. */
async function normal(st: FakeStation, ts = Date.now() - 1000): Promise<void> {
  await pub.pub(st.id, 'status', st.status('online', ts), { retain: true });
  await pub.pub(
    st.id,
    'telemetry',
    st.telemetry(
      [
        { sensor: 'occupancy', kind: 'occupancy', value: 4 },
        ...[0, 1, 0, 0].map((v, i) => ({ sensor: `socket-${i + 1}`, kind: 'socket_state', value: v })),
        { sensor: 'water-temp', kind: 'water_temp', value: 93 },
        { sensor: 'heater', kind: 'heater', value: 0 },
        { sensor: 'door', kind: 'door', value: 0 },
      ],
      ts,
    ),
  );
}

async function open(path: string, size = { width: 1920, height: 1080 }): Promise<Page> {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  await page.goto(`${proxy.url}${path}`);
  await page.waitForSelector('#conn[data-live="1"]', { timeout: 15_000 });
  return page;
}

beforeAll(async () => {
  stack = await startStack({
    sse: { heartbeatMs: HEARTBEAT_MS },
    stations: [
      stationFixture('st-001'),
      { ...stationFixture('st-002'), hours: `${closedOpensAt}-${cst(180)}` },
      stationFixture('st-003'),
      stationFixture('st-004'),
      stationFixture('st-005'),
    ],
  });
  ({ server, pub } = stack);
  const u = new URL(server.url);
  proxy = await startFreezeProxy({ host: u.hostname, port: Number(u.port) });
  chromium = await startChromium();
  ctx = chromium.ctx;
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await proxy?.close();
  await stack?.close();
});

describe('station screen states', () => {
  it('server frozen: says the connection is lost within ~3 heartbeats, live again only on fresh data', async () => {
    const st = new FakeStation('st-001');
    await normal(st);
    const page = await open('/screen/st-001');
    await until(page, 'water-state', (t) => t === '可用', 'water ready');
    expect(await text(page, 'conn')).toBe('实时');
    proxy.freeze();
    try {
      await until(page, 'notice', (t) => t.startsWith('连接中断 · 数据可能过时'), 'connection-lost notice');
      expect(await text(page, 'conn')).toBe('连接中断');
      expect(await text(page, 'online')).not.toBe('在线');
      expect(await text(page, 'water-state')).not.toBe('可用');
      expect(await page.getAttribute('body', 'data-stale')).toBe('1');
      // The notice says for how long the server has been silent.
      expect(await text(page, 'notice')).toMatch(/已 \d+ 秒无响应/);
      await pub.pub('st-001', 'events', st.state('door', 'door', 1));
    } finally {
      proxy.thaw();
    }
    // Back to live with the change made while frozen: the reconnect brought a fresh snapshot.
    await until(page, 'door', (t) => t === '开', 'door change made during the freeze');
    await until(page, 'conn', (t) => t === '实时', 'live again');
    expect(await text(page, 'notice')).toBe('');
    expect(await page.getAttribute('body', 'data-stale')).toBe('0');
    await page.close();
  });

  it('serial cable pulled: 最后更新 stays at the last reading and the screen says the sensors are disconnected', async () => {
    const st = new FakeStation('st-003');
    const t0 = Date.now() - 120_000;
    await normal(st, t0);
    const page = await open('/screen/st-003');
    const lastUpdate = (await text(page, 'last-update')).split(' (')[0];
    expect(await text(page, 'last-update')).toMatch(/\(2 分钟前\)$/);
    await pub.pub('st-003', 'health', health(st, 'down'));
    await until(page, 'notice', (t) => t.startsWith('传感器连接中断'), 'serial-down notice');
    expect(await text(page, 'notice')).toContain('数据停在 2 分钟前');
    expect((await text(page, 'last-update')).split(' (')[0]).toBe(lastUpdate);
    expect(await text(page, 'water-state')).toBe('最后已知');
    expect(await text(page, 'seats-total')).toContain('最后已知');
    expect(await page.getAttribute('body', 'data-stale')).toBe('1');
    await pub.pub('st-003', 'health', health(st, 'up'));
    await until(page, 'water-state', (t) => t === '可用', 'serial back up');
    expect(await text(page, 'notice')).toBe('');
    await page.close();
  });

  it('offline station: grey, no 可用, values marked as last known with their age', async () => {
    const st = new FakeStation('st-004');
    await normal(st, Date.now() - 5 * 60_000);
    const page = await open('/screen/st-004');
    expect(await text(page, 'water-state')).toBe('可用');
    await pub.pub('st-004', 'status', st.status('offline', Date.now(), 'will'), { retain: true });
    await until(page, 'notice', (t) => t.startsWith('驿站离线'), 'offline notice');
    expect(await text(page, 'notice')).toContain('数据停在 5 分钟前');
    expect(await text(page, 'online')).toBe('离线');
    expect(await text(page, 'water-state')).toBe('最后已知');
    expect(await text(page, 'seats-total')).toBe('共 10 · 最后已知');
    expect(await page.getAttribute('body', 'data-stale')).toBe('1');
    const seatColour = await page.$eval('#free-seats', (el) => getComputedStyle(el).color);
    expect(seatColour).toBe('rgb(167, 177, 189)'); // grey, not white or green
    await page.close();
  });

  it('dispenser fault: the water tile says 热水器故障 in large type; the temperature is demoted', async () => {
    const st = new FakeStation('st-005');
    await normal(st);
    const page = await open('/screen/st-005');
    await pub.pub('st-005', 'events', st.fault('heater', 'heater_failure', true));
    await until(page, 'water-temp', (t) => t === '热水器故障', 'fault text');
    expect(await text(page, 'water-state')).toBe('加热故障 · 水温 93°C');
    const size = (id: string) => page.$eval(`#${id}`, (el) => parseFloat(getComputedStyle(el).fontSize));
    expect(await size('water-temp')).toBeGreaterThanOrEqual(80);
    expect(await size('water-temp')).toBeGreaterThan(2 * (await size('water-state')));
    expect(await page.getAttribute('#tile-water', 'data-state')).toBe('fault');
    await pub.pub('st-005', 'events', st.fault('heater', 'heater_failure', false));
    await until(page, 'water-temp', (t) => t === '93°C', 'fault cleared');
    await page.close();
  });

  it('outside opening hours: 已闭站 and the opening time, no free seats advertised (screen and list)', async () => {
    const st = new FakeStation('st-002');
    await normal(st);
    const page = await open('/screen/st-002');
    expect(await text(page, 'free-seats')).toBe('已闭站');
    expect(await text(page, 'free-sockets')).toBe('—');
    expect(await text(page, 'notice')).toBe(closedNotice.zh);
    expect(await text(page, 'water-state')).toBe('已闭站'); // hot water is not on offer either
    await page.goto(`${proxy.url}/screen/st-002?lang=en`);
    await page.waitForSelector('#conn[data-live="1"]');
    expect(await text(page, 'free-seats')).toBe('Station closed');
    expect(await text(page, 'notice')).toBe(closedNotice.en);
    await page.goto(`${proxy.url}/`);
    const row = await page.locator('tbody tr', { hasText: 'st-002' }).locator('td').allTextContents();
    expect(row.slice(3, 5).map((t) => t.trim())).toEqual(['已闭站', '— / 10']);
    await page.close();
  });
});

describe('web font', () => {
  it('the pages load the subset font, served with a year-long immutable cache', async () => {
    const page = await ctx.newPage();
    const fontResponses: { url: string; cache: string | undefined; type: string | undefined }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/assets/fonts/'))
        fontResponses.push({
          url: r.url(),
          cache: r.headers()['cache-control'],
          type: r.headers()['content-type'],
        });
    });
    await page.goto(`${proxy.url}/screen/st-001`);
    const loaded = await page.evaluate(async () => {
      await document.fonts.ready;
      const out: string[] = [];
      document.fonts.forEach((f) => {
        if (f.status === 'loaded') out.push(`${f.family} ${f.weight}`);
      });
      return out;
    });
    expect(loaded).toContain('YizhanSC 600 900');
    expect(await page.evaluate(() => document.fonts.check('700 40px YizhanSC', '暖新驿站热水器故障'))).toBe(
      true,
    );
    expect(fontResponses.length).toBeGreaterThan(0);
    for (const r of fontResponses) {
      expect(r.url).toMatch(/\/assets\/fonts\/yizhan-sc-(regular|bold)\.[0-9a-f]{12}\.woff2$/);
      expect(r).toMatchObject({ cache: 'public, max-age=31536000, immutable', type: 'font/woff2' });
    }
    expect((await fetch(`${server.url}/assets/fonts/nope.woff2`)).status).toBe(404);
    await page.close();
  });
});
