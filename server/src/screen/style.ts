/** Inline CSS of the station screen: large type, high contrast, 2×2 on wide screens, one column on phones. */
export const SCREEN_CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html,body{height:100%}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;
  background:#10151c;color:#f4f6f8;display:flex;flex-direction:column;min-height:100vh;padding:clamp(.75rem,2vw,2rem);gap:clamp(.75rem,2vw,1.5rem)}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}
h1{font-size:clamp(1.6rem,4.5vw,4rem);font-weight:700;line-height:1.15}
.sub{font-size:clamp(.9rem,1.6vw,1.5rem);color:#aab4c0;margin-top:.25rem}
.badges{display:flex;align-items:center;gap:1rem}
.badge{font-size:clamp(1.1rem,2.4vw,2.2rem);font-weight:700;padding:.3em .8em;border-radius:999px;background:#4a5563}
.badge[data-state=online]{background:#1f8a4c}
.badge[data-state=offline]{background:#c0392b}
.lang{color:#aab4c0;font-size:clamp(.9rem,1.4vw,1.3rem)}
main{flex:1;display:grid;grid-template-columns:1fr;gap:clamp(.75rem,2vw,1.5rem)}
@media (min-width:900px){main{grid-template-columns:1fr 1fr;grid-template-rows:1fr 1fr}}
.tile{background:#1b2430;border-radius:1.25rem;padding:clamp(1rem,2.5vw,2.5rem);display:flex;flex-direction:column;
  justify-content:space-between;min-height:9rem;border:4px solid transparent}
.tile h2{font-size:clamp(1.3rem,3vw,3rem);font-weight:600;color:#cfd8e3}
.value{font-size:clamp(3.5rem,11vw,10rem);font-weight:800;line-height:1;font-variant-numeric:tabular-nums}
.note{font-size:clamp(1.1rem,2.4vw,2.4rem);color:#aab4c0}
#tile-water[data-state=ready]{border-color:#1f8a4c}#tile-water[data-state=ready] .state{color:#4cd787}
#tile-water[data-state=heating]{border-color:#d9822b}#tile-water[data-state=heating] .state{color:#f5a657}
#tile-water[data-state=fault]{border-color:#c0392b}#tile-water[data-state=fault] .state{color:#ff6b5b}
#tile-door[data-state=open] .value{color:#f5a657}
#tile-door[data-state=closed] .value{color:#4cd787}
body[data-online=offline] main{opacity:.55}
footer{display:flex;justify-content:space-between;font-size:clamp(1rem,1.8vw,1.8rem);color:#aab4c0;gap:1rem;flex-wrap:wrap}
#conn[data-live="1"]{color:#4cd787}
`;

export const INDEX_CSS = `
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;margin:0;padding:1rem;background:#f5f7fa;color:#18202a}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.55rem .6rem;border-bottom:1px solid #e3e8ee;text-align:left}
th{background:#eef2f6;font-weight:600}
a{color:#0b63c5}
.on{color:#1f8a4c;font-weight:600}.off{color:#c0392b;font-weight:600}
@media (max-width:640px){.hide-sm{display:none}}
`;
