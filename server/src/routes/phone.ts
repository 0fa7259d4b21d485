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
import { join, resolve } from 'node:path';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { registerSpa } from './spa.js';
import { DEFAULT_WEB_DIR, PHONE_DIR, WEB_CSP } from './web.js';

export const PHONE_PREFIX = '/m/';
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
  registerSpa(app, {
    prefix: PHONE_PREFIX,
    root: join(configured ? resolve(configured) : DEFAULT_WEB_DIR, PHONE_DIR),
    csp: PHONE_CSP,
    notBuiltHtml: NOT_BUILT,
    name: "riders' phone page",
    preCompressed: true,
    // Only the built files themselves; the .br/.gz beside them are chosen by Accept-Encoding.
    hidden: (rel) => /\.(br|gz)$/.test(rel),
  });
  done();
};
export default phone;
