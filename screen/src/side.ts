/**
 * The screen's side block: nearby stations with free sockets (name, free sockets, direction and
 * distance from this station) and the QR code to the phone page (qr.ts). Right of the tiles on a
 * landscape kiosk, below them in portrait.
 *
 * The list comes from the riders' nearest-stations API (nearby.ts), measured from this station and
 * leaving it out (`near=<id>&need=socket`, server/src/riders/nearby.ts): stations open, live, with a free
 * socket first, nearest first; the page keeps those (`has`), at most NEARBY_LIMIT. The page asks
 * again every `pollMs`: the server's screen asks the server, the board's screen asks the board,
 * which answers with its latest copy of the server's answer (edge/src/screen/nearby-copy.ts) and
 * the time it got it (`receivedAt`, the board's clock). An answer older than `staleMs` is greyed
 * with its age and 暂停更新, like the tiles; with none, the block says so and shows no numbers.
 */
export const SIDE_CSS = `
#side{display:flex;gap:clamp(.75rem,2vw,1.5rem);min-width:0;min-height:0}
#nearby{flex:1;min-width:0;background:#1b2430;border-radius:1.25rem;padding:clamp(.8rem,1.6vmin,1.6rem);
  display:flex;flex-direction:column;gap:.4em;overflow:hidden}
#nearby h2{font-size:clamp(1.2rem,3.4vmin,3rem);font-weight:700;color:#cfd8e3}
#nearby-list{list-style:none;display:flex;flex-direction:column;gap:.35em}
.nb{display:grid;grid-template-columns:auto minmax(0,1fr);grid-template-rows:auto auto;column-gap:.6em;align-items:center}
.nb-count{grid-row:1/3;font-size:clamp(2rem,6.4vmin,5rem);font-weight:700;line-height:1;color:#4cd787;
  font-variant-numeric:tabular-nums;min-width:1.2em;text-align:center}
.nb-name{font-size:clamp(1.1rem,3.2vmin,2.6rem);font-weight:700;line-height:1.2;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.nb-where{font-size:clamp(1rem,2.6vmin,2.2rem);color:#cfd8e3;line-height:1.2}
#nearby-note{font-size:clamp(1rem,2.6vmin,2.2rem);color:#aab4c0}
#nearby-note:empty{display:none}
#nearby[data-stale="1"] .nb-count{color:#a7b1bd}
#nearby[data-stale="1"] #nearby-note{color:#f0b429;font-weight:700}
#qr{display:flex;flex-direction:column;align-items:center;gap:.4em;background:#1b2430;border-radius:1.25rem;
  padding:clamp(.8rem,1.6vmin,1.6rem);flex:0 0 auto}
#qr svg{display:block;width:clamp(8rem,21vmin,16rem);height:auto;border-radius:.3rem}
#qr figcaption{text-align:center;max-width:clamp(8rem,21vmin,16rem)}
#qr .scan{font-size:clamp(1.1rem,3vmin,2.4rem);font-weight:700;display:block}
#qr .what{font-size:clamp(1rem,2.4vmin,2rem);color:#cfd8e3;display:block;word-break:keep-all}
#qr .w{display:block;white-space:nowrap}
@media (max-width:899px){#side{flex-direction:column}#qr{display:none}}
@media (min-width:900px) and (max-aspect-ratio:1/1){
  .nb-count{font-size:clamp(2rem,8vmin,6rem)}.nb-name{font-size:clamp(1.1rem,4vmin,3rem)}.nb-where{font-size:clamp(1rem,3.2vmin,2.4rem)}
}
@media (min-width:900px) and (min-aspect-ratio:4/3){
  #side{flex-direction:column}
  #qr{flex-direction:row;align-items:center}
  #qr svg{width:clamp(8rem,18vmin,14rem)}
  #qr figcaption{text-align:left;max-width:none;flex:1}
  #qr .w{display:inline}#qr .w+.w::before{content:' · '}
}
`;

/**
 * The script's part (ES5, inside the screen script's closure: uses its `$`, `set`, `attr`, `el`,
 * `fill`, `age`, `now`, `T`, `lang` and `cfg.nearby`): `loadNearby()` asks, `renderNearby()` draws
 * (called every second, so an answer greys as it ages).
 */
export const NEARBY_JS = String.raw`
  var NB = cfg.nearby, nearbyData = null, nearbyFailing = false, nearbyKey = null;
  function distanceText(m) {
    if (m < 1000) return Math.max(10, Math.round(m / 10) * 10) + ' m';
    return (m < 10000 ? (m / 1000).toFixed(1) : String(Math.round(m / 1000))) + ' km';
  }
  function loadNearby() {
    fetch(NB.url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (a) {
      if (!a || !Array.isArray(a.stations) || typeof (a.receivedAt || a.generatedAt) !== 'number')
        throw new Error('not a nearby answer');
      if (nearbyFailing) console.info('nearby stations: ' + NB.url + ' answers again');
      nearbyData = a;
      nearbyFailing = false;
      renderNearby();
    }).catch(function (err) {
      // Once per outage: the last answer stays, greyed with its age once it is old.
      if (!nearbyFailing) console.error('nearby stations: ' + NB.url + ' failed, keeping the last answer', err);
      nearbyFailing = true;
    });
  }
  function renderNearby() {
    if (!NB) return;
    var a = nearbyData, at = a ? a.receivedAt || a.generatedAt : 0, list = [];
    var stale = a !== null && now() - at > NB.staleMs;
    if (a) for (var i = 0; i < a.stations.length && list.length < NB.limit; i++) if (a.stations[i].has) list.push(a.stations[i]);
    set('nearby-note', !a ? T.nearbyNoData : stale ? fill(T.dataFrom, age(now() - at)) + ' · ' + T.paused
      : list.length ? '' : T.nearbyNone);
    attr($('nearby'), 'data-stale', stale ? '1' : '0');
    attr($('nearby'), 'data-at', a ? String(at) : '');
    var key = JSON.stringify(list);
    if (key === nearbyKey) return;
    nearbyKey = key;
    var box = $('nearby-list');
    while (box.firstChild) box.removeChild(box.firstChild);
    for (var j = 0; j < list.length; j++) {
      var s = list[j], li = el('li', 'nb');
      li.setAttribute('data-id', s.id);
      li.appendChild(el('span', 'nb-count', String(s.sockets.free)));
      li.appendChild(el('span', 'nb-name', lang === 'en' && s.nameEn ? s.nameEn : s.name));
      var where = (s.direction ? T.directions[s.direction] + ' ' : '') + (s.distanceM === null ? '' : distanceText(s.distanceM));
      li.appendChild(el('span', 'nb-where', where));
      box.appendChild(li);
    }
  }
`;
