/**
 * The staff web app's files at /app/ (server/src/routes/web.ts) on a plugin-level app: the built
 * files, the single-page fallback, cache headers, path tricks, and the 503 without a build.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import web from '../../../server/src/routes/web.js';
import { spaApp } from './spa-app.js';

const INDEX = '<!doctype html><title>web app</title><div id="app"></div>';
const ASSET = 'console.log("app")';

const webApp = (webDir: string, logLines?: string[]) => spaApp(web, webDir, logLines);

let dir: string;
let app: Awaited<ReturnType<typeof webApp>>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yz-web-'));
  mkdirSync(join(dir, 'dist/assets'), { recursive: true });
  writeFileSync(join(dir, 'dist/index.html'), INDEX);
  writeFileSync(join(dir, 'dist/assets/index-Ab12Cd34.js'), ASSET);
  writeFileSync(join(dir, 'secret.txt'), 'outside the web folder');
  mkdirSync(join(dir, 'dist/m'));
  writeFileSync(join(dir, 'dist/m/index.html'), '<!doctype html><title>phone</title>');
  app = await webApp(join(dir, 'dist'));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/app/', () => {
  it('answers the page at /app/, revalidated on every load', async () => {
    const r = await app.inject({ url: '/app/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.body).toBe(INDEX);
  });

  it("does not serve the riders' page built inside it (that is /m/, with its own policy)", async () => {
    for (const url of ['/app/m/index.html', '/app/m/', '/app/m']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).toBe(INDEX);
    }
  });

  it('sends /app to /app/', async () => {
    const r = await app.inject({ url: '/app' });
    expect(r.statusCode).toBe(301);
    expect(r.headers.location).toBe('/app/');
  });

  it('answers the page for any address of the app (a reload of /app/alerts/42)', async () => {
    for (const url of ['/app/alerts/42', '/app/users', '/app/login?next=%2Faudit', '/app/index.html']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).toBe(INDEX);
      expect(r.headers['cache-control'], url).toBe('no-cache');
      expect(r.headers['content-security-policy'], url).toBeDefined();
    }
  });

  it('serves hashed assets cached for a year, and a missing one as 404 (not the page)', async () => {
    const r = await app.inject({ url: '/app/assets/index-Ab12Cd34.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.body).toBe(ASSET);
    const gone = await app.inject({ url: '/app/assets/index-Old00000.js' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('never serves a file outside the web folder', async () => {
    for (const url of [
      '/app/../secret.txt',
      '/app/%2e%2e/secret.txt',
      '/app/..%2fsecret.txt',
      '/app/%2e%2e%2fsecret.txt',
    ]) {
      const r = await app.inject({ url });
      expect(r.body, url).not.toContain('outside the web folder');
      expect([200, 301, 302, 400, 403, 404], url).toContain(r.statusCode);
    }
  });

  it('answers a very long address with the page, not an error', async () => {
    const r = await app.inject({ url: `/app/${'x'.repeat(5000)}` });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe(INDEX);
  });

  it('needs no login, and a stale session cookie does not get in the way', async () => {
    const r = await app.inject({ url: '/app/', headers: { cookie: 'yizhan_session=stale' } });
    expect(r.statusCode).toBe(200);
  });
});

describe('/app/ without a build', () => {
  it('logs a warning at start and answers 503 with the command to run, in both languages', async () => {
    const logs: string[] = [];
    const bare = await webApp(join(dir, 'nothing-here'), logs);
    try {
      expect(logs.join('')).toContain('npm run build:web');
      const r = await bare.inject({ url: '/app/overview' });
      expect(r.statusCode).toBe(503);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain('管理网页尚未构建');
      expect(r.body).toContain('The web app is not built');
      expect(r.body).toContain('npm run build:web');
    } finally {
      await bare.close();
    }
  });
});
