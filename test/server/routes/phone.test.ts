/**
 * The riders' phone page's files at /m/ (server/src/routes/phone.ts) on a plugin-level app: the
 * page for every view path (QR code, report form, receipt), pre-compressed files to browsers that
 * take them, cache headers, path tricks, and the 503 without a build.
 */
import { gzipSync, brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import phone from '../../../server/src/routes/phone.js';
import { spaApp } from './spa-app.js';

const INDEX = '<!doctype html><title>phone page</title><div id="app"></div>';
const ASSET = 'console.log("phone page")'.repeat(20);
const JS = '/m/assets/index-Ab12Cd34.js';

const phoneApp = (webDir: string, logLines?: string[]) => spaApp(phone, webDir, logLines);

let dir: string;
let app: Awaited<ReturnType<typeof phoneApp>>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yz-phone-'));
  mkdirSync(join(dir, 'dist/m/assets'), { recursive: true });
  writeFileSync(join(dir, 'dist/m/index.html'), INDEX);
  writeFileSync(join(dir, 'dist/m/index.html.br'), brotliCompressSync(INDEX));
  writeFileSync(join(dir, `dist${JS}`), ASSET);
  writeFileSync(join(dir, `dist${JS}.gz`), gzipSync(ASSET));
  writeFileSync(join(dir, `dist${JS}.br`), brotliCompressSync(ASSET));
  writeFileSync(join(dir, 'dist/index.html'), 'the staff app');
  writeFileSync(join(dir, 'secret.txt'), 'outside the web folder');
  app = await phoneApp(join(dir, 'dist'));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/m/', () => {
  it.each([
    ['/m/?station=st-001', 'the QR code on a station door'],
    ['/m/report?station=st-001', 'the report form'],
    ['/m/r/K7M2-9QXD', "a report's progress"],
  ])('answers the page at %s (%s), revalidated, under its CSP', async (url) => {
    const r = await app.inject(url);
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe(INDEX);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-security-policy']).toContain("img-src 'self' data: blob:");
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
  });

  it('redirects /m to /m/ keeping the query', async () => {
    const r = await app.inject('/m?station=st-001');
    expect(r.statusCode).toBe(301);
    expect(r.headers.location).toBe('/m/?station=st-001');
  });

  it('sends the brotli or gzip file to browsers that accept it, the plain one otherwise', async () => {
    const br = await app.inject({ url: JS, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(ASSET);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toContain('accept-encoding');
    const gz = await app.inject({ url: JS, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(ASSET);
    const plain = await app.inject({ url: JS, headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(ASSET);
    const page = await app.inject({ url: '/m/', headers: { 'accept-encoding': 'br' } });
    expect(brotliDecompressSync(page.rawPayload).toString()).toBe(INDEX);
  });

  it.each([
    ['/m/assets/index-Old00000.js', 'an old build asking for an old file'],
    [`${JS}.br`, 'a compressed file asked by name'],
  ])('404 for %s (%s)', async (url) => {
    expect((await app.inject(url)).statusCode).toBe(404);
  });

  it.each([
    ['/m/..%2F..%2Fsecret.txt', 'a path out of the folder'],
    ['/m/assets/..%2F..%2Findex.html', "the staff app's page"],
  ])('never serves a file outside dist/m: %s (%s) is the phone page at most', async (url) => {
    const r = await app.inject(url);
    expect([200, 404]).toContain(r.statusCode);
    if (r.statusCode === 200) expect(r.body).toBe(INDEX);
  });

  it('answers 503 with the command to run when the page is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'yz-phone-empty-'));
    const bare = await phoneApp(empty);
    try {
      const r = await bare.inject('/m/');
      expect(r.statusCode).toBe(503);
      expect(r.body).toContain('npm run build:web');
      expect(r.headers['cache-control']).toBe('no-store');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
