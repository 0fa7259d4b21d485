/** Small HTML helpers and the station index page `/`. */
import type { Lang, ScreenText } from './text.js';
import type { StationSummary } from './schema.js';
import { indexCss } from './style.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside <script type="application/json">: no "</script>", no U+2028/9 surprises. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The list is a snapshot; it reloads itself so that a page left open does not show old counts. */
const INDEX_REFRESH_S = 30;

/** Status cell of the index: online/offline/unknown, or closed outside opening hours. */
function indexStatus(s: StationSummary, t: ScreenText): { text: string; cls: string } {
  if (s.online === null) return { text: t.unknown, cls: '' };
  if (!s.online) return { text: t.offline, cls: 'off' };
  if (!s.hours.open) return { text: t.closedNow, cls: 'shut' };
  return { text: t.online, cls: 'on' };
}

export function renderIndex(
  stations: readonly StationSummary[],
  lang: Lang,
  t: ScreenText,
  fontCss: string,
): string {
  const q = lang === 'en' ? '?lang=en' : '';
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const rows = stations
    .map((s) => {
      const name = lang === 'en' ? (s.nameEn ?? s.name) : s.name;
      const status = indexStatus(s, t);
      // Counts only for a station that is online and open: no stale or closed seats advertised.
      const counts = status.cls === 'on';
      return `<tr><td><a href="/screen/${encodeURIComponent(s.id)}${q}">${escapeHtml(name)}</a></td>
<td class="hide-sm">${escapeHtml(s.id)}</td><td>${escapeHtml(s.township)}</td>
<td class="${status.cls}">${escapeHtml(status.text)}</td>
<td>${counts ? (s.seats.free ?? '—') : '—'} / ${s.seats.total}</td>
<td class="hide-sm">${counts ? (s.sockets.free ?? '—') : '—'} / ${s.sockets.total}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${INDEX_REFRESH_S}">
<title>${escapeHtml(t.stations)} · ${escapeHtml(t.title)}</title><style>${indexCss(fontCss)}</style></head>
<body>
<h1>${escapeHtml(t.title)} · ${escapeHtml(t.stations)} <small><a href="/?lang=${other}">${escapeHtml(t.otherLang)}</a> · <a href="/app/" data-test="staff-login">${escapeHtml(t.staffLogin)}</a></small></h1>
<table>
<thead><tr><th>${escapeHtml(t.title)}</th><th class="hide-sm">ID</th><th>${escapeHtml(t.township)}</th><th>${escapeHtml(t.status)}</th>
<th>${escapeHtml(t.freeSeats)}</th><th class="hide-sm">${escapeHtml(t.freeSockets)}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>`;
}

export function renderNotFound(id: string, lang: Lang, t: ScreenText, fontCss: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t.notFound)}</title><style>${indexCss(fontCss)}</style></head>
<body><h1>${escapeHtml(t.notFound)}: ${escapeHtml(id)}</h1><p><a href="/${lang === 'en' ? '?lang=en' : ''}">${escapeHtml(t.stations)}</a></p></body></html>`;
}
