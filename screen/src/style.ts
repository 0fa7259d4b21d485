/**
 * Inline CSS of the pages: large type, 2×2 on wide screens, one column on phones. Every text has a
 * contrast of at least 7:1 against its background (WCAG AAA; test/server/screen/kiosk.int.test.ts
 * computes it): stale values are greyed to look not live, but stay readable from the door.
 */
import { FONT_STACK } from './font.js';

const SCREEN_CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html,body{height:100%}
body{font-family:${FONT_STACK};
  background:#10151c;color:#f4f6f8;display:flex;flex-direction:column;min-height:100vh;padding:clamp(.75rem,2vw,2rem);gap:clamp(.75rem,1.6vw,1.5rem)}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}
h1{font-size:clamp(1.6rem,min(4.5vw,6vh),4rem);font-weight:700;line-height:1.15}
.sub{font-size:clamp(.9rem,1.6vw,1.5rem);color:#aab4c0;margin-top:.25rem}
.badges{display:flex;align-items:center;gap:1rem}
.badge{font-size:clamp(1.1rem,2.4vw,2.2rem);font-weight:700;padding:.3em .8em;border-radius:999px;background:#374151}
.badge[data-state=online]{background:#14532d}
.badge[data-state=offline]{background:#7f1d1d}
.lang{color:#aab4c0;font-size:clamp(.9rem,1.4vw,1.3rem)}
#notice{font-size:clamp(1.2rem,min(3vw,4.4vh),3rem);font-weight:700;line-height:1.2;padding:.35em .7em;border-radius:.6rem}
#notice:empty{display:none}
#notice[data-level=lost]{background:#f0b429;color:#1b1300}
#notice[data-level=offline]{background:#7f1d1d;color:#fff}
#notice[data-level=serial]{background:#f5a04a;color:#1b1300}
#notice[data-level=closed]{background:#334155;color:#f4f6f8}
main{flex:1;display:grid;grid-template-columns:1fr;gap:clamp(.75rem,2vw,1.5rem)}
@media (min-width:900px){main{grid-template-columns:1fr 1fr;grid-template-rows:1fr 1fr;min-height:0}}
.tile{background:#1b2430;border-radius:1.25rem;padding:clamp(1rem,2.2vw,2.2rem);display:flex;flex-direction:column;
  justify-content:space-between;min-height:9rem;border:4px solid transparent;min-width:0}
.tile h2{font-size:clamp(1.2rem,min(3.6vw,4.2vh),3rem);font-weight:700;color:#cfd8e3}
.value{font-size:clamp(3.5rem,min(11vw,13vh),10rem);font-weight:700;line-height:1;font-variant-numeric:tabular-nums}
.note{font-size:clamp(1rem,min(2.4vw,3.2vh),2.4rem);color:#aab4c0}
#tile-water[data-state=ready]{border-color:#1f8a4c}#tile-water[data-state=ready] .state{color:#4cd787}
#tile-water[data-state=heating]{border-color:#d9822b}#tile-water[data-state=heating] .state{color:#f5a657}
#tile-water[data-state=fault]{background:#6b1d16;border-color:#ff6b5b}
#tile-water[data-state=fault] .value{font-size:clamp(2.2rem,min(6.4vw,8vh),6.2rem);color:#fff;line-height:1.1}
#tile-water[data-state=fault] .state{color:#ffc9c2}
#tile-door[data-state=open] .value{color:#f5a657}
#tile-door[data-state=closed] .value{color:#4cd787}
#tile-seats[data-closed="1"] .value{font-size:clamp(2.2rem,min(6.4vw,8vh),6.2rem);color:#cfd8e3;line-height:1.1}
body[data-stale="1"] .value{color:#a7b1bd}
body[data-stale="1"] .tile{border-color:#3a4450}
body[data-stale="1"] .note{color:#aab4c0}
footer{display:flex;justify-content:space-between;font-size:clamp(1rem,1.8vw,1.8rem);color:#aab4c0;gap:1rem;flex-wrap:wrap}
#conn[data-live="1"]{color:#4cd787}
#conn[data-live="0"]{color:#f0b429;font-weight:700}
/* Kiosk (2×2): one screen without scrolling; with notices above them the tiles and their numbers shrink. */
@media (min-width:900px){body{height:100vh}.tile{container-type:size;min-height:0}
  .value{font-size:clamp(2rem,min(13vh,40cqh,40cqw),10rem)}}
/* Landscape kiosk: the tiles on two thirds; the notices (top) and the side block (nearby.ts) on the third right of them. */
@media (min-width:900px) and (min-aspect-ratio:4/3){
  body:has(#notices:not(:empty)),body:has(#side){display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);
    grid-template-rows:auto auto minmax(0,1fr) auto;grid-template-areas:"h h" "n n" "m s" "f f"}
  body:has(#side){grid-template-areas:"h h" "n n" "m a" "f f"}
  body:has(#side):has(#notices:not(:empty)){grid-template-rows:auto auto minmax(0,1fr) auto auto;
    grid-template-areas:"h h" "n n" "m s" "m a" "f f"}
  header{grid-area:h}#notice{grid-area:n}main{grid-area:m}footer{grid-area:f}
  #notices{grid-area:s;overflow:hidden}#side{grid-area:a}
}
`;

const INDEX_CSS = `
*{box-sizing:border-box}
body{font-family:${FONT_STACK};margin:0;padding:1rem;background:#f5f7fa;color:#18202a}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.55rem .6rem;border-bottom:1px solid #e3e8ee;text-align:left}
th{background:#eef2f6;font-weight:700}
a{color:#0b63c5}
.on{color:#1f8a4c;font-weight:700}.off{color:#c0392b;font-weight:700}.shut{color:#5b6672;font-weight:700}
@media (max-width:640px){.hide-sm{display:none}}
`;

export function screenCss(fontCss: string): string {
  return fontCss + SCREEN_CSS;
}

export function indexCss(fontCss: string): string {
  return fontCss + INDEX_CSS;
}
