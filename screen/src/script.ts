/**
 * The station screen's script (inline, ES5, no libraries). It renders the state from the page and
 * then from `/api/v1/events`, and never lets stale data look live:
 *
 * - the stream is watched: with no event for 2.5 heartbeat intervals the screen says
 *   "连接中断 · 数据可能过时" with how long the server has been silent, greys the values and
 *   reconnects; it is live again only when a fresh station snapshot arrives;
 * - an offline station, or one whose agent reports its serial link down, shows its values grey,
 *   marked as last known, with the age of the last reading ("最后更新" is the time of the last
 *   reading or fault event; health messages do not advance it);
 * - a dispenser fault replaces the water temperature with "热水器故障";
 * - the union's notices (notices.ts) follow the `notice` events and leave at their end time;
 * - outside opening hours the seat and socket counts give way to "已闭站" and the opening time;
 * - nearby stations with free sockets are asked for every half minute and greyed with their age
 *   once the answer is old (side.ts).
 *
 * Ages use the server's clock (the heartbeat carries it), so a kiosk with a wrong clock still
 * shows the right age; times are shown in China Standard Time like the opening hours. The board's
 * screen (`cfg.sameClock`) shares its machine's clock with the agent, so it keeps its own: a page
 * shell its service worker served from cache carries an old render time that must not become the
 * clock. Every stale state says "暂停更新" (updates paused) after its cause.
 */
import { NOTICES_JS } from './notices.js';
import { NEARBY_JS } from './side.js';

export const SCREEN_JS =
  String.raw`
(function () {
  function $(id) { return document.getElementById(id); }
  function json(id) { return JSON.parse($(id).textContent); }
  var T = json('texts'), state = json('state'), cfg = json('cfg');
  var skew = cfg.sameClock ? 0 : cfg.now - Date.now();
  var lastHeard = cfg.sameClock ? cfg.now : Date.now(), connectedAt = 0, live = false, lost = false, es = null;
  var lang = document.documentElement.lang;
  function now() { return Date.now() + skew; }
` +
  NOTICES_JS +
  NEARBY_JS +
  String.raw`
  function set(id, text) { var el = $(id); if (el.textContent !== text) el.textContent = text; }
  function attr(el, name, v) { if (el.getAttribute(name) !== v) el.setAttribute(name, v); }
  function fill(tpl, v) { return tpl.replace('{0}', v); }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000)), u = T.units;
    return s < 60 ? s + u.s : s < 3600 ? Math.floor(s / 60) + u.min
      : s < 86400 ? Math.floor(s / 3600) + u.h : Math.floor(s / 86400) + u.d;
  }
  function age(ms) { return fill(T.ago, duration(ms)); }
  function time(ms) {
    if (ms === null || ms === undefined) return '—';
    return new Date(ms).toLocaleString(lang, { timeZone: cfg.timeZone, month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  /** "07:00 开放", or "明天 07:00 开放" when that is another day (China Standard Time). */
  function opens(at) {
    if (at === null) return '';
    var day = { timeZone: cfg.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' };
    var hm = new Date(at).toLocaleTimeString(lang, { timeZone: cfg.timeZone, hour: '2-digit', minute: '2-digit', hour12: false });
    var other = new Date(at).toLocaleDateString('en', day) !== new Date(now()).toLocaleDateString('en', day);
    return fill(other ? T.opensTomorrow : T.opensAt, hm);
  }
  function count(v) { return v === null || v === undefined ? '—' : String(v); }
  function faultNames(s) {
    var names = [];
    for (var i = 0; i < s.faults.length; i++) {
      var n = T.faults[s.faults[i].fault];
      if (n && names.indexOf(n) < 0) names.push(n);
    }
    return names.join(' · ');
  }
  function condition(s) {
    var online = s.online === null ? 'unknown' : s.online ? 'online' : 'offline';
    var serialDown = online === 'online' && s.health !== null && !s.health.serialUp;
    var dataAge = s.lastReading === null ? '' : ' · ' + fill(T.dataFrom, age(now() - s.lastReading));
    var paused = ' · ' + T.paused;
    if (lost) return { stale: true, online: 'unknown', notice: T.connLost + paused + ' · ' + fill(T.silentFor, duration(Date.now() - lastHeard)), level: 'lost' };
    if (online === 'offline') return { stale: true, online: online, notice: T.stationOffline + paused + dataAge, level: 'offline' };
    if (online === 'unknown') return { stale: true, online: online, notice: T.noData, level: 'offline' };
    if (serialDown) return { stale: true, online: online, notice: T.serialDown + paused + dataAge, level: 'serial' };
    if (!s.hours.open) return { stale: false, online: online, notice: T.closedNow + ' · ' + opens(s.hours.nextChange), level: 'closed' };
    return { stale: false, online: online, notice: '', level: '' };
  }
  function renderCounts(s, c) {
    var closed = !s.hours.open, mark = c.stale ? ' · ' + T.lastKnown : '';
    set('free-seats', closed ? T.closedNow : count(s.seats.free));
    attr($('tile-seats'), 'data-closed', closed ? '1' : '0');
    set('seats-total', closed ? T.hours + ' ' + s.hours.text : T.of + ' ' + s.seats.total + mark);
    set('free-sockets', closed ? '—' : count(s.sockets.free));
    set('sockets-total', closed ? T.closedNow : T.of + ' ' + s.sockets.total +
      (s.sockets.tripped ? ' · ' + T.tripped + ' ' + s.sockets.tripped : '') + mark);
  }
  function renderWater(s, c) {
    var w = s.water, temp = w.tempC === null ? '—' : Number(w.tempC).toFixed(0) + '°C';
    var tile = $('tile-water');
    if (w.state === 'fault') {
      set('water-temp', T.dispenserFault);
      var names = faultNames(s);
      set('water-state', (names ? names + ' · ' : '') + T.waterTemp + ' ' + temp);
      attr(tile, 'data-state', 'fault');
      return;
    }
    set('water-temp', temp);
    if (c.stale) set('water-state', w.tempC === null ? T.unknown : T.lastKnown);
    else if (!s.hours.open) set('water-state', T.closedNow);
    else set('water-state', w.state === 'ready' ? T.ready : w.state === 'heating' ? T.heating : T.unknown);
    attr(tile, 'data-state', c.stale ? 'stale' : !s.hours.open ? 'closed' : w.state);
  }
  function render() {
    var s = state, c = condition(s);
    renderCounts(s, c);
    renderWater(s, c);
    var door = s.door.open === null ? 'unknown' : s.door.open ? 'open' : 'closed';
    set('door', door === 'open' ? T.open : door === 'closed' ? T.closed : T.unknown);
    set('door-since', c.stale ? T.lastKnown : s.door.since === null ? '' : T.since + ' ' + time(s.door.since));
    attr($('tile-door'), 'data-state', c.stale ? 'stale' : door);
    set('online', c.online === 'online' ? T.online : c.online === 'offline' ? T.offline : T.unknown);
    attr($('online'), 'data-state', c.online);
    set('notice', c.notice);
    attr($('notice'), 'data-level', c.level);
    set('last-update', time(s.lastReading) + (s.lastReading === null ? '' : ' (' + age(now() - s.lastReading) + ')'));
    set('conn', lost ? T.connLostShort : live ? T.live : T.connecting);
    attr($('conn'), 'data-live', live && !lost ? '1' : '0');
    attr(document.body, 'data-stale', c.stale ? '1' : '0');
    attr(document.body, 'data-online', c.online);
  }
  function connect() {
    if (es) es.close();
    connectedAt = Date.now();
    es = new EventSource('/api/v1/events?station=' + encodeURIComponent(state.id));
    es.addEventListener('station', function (e) {
      lastHeard = Date.now();
      try { state = JSON.parse(e.data); live = true; lost = false; } catch (err) { console.error('bad station event', err); }
      render();
    });
    es.addEventListener('notice', function (e) { lastHeard = Date.now(); setNotices(e.data); });
    es.addEventListener('heartbeat', function (e) {
      lastHeard = Date.now();
      var t = Number(e.data);
      if (t > 0 && !cfg.sameClock) skew = t - Date.now();
    });
    es.onerror = function () {
      live = false;
      lost = true;
      render();
      if (es.readyState === 2) setTimeout(connect, 3000);
    };
  }
  render();
  renderNotices();
  renderNearby();
  connect();
  if (NB) {
    loadNearby();
    setInterval(loadNearby, NB.pollMs);
  }
  if (cfg.serviceWorker && navigator.serviceWorker)
    navigator.serviceWorker.register(cfg.serviceWorker).catch(function (err) { console.error('service worker', err); });
  setInterval(function () {
    var silent = Date.now() - lastHeard;
    if (silent > 2.5 * cfg.heartbeatMs) {
      live = false;
      lost = true;
      // A frozen server keeps the TCP connection open: give up on it and try a new one.
      if (Date.now() - connectedAt > Math.max(cfg.heartbeatMs, 3000)) connect();
    }
    render();
    renderNotices();
    renderNearby();
  }, 1000);
})();
`;
