/**
 * The tile source of the planners' map (GET /api/v1/planning/map-tiles): a preset for Tianditu
 * (天地图, needs a browser key) and AMap (高德), any XYZ URL, or none (stations, hexagons and a
 * scale bar on a plain background). Each source says its datum: the station files hold WGS-84, and
 * the web app converts to GCJ-02 when it draws on GCJ-02 tiles (web/src/map/gcj02.ts).
 */
import type { MapTiles } from './coverage-schemas.js';

export const TILE_KINDS = ['none', 'tianditu', 'amap', 'xyz'] as const;
export type TileKind = (typeof TILE_KINDS)[number];
export type TileDatum = MapTiles['datum'];

/** The settings as written (YIZHAN_MAP_TILES, _URL, _KEY, _DATUM). */
export interface MapTileSettings {
  kind: TileKind;
  url?: string;
  key?: string;
  datum?: TileDatum;
}

const TIANDITU_URL =
  'https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default' +
  '&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=';
const AMAP_URL = 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}';

/** The tiles of each kind, before the settings' URL, key and datum are applied. */
const PRESETS: Record<TileKind, MapTiles> = {
  none: { kind: 'none', url: '', datum: 'wgs84', attribution: '', subdomains: '', maxZoom: 18 },
  // Tianditu's web-mercator layers (…_w) are drawn in CGCS2000, within centimetres of WGS-84.
  tianditu: { kind: 'tianditu', url: TIANDITU_URL, datum: 'wgs84', attribution: '© 天地图', subdomains: '01234567', maxZoom: 18 },
  amap: { kind: 'amap', url: AMAP_URL, datum: 'gcj02', attribution: '© 高德地图', subdomains: '1234', maxZoom: 18 },
  xyz: { kind: 'xyz', url: '', datum: 'wgs84', attribution: '', subdomains: 'abc', maxZoom: 19 },
};

export const NO_TILES: MapTiles = PRESETS.none;

/**
 * What the web app is told, or the problems of the settings (each naming the variable). A
 * Tianditu key is a browser key: it travels to the browsers of signed-in staff inside the URL.
 */
export function mapTilesOf(s: MapTileSettings): { ok: true; tiles: MapTiles } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const preset = PRESETS[s.kind];
  let url = s.url ?? preset.url;
  if (s.kind === 'tianditu') {
    if (!s.key) errors.push('YIZHAN_MAP_TILE_KEY: 天地图需要浏览器端密钥 / Tianditu needs its browser key (tk)');
    else if (!s.url) url = preset.url + encodeURIComponent(s.key);
  }
  if (s.kind === 'xyz' && !s.url) errors.push('YIZHAN_MAP_TILE_URL: xyz 瓦片需要 URL 模板 / xyz tiles need a URL template, e.g. https://tile.example.org/{z}/{x}/{y}.png');
  if (s.kind !== 'none' && url && !/\{z\}/.test(url) && !/TILEMATRIX=\{z\}/.test(url))
    errors.push(`YIZHAN_MAP_TILE_URL: 模板缺少 {z}、{x}、{y} / the template lacks {z}, {x}, {y}: ${url}`);
  if (s.kind === 'none' && s.url) errors.push('YIZHAN_MAP_TILE_URL: 设置了 URL 但 YIZHAN_MAP_TILES=none / a URL is set but YIZHAN_MAP_TILES is none');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, tiles: { ...preset, url: s.kind === 'none' ? '' : url, datum: s.datum ?? preset.datum } };
}

/**
 * The CSP source that lets the web page load these tiles: the template's scheme and host, with a
 * subdomain placeholder in the first label as `*` (https://t{s}.tianditu.gov.cn → https://*.tianditu.gov.cn).
 */
export function tileImageSource(template: string): string | null {
  const m = /^(https?):\/\/([^/?#]+)/.exec(template);
  if (!m) return null;
  const labels = m[2]!.split('.');
  if (labels[0]!.includes('{')) labels[0] = '*';
  const host = labels.join('.');
  return /[{}\s;,']/.test(host) ? null : `${m[1]}://${host}`;
}
