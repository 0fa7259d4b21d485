/**
 * The service worker of the board's screen (served at `/sw.js` by the edge agent, registered by the
 * page when `board.serviceWorker` is set). It keeps the page shell: the screen's HTML and its web
 * font. The page and font come from the network first (a fresh page carries the current state),
 * and from the cache only when the agent's HTTP server does not answer (the agent restarting, a
 * crash before systemd starts it again): the kiosk then shows the last page with "连接中断 ·
 * 暂停更新" instead of the browser's error page. The live data never comes from the cache: the
 * event stream is not intercepted.
 *
 * A service worker runs only in a secure context: `http://localhost` counts, `http://<LAN IP>`
 * does not (docs/deploy-edge.md, the kiosk browser).
 */

/** The service worker's script for this page shell: `version` names its cache (old caches are removed). */
export function serviceWorkerJs(version: string, fontUrls: readonly string[]): string {
  const cache = `yizhan-screen-${version}`;
  return `'use strict';
var CACHE = ${JSON.stringify(cache)};
var FONTS = ${JSON.stringify(fontUrls)};
self.addEventListener('install', function (e) {
  // The page that registered the worker was loaded before it: fetch the shell once now, and again
  // on every later page load (the fonts are immutable, content-hashed names).
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(['/'].concat(FONTS)); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener('fetch', function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  var page = req.mode === 'navigate', font = FONTS.indexOf(url.pathname) >= 0;
  if (!page && !font) return;
  e.respondWith(fetch(req).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { return c.put(req, copy); }); }
    return res;
  }).catch(function () {
    return caches.match(req).then(function (hit) { return hit || caches.match('/'); }).then(function (hit) {
      return hit || new Response('', { status: 503 });
    });
  }));
});
`;
}
