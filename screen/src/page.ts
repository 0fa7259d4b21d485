/**
 * The station screen `/screen/:stationId`: four big tiles (free seats, free sockets, hot water,
 * door), online badge, the union's notices (notices.ts), a notice line for anything that makes the values untrustworthy (no
 * connection, station offline, sensors disconnected, closed), and the time of the last reading,
 * updated live from `/api/v1/events` (script.ts). One HTML document with inline CSS and JS; the
 * only other request is the subset web font (font.ts). The server serves it for every station, the
 * edge agent for its own (edge/src/screen/). Fits a 1080p kiosk (2×2 tiles filling
 * the screen) and a phone (one column).
 */
import type { Lang, ScreenText } from './text.js';
import type { StationLive } from './schema.js';
import { escapeHtml, jsonForScript } from './html.js';
import { screenCss } from './style.js';
import { SCREEN_JS } from './script.js';
import { NOTICES_CSS, NOTICE_TEXT, renderNotices } from './notices.js';
import type { PublicNotice } from './notice-schema.js';

export interface ScreenPageOptions {
  /** SSE heartbeat interval: the page calls the connection lost after 2.5 of them without an event. */
  heartbeatMs: number;
  /** `@font-face` rules of the web font (font.ts). */
  fontCss: string;
  /** Server time of rendering, Unix ms. */
  now: number;
  /** The union's notices showing now at this station (notices/board.ts), in screen order. */
  notices: readonly PublicNotice[];
  /**
   * The board's screen: the page and the agent share one machine and its clock (no skew from the
   * heartbeat), and this service worker (service-worker.ts) keeps the page shell for when the
   * agent's HTTP server is away. The server's screen has neither.
   */
  board?: { serviceWorker: string };
}

/** Times on the screen are China Standard Time, like the opening hours in the station files. */
export const SCREEN_TIME_ZONE = 'Asia/Shanghai';

/** A notice's end as the screen shows it: month, day, hours and minutes in China Standard Time. */
function noticeTime(ms: number, lang: Lang): string {
  return new Date(ms).toLocaleString(lang, {
    timeZone: SCREEN_TIME_ZONE,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

export function renderScreen(s: StationLive, lang: Lang, t: ScreenText, page: ScreenPageOptions): string {
  const name = lang === 'en' ? (s.nameEn ?? s.name) : s.name;
  const other = lang === 'en' ? 'zh-CN' : 'en';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)} · ${escapeHtml(t.title)}</title>
<style>${screenCss(page.fontCss)}${NOTICES_CSS}</style>
</head>
<body data-online="unknown" data-stale="0">
<header>
  <div class="title">
    <h1 id="name">${escapeHtml(name)}</h1>
    <div class="sub">${escapeHtml(s.township)} · ${escapeHtml(s.address)}</div>
  </div>
  <div class="badges">
    <span id="online" class="badge" data-state="unknown">${escapeHtml(t.unknown)}</span>
    <a class="lang" href="?lang=${other}">${escapeHtml(t.otherLang)}</a>
  </div>
</header>
<div id="notice" data-level=""></div>
<section id="notices" aria-live="polite">${renderNotices(page.notices, lang, (ms) => noticeTime(ms, lang))}</section>
<main>
  <section class="tile" id="tile-seats">
    <h2>${escapeHtml(t.freeSeats)}</h2>
    <div class="value" id="free-seats">—</div>
    <div class="note" id="seats-total"></div>
  </section>
  <section class="tile" id="tile-sockets">
    <h2>${escapeHtml(t.freeSockets)}</h2>
    <div class="value" id="free-sockets">—</div>
    <div class="note" id="sockets-total"></div>
  </section>
  <section class="tile" id="tile-water" data-state="unknown">
    <h2>${escapeHtml(t.water)}</h2>
    <div class="value" id="water-temp">—</div>
    <div class="note state" id="water-state"></div>
  </section>
  <section class="tile" id="tile-door" data-state="unknown">
    <h2>${escapeHtml(t.door)}</h2>
    <div class="value" id="door">—</div>
    <div class="note" id="door-since"></div>
  </section>
</main>
<footer>
  <span>${escapeHtml(t.lastUpdate)}: <time id="last-update">—</time></span>
  <span id="conn" data-live="0">${escapeHtml(t.connecting)}</span>
</footer>
<script type="application/json" id="texts">${jsonForScript(t)}</script>
<script type="application/json" id="state">${jsonForScript(s)}</script>
<script type="application/json" id="notices-data">${jsonForScript(page.notices)}</script>
<script type="application/json" id="cfg">${jsonForScript({ heartbeatMs: page.heartbeatMs, now: page.now, timeZone: SCREEN_TIME_ZONE, noticeText: NOTICE_TEXT[lang], sameClock: page.board !== undefined, serviceWorker: page.board?.serviceWorker ?? null })}</script>
<script>${SCREEN_JS}</script>
</body>
</html>`;
}
