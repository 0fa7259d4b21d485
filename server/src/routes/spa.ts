/**
 * A single-page app built by Vite, served under one path prefix: its hashed assets cached for a
 * year, its page revalidated every time (a new build is picked up at the next load), any other
 * path under the prefix answered with the page, which picks its view from the URL. Without a build
 * the prefix answers 503 with the command to run. The staff app (`/app/`, web.ts) and the riders'
 * phone page (`/m/`, phone.ts) are two of these.
 */
import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { errorBody, pickLang } from '../i18n.js';

type App = Parameters<FastifyPluginCallbackTypebox>[0];

const YEAR = 'public, max-age=31536000, immutable';

export interface SpaOptions {
  /** `/app/`: with its trailing slash. */
  prefix: string;
  /** The build folder holding index.html and assets/. */
  root: string;
  /** Content-Security-Policy of the page. */
  csp: string;
  /** The 503 page while the build is missing. */
  notBuiltHtml: string;
  /** What the warning at start calls the app. */
  name: string;
  /** Files beside each file, brotli/gzip, chosen by Accept-Encoding (written at build time). */
  preCompressed?: boolean;
  /**
   * Paths (relative to root) never sent as files: another app's folder inside this build, the
   * pre-compressed copies. Asked for, they answer 404 (under assets/) or the page.
   */
  hidden?: (rel: string) => boolean;
  /** Files outside assets/ are sent too (icons, robots.txt), revalidated like the page. */
  topLevelFiles?: boolean;
}

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

export function registerSpa(app: App, o: SpaOptions): void {
  const index = join(o.root, 'index.html');
  if (!existsSync(index))
    app.log.warn({ dir: o.root }, `${o.name} not built: ${o.prefix} answers 503 until \`npm run build:web\``);
  const hidden = o.hidden ?? (() => false);

  // serve: false: the one route below serves the files, so it can declare its access and fall back.
  void app.register(fastifyStatic, { root: o.root, serve: false, preCompressed: o.preCompressed ?? false });

  // The prefix without its slash, the query kept (a QR code's `/m?station=st-001`).
  app.get(o.prefix.slice(0, -1), { config: { access: 'public' } }, (req, reply) => {
    const q = req.url.indexOf('?');
    return reply.redirect(`${o.prefix}${q < 0 ? '' : req.url.slice(q)}`, 301);
  });

  app.get(`${o.prefix}*`, { config: { access: 'public' } }, async (req, reply) => {
    const notFound = () =>
      reply
        .code(404)
        .send(errorBody('not_found', pickLang(req, app.defaultLang), { method: 'GET', url: req.url }));
    // The path as the router decoded it; normalize() folds `..` so nothing outside root is named.
    const rel = normalize(`/${(req.params as { '*': string })['*']}`).slice(1);
    const path = join(o.root, rel);
    if (rel.includes('\0') || (path !== o.root && !path.startsWith(o.root + sep))) return notFound();
    const file = !hidden(rel) && isFile(path);
    // A missing hashed asset is an old page asking for an old build: a 404, not the page.
    if (rel.startsWith('assets/'))
      return file ? reply.header('cache-control', YEAR).sendFile(rel, { cacheControl: false }) : notFound();
    if (o.topLevelFiles && file && rel !== 'index.html')
      return reply.header('cache-control', 'no-cache').sendFile(rel, { cacheControl: false });
    if (!isFile(index))
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(o.notBuiltHtml);
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', o.csp)
      .sendFile('index.html', { cacheControl: false });
  });
}
