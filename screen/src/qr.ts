/**
 * The station screen's QR code: riders scan it to open the phone page for this station
 * (`<public URL>/m/?station=<id>`, the page web/src/phone reads `station` from). Encoded on the
 * server (or the board) with `uqr` and drawn as inline SVG, so the page needs no script or
 * request for it: one `<path>` of horizontal runs of dark modules on a white square with a
 * four-module quiet zone, crisp at any size.
 */
import { encode } from 'uqr';
import { escapeHtml } from './html.js';

/** The phone page of a station under `base` (the server's public address). */
export function phonePageUrl(base: string, stationId: string): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/m/?station=${encodeURIComponent(stationId)}`;
}

/** Modules of the quiet zone around the code (ISO/IEC 18004 asks for 4). */
export const QR_QUIET_ZONE = 4;

/** The dark modules of `text` as a boolean matrix, quiet zone included (row-major, true = dark). */
export function qrModules(text: string): boolean[][] {
  // M: 15 % of the code may be dirty or scratched and it still reads.
  return encode(text, { ecc: 'M', border: QR_QUIET_ZONE }).data;
}

/** `text` as a QR code in SVG, sized by its container (viewBox in modules). */
export function qrSvg(text: string, label: string): string {
  const rows = qrModules(text);
  const n = rows.length;
  let d = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < n;) {
      if (!row[x]) {
        x++;
        continue;
      }
      let run = 1;
      while (row[x + run]) run++;
      d += `M${x} ${y}h${run}v1h-${run}z`;
      x += run;
    }
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n} ${n}" shape-rendering="crispEdges" role="img" aria-label="${escapeHtml(label)}">` +
    `<rect width="${n}" height="${n}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`
  );
}
