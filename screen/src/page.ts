/**
 * The station screen `/screen/:stationId`: four big tiles (free seats, free sockets, hot water,
 * door), online badge, the union's notices (notices.ts), a notice line for anything that makes the values untrustworthy (no
 * connection, station offline, sensors disconnected, closed), and the time of the last reading,
 * updated live from `/api/v1/events` (script.ts). One HTML document with inline CSS and JS; the
 * only other request is the subset web font (font.ts). The server serves it for every station, the
 * edge agent for its own (edge/src/screen/). Beside the tiles (below them in portrait): nearby
 * stations with free sockets and the QR code to the phone page (nearby.ts, qr.ts). Fits a 1080p
 * kiosk (2×2 tiles) and a phone (one column).
 */
import type { Lang, ScreenText } from './text.js';
import type { StationLive } from './schema.js';
import { escapeHtml, jsonForScript } from './html.js';
import { screenCss } from './style.js';
import { SCREEN_JS } from './script.js';
import { NOTICES_CSS, NOTICE_TEXT, renderNotices } from './notices.js';
import type { PublicNotice } from './notice-schema.js';
import { NEARBY_LIMIT, type NearbyBlockOptions } from './nearby.js';
import { SIDE_CSS } from './side.js';
import { qrSvg } from './qr.js';

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
  /** Nearby stations with free sockets (nearby.ts); none: no such block. */
  nearby?: NearbyBlockOptions;
  /** Where the QR code leads (qr.ts `phonePageUrl`); none: no QR code. */
  qrUrl?: string;
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

/** The side block (nearby.ts): the nearby list filled by the script, the QR code drawn here. */
function renderSide(t: ScreenText, page: ScreenPageOptions): string {
  if (!page.nearby && !page.qrUrl) return '';
  const nearby = page.nearby
    ? `<section id="nearby" data-stale="0" aria-live="polite">
    <h2>${escapeHtml(t.nearbyTitle)}</h2>
    <p id="nearby-note">${escapeHtml(t.nearbyNoData)}</p>
    <ol id="nearby-list"></ol>
  </section>`
    : '';
  const qr = page.qrUrl
    ? `<figure id="qr" data-url="${escapeHtml(page.qrUrl)}">${qrSvg(page.qrUrl, t.scanTitle)}
    <figcaption><span class="scan">${escapeHtml(t.scanTitle)}</span><span class="what">${t.scanBody.split(' · ').map((w) => `<span class="w">${escapeHtml(w)}</span>`).join('')}</span></figcaption>
  </figure>`
    : '';
  return `<aside id="side">
  ${nearby}
  ${qr}
</aside>`;
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
<style>${screenCss(page.fontCss)}${NOTICES_CSS}${SIDE_CSS}</style>
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
${renderSide(t, page)}
<footer>
  <span>${escapeHtml(t.lastUpdate)}: <time id="last-update">—</time></span>
  <span id="conn" data-live="0">${escapeHtml(t.connecting)}</span>
</footer>
<script type="application/json" id="texts">${jsonForScript(t)}</script>
<script type="application/json" id="state">${jsonForScript(s)}</script>
<script type="application/json" id="notices-data">${jsonForScript(page.notices)}</script>
<script type="application/json" id="cfg">${jsonForScript({ heartbeatMs: page.heartbeatMs, now: page.now, timeZone: SCREEN_TIME_ZONE, noticeText: NOTICE_TEXT[lang], sameClock: page.board !== undefined, serviceWorker: page.board?.serviceWorker ?? null, nearby: page.nearby ? { ...page.nearby, limit: NEARBY_LIMIT } : null })}</script>
<script>${SCREEN_JS}</script>
</body>
</html>`;
}
