/**
 * The station screen `/screen/:stationId`: four big tiles (free seats, free sockets, hot water,
 * door), online badge and last update time, updated live from `/api/v1/events` (EventSource,
 * reconnects by itself). One self-contained HTML document: inline CSS and JS, no external assets.
 * Fits a 1080p kiosk (2×2 tiles filling the screen) and a phone (one column).
 */
import type { Lang, ScreenText } from '../i18n.js';
import type { StationLive } from '../state/schema.js';
import { escapeHtml, jsonForScript } from './html.js';
import { SCREEN_CSS } from './style.js';

const SCREEN_JS = String.raw`
(function () {
  var T = JSON.parse(document.getElementById('texts').textContent);
  var state = JSON.parse(document.getElementById('state').textContent);
  var lang = document.documentElement.lang;
  function $(id) { return document.getElementById(id); }
  function set(id, text) { var el = $(id); if (el.textContent !== text) el.textContent = text; }
  function time(ms) {
    if (ms === null || ms === undefined) return '—';
    var d = new Date(ms);
    return d.toLocaleString(lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  function num(v, digits) { return v === null || v === undefined ? '—' : Number(v).toFixed(digits); }
  function render(s) {
    state = s;
    set('free-seats', s.seats.free === null ? '—' : String(s.seats.free));
    set('seats-total', T.of + ' ' + s.seats.total);
    set('free-sockets', s.sockets.free === null ? '—' : String(s.sockets.free));
    set('sockets-total', T.of + ' ' + s.sockets.total + (s.sockets.tripped ? ' · ' + T.tripped + ' ' + s.sockets.tripped : ''));
    set('water-temp', s.water.tempC === null ? '—' : num(s.water.tempC, 0) + '°C');
    var ws = s.water.state;
    set('water-state', ws === 'ready' ? T.ready : ws === 'heating' ? T.heating : ws === 'fault' ? T.fault : T.unknown);
    $('tile-water').dataset.state = ws;
    var door = s.door.open === null ? 'unknown' : s.door.open ? 'open' : 'closed';
    set('door', door === 'open' ? T.open : door === 'closed' ? T.closed : T.unknown);
    set('door-since', s.door.since === null ? '' : T.since + ' ' + time(s.door.since));
    $('tile-door').dataset.state = door;
    var online = s.online === null ? 'unknown' : s.online ? 'online' : 'offline';
    set('online', online === 'online' ? T.online : online === 'offline' ? T.offline : T.unknown);
    $('online').dataset.state = online;
    set('last-update', time(s.lastSeen));
    document.body.dataset.online = online;
  }
  function conn(live) {
    set('conn', live ? T.live : T.connecting);
    $('conn').dataset.live = live ? '1' : '0';
  }
  var es = null;
  function connect() {
    conn(false);
    es = new EventSource('/api/v1/events?station=' + encodeURIComponent(state.id));
    es.onopen = function () { conn(true); };
    es.addEventListener('station', function (e) {
      try { render(JSON.parse(e.data)); } catch (err) { console.error('bad station event', err); }
    });
    es.onerror = function () {
      conn(false);
      if (es.readyState === 2) { es.close(); setTimeout(connect, 3000); }
    };
  }
  render(state);
  connect();
  setInterval(function () { render(state); }, 30000);
})();
`;

export function renderScreen(s: StationLive, lang: Lang, t: ScreenText): string {
  const name = lang === 'en' ? (s.nameEn ?? s.name) : s.name;
  const other = lang === 'en' ? 'zh-CN' : 'en';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)} · ${escapeHtml(t.title)}</title>
<style>${SCREEN_CSS}</style>
</head>
<body data-online="unknown">
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
<script>${SCREEN_JS}</script>
</body>
</html>`;
}
