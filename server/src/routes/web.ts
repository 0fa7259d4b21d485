/**
 * The staff web app (web/, Vue 3) at `/app/`: the files Vite built into web/dist, with the
 * single-page fallback (any `/app/...` path that is no file answers index.html, so a reload or a
 * bookmarked page works). Hashed assets are cached for a year, index.html is revalidated every
 * time so a new build is picked up at the next load. Without a build, `/app/` answers 503 with the
 * command to run. Everything here is public: the pages hold no data, the API they call checks.
 *
 * The station screens (/screen/:id) stay server-rendered: they run on the station's board and
 * must work without this bundle.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { MapTiles } from '../planning/coverage-schemas.js';
import { tileImageSource } from '../planning/map-tiles.js';
import { registerSpa } from './spa.js';

/** web/dist of this repository, wherever the server is started from. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));
export const WEB_PREFIX = '/app/';
/** The riders' phone page's build inside web/dist. */
export const PHONE_DIR = 'm';

/**
 * The page runs only its own files (the build has no inline script or style, and neither Vue nor
 * vue-i18n evaluates strings), may not be framed, and talks only to this server.
 */
export const WEB_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** WEB_CSP with the planners' map tile host allowed as an image source (YIZHAN_MAP_TILES). */
export function webCsp(tiles: MapTiles | undefined): string {
  const host = tiles && tiles.kind !== 'none' ? tileImageSource(tiles.url) : null;
  return host ? WEB_CSP.replace("img-src 'self' data:", `img-src 'self' data: ${host}`) : WEB_CSP;
}
const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>管理网页尚未构建 / Web app not built</title></head>
<body style="font-family: system-ui, 'Noto Sans CJK SC', sans-serif; padding: 1rem">
<h1>管理网页尚未构建 / The web app is not built</h1>
<p>请在服务器上运行 <code>npm run build:web</code>（<code>npm start</code> 会自动构建）。</p>
<p>Run <code>npm run build:web</code> on the server (<code>npm start</code> builds it for you).</p>
<p><a href="/">驿站列表 / Stations</a></p>
</body></html>`;

const web: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const configured = app.serverOptions.webDir;
  const root = configured ? resolve(configured) : DEFAULT_WEB_DIR;
  registerSpa(app, {
    prefix: WEB_PREFIX,
    root,
    csp: webCsp(app.serverOptions.mapTiles),
    notBuiltHtml: NOT_BUILT,
    name: 'web app (YIZHAN_WEB_DIR)',
    topLevelFiles: true,
    // The riders' page is built into m/ and served at /m/ with its own policy (phone.ts).
    hidden: (rel) => rel === PHONE_DIR || rel.startsWith(`${PHONE_DIR}/`),
  });
  done();
};
export default web;
