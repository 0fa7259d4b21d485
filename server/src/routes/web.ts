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
import { existsSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { errorBody, pickLang } from '../i18n.js';
import type { MapTiles } from '../planning/coverage-schemas.js';
import { tileImageSource } from '../planning/map-tiles.js';

/** web/dist of this repository, wherever the server is started from. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));
export const WEB_PREFIX = '/app/';

const YEAR = 'public, max-age=31536000, immutable';
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

/** Whether `path` is a file to send; a missing one is no error, any other failure is (a 500, logged). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return false;
    throw e;
  }
}

const web: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const configured = app.serverOptions.webDir;
  const root = configured ? resolve(configured) : DEFAULT_WEB_DIR;
  const index = join(root, 'index.html');
  const csp = webCsp(app.serverOptions.mapTiles);
  if (!existsSync(index))
    app.log.warn(
      { dir: root },
      'web app not built: /app/ answers 503 until `npm run build:web` (YIZHAN_WEB_DIR)',
    );

  // serve: false: the one route below serves the files, so it can declare its access and fall back.
  void app.register(fastifyStatic, { root, serve: false });

  app.get('/app', { config: { access: 'public' } }, (_req, reply) => reply.redirect(WEB_PREFIX, 301));

  app.get(`${WEB_PREFIX}*`, { config: { access: 'public' } }, async (req, reply) => {
    const notFound = () =>
      reply
        .code(404)
        .send(errorBody('not_found', pickLang(req, app.defaultLang), { method: 'GET', url: req.url }));
    // The path as the router decoded it; normalize() folds `..` so nothing outside root is named.
    const rel = normalize(`/${(req.params as { '*': string })['*']}`).slice(1);
    const path = join(root, rel);
    if (rel.includes('\0') || (path !== root && !path.startsWith(root + sep))) return notFound();
    if (rel !== '' && rel !== 'index.html' && isFile(path))
      return reply
        .header('cache-control', rel.startsWith('assets/') ? YEAR : 'no-cache')
        .sendFile(rel, { cacheControl: false });
    // A missing hashed asset is an old page asking for an old build: a 404, not the page.
    if (rel.startsWith('assets/')) return notFound();
    if (!isFile(index))
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT);
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', csp)
      .sendFile('index.html', { cacheControl: false });
  });
  done();
};
export default web;
