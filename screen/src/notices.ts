/**
 * The union's notices on the station screen: one block per notice showing now, most severe
 * first, in large type; above the tiles on a portrait screen or a phone, in a column right of
 * them on a landscape kiosk (so the 2×2 tiles keep the screen's height; style.ts lays it out). The page's language first (zh-CN unless ?lang=en), the other language
 * below it when the notice has it, and until when it shows. The server renders the list into the
 * page; the script (NOTICES_JS) renders it again from every SSE `notice` event, with the same
 * markup, and drops a notice whose end has passed even before the server's event arrives.
 */
import type { Lang } from './text.js';
import type { PublicNotice } from './notice-schema.js';
import { escapeHtml } from './html.js';

export const NOTICE_TEXT = {
  'zh-CN': {
    kinds: { weather: '天气预警', hours: '开放时间调整', event: '活动', other: '通知' },
    until: '至 {0}',
  },
  en: {
    kinds: { weather: 'Weather warning', hours: 'Opening hours', event: 'Event', other: 'Notice' },
    until: 'until {0}',
  },
} as const;

/** The texts of a notice in the page's language first: [title, body] and the other language's, if any. */
function texts(n: PublicNotice, lang: Lang): { main: [string, string]; alt: [string, string] | null } {
  const zh: [string, string] = [n.title['zh-CN'], n.body['zh-CN']];
  const en: [string, string] | null = n.title.en ? [n.title.en, n.body.en ?? ''] : null;
  if (lang === 'en' && en) return { main: en, alt: zh };
  return { main: zh, alt: en };
}

export function renderNotices(
  list: readonly PublicNotice[],
  lang: Lang,
  formatTime: (ms: number) => string,
): string {
  const t = NOTICE_TEXT[lang];
  return list
    .map((n) => {
      const { main, alt } = texts(n, lang);
      const second = alt
        ? `<p class="alt">${escapeHtml(alt[0])}${alt[1] ? ` · ${escapeHtml(alt[1])}` : ''}</p>`
        : '';
      return `<article class="nt" data-severity="${n.severity}" data-id="${n.id}">
<h3><span class="kind">${escapeHtml(t.kinds[n.kind])}</span>${escapeHtml(main[0])}</h3>
<p class="body">${escapeHtml(main[1])}</p>${second}
<div class="until">${escapeHtml(t.until.replace('{0}', formatTime(n.endsAt)))}</div>
</article>`;
    })
    .join('\n');
}

export const NOTICES_CSS = `
#notices{display:flex;flex-direction:column;gap:clamp(.5rem,1vw,1rem)}
#notices:empty{display:none}
.nt{background:#1b2430;border-left:.6rem solid #6b93c9;border-radius:.8rem;padding:.5em .9em;color:#f4f6f8}
.nt[data-severity=warning]{border-left-color:#f0b429;background:#2e2610}
.nt[data-severity=critical]{border-left-color:#ff6b5b;background:#4a1712}
.nt h3{font-size:clamp(1.4rem,min(4.2vw,4.8vh),3.4rem);font-weight:700;line-height:1.2}
.nt .kind{font-size:.7em;background:#f4f6f8;color:#10151c;border-radius:.3em;padding:0 .35em;margin-right:.5em;vertical-align:.12em}
.nt .body{font-size:clamp(1.1rem,min(3vw,3.5vh),2.5rem);line-height:1.3;margin-top:.2em}
.nt .alt{font-size:clamp(.95rem,min(1.8vw,2.6vh),1.8rem);color:#cfd8e3;margin-top:.2em}
.nt .until{font-size:clamp(.95rem,min(1.8vw,2.6vh),1.8rem);color:#cfd8e3;margin-top:.2em}
@media (min-width:900px) and (min-aspect-ratio:4/3){
  .nt h3{font-size:clamp(1.3rem,min(2.6vw,4.8vh),3.2rem)}
  .nt .body{font-size:clamp(1.1rem,min(1.8vw,3.2vh),2.2rem)}
}
`;

/**
 * The script's part (ES5, inside the screen script's closure: uses its `$`, `lang`, `now`, and
 * `cfg.notices`): `setNotices(list)` and `renderNotices()`, called every second by the screen.
 */
export const NOTICES_JS = String.raw`
  var NT = cfg.noticeText, notices = json('notices-data');
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }
  function noticeTime(ms) {
    return new Date(ms).toLocaleString(lang, { timeZone: cfg.timeZone, month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hour12: false });
  }
  var shownKey = null;
  function renderNotices() {
    var t = now(), list = [];
    for (var i = 0; i < notices.length; i++) if (notices[i].startsAt <= t && t < notices[i].endsAt) list.push(notices[i]);
    var key = JSON.stringify(list);
    if (key === shownKey) return;
    shownKey = key;
    var box = $('notices');
    while (box.firstChild) box.removeChild(box.firstChild);
    for (var j = 0; j < list.length; j++) {
      var n = list[j], zh = [n.title['zh-CN'], n.body['zh-CN']], en = n.title.en ? [n.title.en, n.body.en || ''] : null;
      var main = lang === 'en' && en ? en : zh, alt = lang === 'en' && en ? zh : en;
      var a = el('article', 'nt');
      a.setAttribute('data-severity', n.severity);
      a.setAttribute('data-id', String(n.id));
      var h = el('h3');
      h.appendChild(el('span', 'kind', NT.kinds[n.kind]));
      h.appendChild(document.createTextNode(main[0]));
      a.appendChild(h);
      a.appendChild(el('p', 'body', main[1]));
      if (alt) a.appendChild(el('p', 'alt', alt[0] + (alt[1] ? ' · ' + alt[1] : '')));
      a.appendChild(el('div', 'until', NT.until.replace('{0}', noticeTime(n.endsAt))));
      box.appendChild(a);
    }
  }
  function setNotices(data) {
    try { notices = JSON.parse(data).notices; } catch (err) { console.error('bad notice event', err); }
    renderNotices();
  }
`;
