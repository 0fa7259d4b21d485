/**
 * The riders' phone page at `/m/` (web/src/phone, built by web/vite.phone.config.ts into
 * web/dist/m): public, no session, opened from a station door's QR code (`/m/?station=st-001`)
 * or the union's WeChat official account. `/m/report` is the report form and `/m/r/<receipt>` a
 * report's progress: any `/m/...` path that is no file answers the page, which picks its view.
 *
 * Files go out pre-compressed (brotli or gzip beside each file, written at build time) to
 * browsers that accept them: the page's budget is 100 KB over a cheap phone's 4G before the
 * stations show, and the server does not compress on the fly. Hashed assets are cached for a
 * year, the page itself revalidated so a new build is picked up at the next load.
 */
import { existsSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { errorBody, pickLang } from '../i18n.js';
import { DEFAULT_WEB_DIR, WEB_CSP, isFile } from './web.js';

export const PHONE_PREFIX = '/m/';
const YEAR = 'public, max-age=31536000, immutable';
/** The staff app's policy, plus blob: images: the report form previews the rider's photos. */
export const PHONE_CSP = WEB_CSP.replace("img-src 'self' data:", "img-src 'self' data: blob:");

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>页面尚未构建 / Page not built</title></head>
<body style="font-family: system-ui, 'Noto Sans CJK SC', sans-serif; padding: 1rem">
<h1>骑手页面尚未构建 / The riders' page is not built</h1>
<p>请在服务器上运行 <code>npm run build:web</code>。Run <code>npm run build:web</code> on the server.</p>
</body></html>`;

const phone: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const configured = app.serverOptions.webDir;
  const root = join(configured ? resolve(configured) : DEFAULT_WEB_DIR, 'm');
  const index = join(root, 'index.html');
  if (!existsSync(index))
    app.log.warn({ dir: root }, "riders' phone page not built: /m/ answers 503 until `npm run build:web`");

  void app.register(fastifyStatic, { root, serve: false, preCompressed: true });

  app.get('/m', { config: { access: 'public' } }, (req, reply) => {
    const q = req.url.indexOf('?');
    return reply.redirect(`${PHONE_PREFIX}${q < 0 ? '' : req.url.slice(q)}`, 301);
  });

  app.get(`${PHONE_PREFIX}*`, { config: { access: 'public' } }, async (req, reply) => {
    const notFound = () =>
      reply
        .code(404)
        .send(errorBody('not_found', pickLang(req, app.defaultLang), { method: 'GET', url: req.url }));
    const rel = normalize(`/${(req.params as { '*': string })['*']}`).slice(1);
    const path = join(root, rel);
    if (rel.includes('\0') || (path !== root && !path.startsWith(root + sep))) return notFound();
    if (rel.startsWith('assets/')) {
      // Only the built files themselves; the .br/.gz beside them are chosen by Accept-Encoding.
      if (/\.(br|gz)$/.test(rel) || !isFile(path)) return notFound();
      return reply.header('cache-control', YEAR).sendFile(rel, { cacheControl: false });
    }
    if (!isFile(index))
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT);
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', PHONE_CSP)
      .sendFile('index.html', { cacheControl: false });
  });
  done();
};
export default phone;
