/**
 * `/metrics`: Prometheus on this host scrapes without credentials; anyone else (including anyone
 * behind a reverse proxy on this host) needs a token with metrics:read. `/healthz` stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestUser, tokenHeaders } from '../auth-helpers.js';
import { startFullApp } from '../full-app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await startFullApp();
});
afterAll(() => app?.close());

const scrape = (remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({ url: '/metrics', remoteAddress, headers: { 'accept-language': 'en', ...headers } });

describe('/metrics', () => {
  it.each(['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1'])(
    'answers a client on this host (%s) without credentials',
    async (address) => {
      const r = await scrape(address);
      expect(r.statusCode).toBe(200);
      expect(r.body).toContain('yizhan_sse_clients');
    },
  );

  it.each([
    ['x-forwarded-for', '203.0.113.5'],
    ['forwarded', 'for=203.0.113.5'],
    ['x-real-ip', '203.0.113.5'],
  ])('treats a loopback request carrying %s (a proxy on this host) as remote', async (header, value) => {
    const r = await scrape('127.0.0.1', { [header]: value });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: { code: 'login_required' } });
  });

  it('needs a token holding metrics:read from elsewhere', async () => {
    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    expect((await scrape('192.0.2.9')).statusCode).toBe(401);
    const reader = await scrape('192.0.2.9', await tokenHeaders(app, admin, ['station:read']));
    expect(reader.statusCode).toBe(403);
    expect(reader.json()).toEqual({
      error: { code: 'forbidden', message: 'Not allowed: needs metrics:read' },
    });
    const prom = await scrape('192.0.2.9', await tokenHeaders(app, admin, ['metrics:read']));
    expect(prom.statusCode).toBe(200);
    expect(prom.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('leaves /healthz open to everybody', async () => {
    expect((await app.inject({ url: '/healthz', remoteAddress: '192.0.2.9' })).statusCode).toBe(200);
  });
});
