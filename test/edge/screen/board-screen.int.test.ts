/**
 * The station screen served by the board, end to end: the real agent process (edge/src/main.ts
 * with --screen-port) on a socat PTY, the simulated controller on the other end, no server at all
 * and the broker unreachable (a closed port), the page in Debian chromium.
 *
 * 1. the screen keeps updating: a door the simulator opens shows 开 on the screen;
 * 2. the controller stops: within the frame timeout (3 s here) plus a second the screen says
 *    "传感器连接中断 · 暂停更新 · 数据停在 …" and greys its values;
 * 3. the service worker keeps the shell: with the agent's HTTP server gone (the agent stopped),
 *    a reload shows the cached page in the "连接中断 · 暂停更新" state, not the browser's error
 *    page; with the agent back, the page goes live again by itself;
 * 4. the union's notice, fetched from the (fake) server's public read while it answered, shows
 *    with its end time, and stays after a restart with the server gone (the kept copy);
 * 5. nearby stations with free sockets, fetched from the server while it answers, show with
 *    direction and distance, with the QR code to the phone page at the public URL; with the server
 *    gone they grey with their age past the staleness limit (4 s here), and after a restart
 *    without it the block says it has no data and shows no numbers.
 *
 * YIZHAN_SCREENSHOTS=<folder> keeps the screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Page } from 'playwright-core';
import { StationSimulator } from '@yizhan/edge/simulator';
import { startPtyPair, type PtyPair } from '../../../scripts/lib/socat.js';
import { freePort, waitForPort } from '../../../scripts/lib/ports.js';
import { startChromium, type Chromium } from '../../helpers/browser.js';
import { readQrPng } from '../../helpers/qr.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { stationFixture } from '../../helpers/station.js';
import { screenshotDir } from '../../web/helpers.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const ID = 'st-871';
const FRAME_TIMEOUT_MS = 3000;
const station = { ...stationFixture(ID, { frameTimeout: '3s' }), sample: undefined };

const cleanups = new Cleanups();
let dir: string;
let pty: PtyPair;
let sim: StationSimulator;
let chromium: Chromium;
let page: Page;
let port: number;
let mqttPort: number;
let agent: ChildProcess | undefined;
const NEARBY_STALE_MS = 4000;
const PUBLIC_URL = 'https://yizhan.example.cn';
/** The server's nearby answer: one station with free sockets, one without (not shown). */
const nearbyStation = (id: string, free: number, distanceM: number, direction: string) => ({
  id,
  name: `测试${id.slice(-3)}号驿站`,
  nameEn: `Test Station ${id.slice(-3)}`,
  distanceM,
  direction,
  has: free > 0,
  sockets: { total: 4, free },
});
/** The server's public notices and nearby reads, as the board sees them; `stop()` takes them away. */
let notices: { port: number; stop(): Promise<void> };
const NOTICE = {
  id: 7,
  scope: { stationId: ID },
  kind: 'weather',
  severity: 'warning',
  title: { 'zh-CN': '暴雨黄色预警', en: null },
  body: { 'zh-CN': '今晚有暴雨，驿站延长开放。', en: null },
  startsAt: Date.now() - 60_000,
  endsAt: Date.now() + 3_600_000,
};

async function startNoticesServer(): Promise<typeof notices> {
  const srv = createServer((req, res) => {
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === `/api/v1/public/stations/${ID}/notices`)
      return json({ stationId: ID, notices: [NOTICE] });
    if (req.url === `/api/v1/public/stations/nearby?near=${ID}&need=socket&limit=3&lang=zh-CN`)
      return json({
        generatedAt: Date.now(),
        stations: [nearbyStation('st-872', 3, 1234, 'NE'), nearbyStation('st-873', 0, 1500, 'S')],
      });
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port: p } = srv.address() as AddressInfo;
  return { port: p, stop: () => new Promise<void>((r) => srv.close(() => r())) };
}
const shots = screenshotDir();

function startAgentProcess(): ChildProcess {
  // The agent refuses YIZHAN_ variables it does not know, and this one is the test's.
  const { YIZHAN_SCREENSHOTS: _shots, ...env } = process.env;
  const p = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'edge/src/main.ts',
      ...['--station', ID, '--stations-dir', join(dir, 'stations'), '--password-file', join(dir, 'pw')],
      ...['--mqtt', `mqtt://127.0.0.1:${mqttPort}`, '--serial-path', pty.agentPath],
      ...['--state-dir', join(dir, 'state'), '--screen-port', String(port)],
      ...['--screen-notices-from', `http://127.0.0.1:${notices.port}`],
      ...['--screen-nearby-stale-after', `${NEARBY_STALE_MS}ms`, '--screen-public-url', PUBLIC_URL],
    ],
    { cwd: ROOT, env: { ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return p;
}

async function stopAgentProcess(): Promise<void> {
  const p = agent;
  agent = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
}

const nearbyRows = () =>
  page.$$eval('#nearby-list .nb', (rows) =>
    rows.map((r) => [
      r.getAttribute('data-id'),
      ...['.nb-count', '.nb-name', '.nb-where'].map((c) => r.querySelector(c)?.textContent),
    ]),
  );
const text = async (id: string): Promise<string> => (await page.textContent(`#${id}`))?.trim() ?? '';
/** Wait until the element's text matches `pattern`. */
const until = (id: string, pattern: RegExp, timeout: number) =>
  page.waitForFunction(
    ([el, src]) => new RegExp(src).test(document.getElementById(el)?.textContent?.trim() ?? ''),
    [id, pattern.source] as const,
    { timeout, polling: 100 },
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yz-board-screen-'));
  cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
  const stations = join(dir, 'stations');
  mkdirSync(stations);
  writeFileSync(join(stations, `${ID}.yaml`), stringify(station));
  writeFileSync(join(dir, 'pw'), 'secret\n');
  pty = await startPtyPair(dir);
  cleanups.add('socat', () => pty.stop());
  // Nothing listens there: the broker is unreachable, and there is no server at all.
  mqttPort = await freePort();
  port = await freePort();
  notices = await startNoticesServer();
  cleanups.add('notices server', () => notices.stop());
  agent = startAgentProcess();
  cleanups.add('agent', () => stopAgentProcess());
  await waitForPort(port, '127.0.0.1', 30_000);
  sim = new StationSimulator(station, { seed: 7, speed: 5 });
  cleanups.add('simulator', () => sim.stop());
  await sim.attachToPath(pty.devicePath);
  sim.start();
  chromium = await startChromium();
  cleanups.add('chromium', () => chromium.close());
  page = await chromium.ctx.newPage();
  await page.setViewportSize({ width: 1920, height: 1080 });
}, 90_000);

afterAll(() => cleanups.run());

describe('the board serves the station screen (no server, broker unreachable)', () => {
  it('keeps updating from the controller: the door opens and closes on the screen', async () => {
    await page.goto(`http://localhost:${port}/`);
    expect(await text('name')).toBe('测试871号驿站');
    await page.waitForSelector('#conn[data-live="1"]', { timeout: 10_000 });
    // The first readings arrive over the serial link.
    await until('free-seats', /^\d+$/, 10_000);
    expect(await text('online')).toBe('在线');
    // The union's notice, fetched from the server while it answered.
    await page.waitForSelector('#notices .nt[data-id="7"]', { timeout: 10_000 });
    expect(await page.textContent('#notices .nt h3')).toBe('天气预警暴雨黄色预警');
    expect(await page.textContent('#notices .nt .until')).toMatch(/^至 \d\d\/\d\d \d\d:\d\d$/);
    // Nearby stations with free sockets, from the server, and the QR code to the phone page.
    await page.waitForSelector('#nearby-list .nb', { timeout: 10_000 });
    expect(await nearbyRows()).toEqual([['st-872', '3', '测试872号驿站', '东北 1.2 km']]);
    expect(await page.getAttribute('#nearby', 'data-stale')).toBe('0');
    expect(await page.getAttribute('#qr', 'data-url')).toBe(`${PUBLIC_URL}/m/?station=${ID}`);
    expect(readQrPng(await page.locator('#qr svg').screenshot())).toBe(`${PUBLIC_URL}/m/?station=${ID}`);
    sim.setDoor(true);
    await until('door', /^开$/, 5000);
    sim.setDoor(false);
    await until('door', /^关$/, 5000);
    expect(await text('notice')).toBe('');
    expect(await page.getAttribute('body', 'data-stale')).toBe('0');
    await page.screenshot({ path: join(shots, 'board-screen-live.png') });
  });

  it('registers the service worker on localhost', async () => {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 10_000,
    });
    const sw = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
    expect(sw).toBe(`http://localhost:${port}/sw.js`);
  });

  it('shows 暂停更新 and the age of the data, values greyed, when the controller stops', async () => {
    const before = await text('free-seats');
    const t0 = Date.now();
    await sim.stop();
    await until('notice', /^传感器连接中断 · 暂停更新 · 数据停在 \d+ 秒前$/, FRAME_TIMEOUT_MS + 5000);
    const shownAfterMs = Date.now() - t0;
    expect(shownAfterMs).toBeLessThan(FRAME_TIMEOUT_MS + 2000);
    expect(await page.getAttribute('body', 'data-stale')).toBe('1');
    expect(await text('seats-total')).toContain('最后已知');
    expect(await text('free-seats')).toBe(before);
    const grey = await page.$eval('#free-seats', (el) => getComputedStyle(el).color);
    expect(grey).toBe('rgb(167, 177, 189)');
    await page.screenshot({ path: join(shots, 'board-screen-paused.png') });
    console.log(
      `board screen: 暂停更新 shown ${shownAfterMs} ms after the controller stopped (frame timeout ${FRAME_TIMEOUT_MS} ms)`,
    );
  });

  it('greys nearby stations with their age once the server is gone past the staleness limit', async () => {
    const t0 = Date.now();
    await notices.stop();
    // Live-looking until then: the board asks every second, the page every second.
    expect(await page.getAttribute('#nearby', 'data-stale')).toBe('0');
    await page.waitForSelector('#nearby[data-stale="1"]', { timeout: NEARBY_STALE_MS + 10_000 });
    const greyAfterMs = Date.now() - t0;
    expect(await text('nearby-note')).toMatch(/^数据停在 \d+ 秒前 · 暂停更新$/);
    expect(await nearbyRows()).toEqual([['st-872', '3', '测试872号驿站', '东北 1.2 km']]);
    expect(await page.$eval('.nb-count', (el) => getComputedStyle(el).color)).toBe('rgb(167, 177, 189)');
    await page.screenshot({ path: join(shots, 'board-screen-nearby-stale.png') });
    console.log(
      `board screen: nearby greyed ${greyAfterMs} ms after the server went (limit ${NEARBY_STALE_MS} ms)`,
    );
  });

  it('reloads from the service worker while the agent is away, and goes live again when it is back', async () => {
    await stopAgentProcess();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await page.reload();
    expect(await text('name')).toBe('测试871号驿站');
    await until('notice', /^连接中断 · 数据可能过时 · 暂停更新 · /, 5000);
    expect(await text('conn')).toBe('连接中断');
    expect(await page.getAttribute('body', 'data-stale')).toBe('1');
    // The web font came from the cache too: the name is drawn with it, not a system font.
    expect(await page.evaluate(() => document.fonts.check('700 40px YizhanSC', '驿站'))).toBe(true);
    await page.screenshot({ path: join(shots, 'board-screen-offline-shell.png') });

    agent = startAgentProcess();
    await waitForPort(port, '127.0.0.1', 30_000);
    await page.waitForSelector('#conn[data-live="1"]', { timeout: 15_000 });
    expect(await text('online')).toBe('在线');
    // The notice stays, from the copy the agent kept in its state folder.
    await page.reload();
    await page.waitForSelector('#conn[data-live="1"]', { timeout: 15_000 });
    expect(await page.textContent('#notices .nt h3')).toBe('天气预警暴雨黄色预警');
    // Nearby availability is not kept across restarts: no numbers, a note instead.
    await until('nearby-note', /^附近驿站暂无数据$/, 5000);
    expect(await nearbyRows()).toEqual([]);
  });
});
