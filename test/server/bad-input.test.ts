/**
 * Bad input to every write route and to the query strings of the list routes: wrong types, a 1 MB
 * body, SQL metacharacters, unknown fields and path tricks. Each gets a 4xx whose message names
 * the field (or the limit), never a 5xx, and nothing is written: the rows of users, grants,
 * sessions, tokens, audit log, alerts and their events, silences are counted before and after.
 *
 * Free-text fields (a display name, a comment) may hold SQL metacharacters: there the text must be
 * kept as sent, and every table must still be there afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  addTestAlert,
  addTestSilence,
  addTestNotification,
  OWN,
  rowCounts,
  startFullApp,
  userWithSession,
  WRITE_TABLES,
} from './full-app.js';
import { addTestUser } from './auth-helpers.js';
import { PNG, addTestWorkOrder } from './workorders/helpers.js';
import { addTestNotice } from './routes/notices/helpers.js';
import { LISTS, MB, PATH_TRICKS, ROUTES, SQL, type WriteRoute } from './bad-input-routes.js';
import { reportAt } from './routes/rider-reports/helpers.js';

let app: FastifyInstance;
let headers: Record<string, string>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  // The riders' report limits high: every bad request here takes from them before it is refused.
  app = await startFullApp({ reports: { perDeviceHour: 10_000, perDeviceDay: 10_000, perAddressHour: 10_000 } });
  headers = {
    ...(await userWithSession(app, [{ role: 'county_admin', scope: 'county' }])).headers,
    'accept-language': 'en',
    // The page's device id, which a new rider report needs (other routes ignore it).
    'x-yizhan-device': 'bad-input-test-device-0001',
  };
  ids.station = OWN.station;
  ids.user = String((await addTestUser(app, [{ role: 'viewer', scope: OWN.code }])).id);
  ids.alert = await addTestAlert(app, OWN.station);
  ids.token = '1';
  ids.silence = String(await addTestSilence(app, OWN.code));
  ids.notification = String(await addTestNotification(app));
  ids.order = String(await addTestWorkOrder(app, OWN.station));
  ids.notice = String(await addTestNotice(app, { township: OWN.code }));
  ids.report = String(await reportAt(app, OWN.station, { street: true, status: 'accepted' }));
});
afterAll(() => app?.close());

const urlOf = (r: WriteRoute, id?: string) => r.url.replace(/:(\w+)/, (_m, k: string) => id ?? ids[k] ?? '');

async function send(method: string, url: string, payload?: unknown) {
  return app.inject({
    method: method as 'POST',
    url,
    headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined
      ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }
      : {}),
  });
}

/** Sends the request and checks: the status, the message naming `names`, nothing written. */
async function refused(method: string, url: string, payload: unknown, status: RegExp, names: RegExp) {
  const before = await rowCounts(app);
  const r = await send(method, url, payload);
  const body = r.json<{ error?: { code: string; message: string } }>();
  const got = `${r.statusCode} ${body.error?.message ?? r.body}`;
  expect(String(r.statusCode), got).toMatch(status);
  expect(body.error?.message, got).toMatch(names);
  expect(await rowCounts(app)).toEqual(before);
}

describe.each(ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))('%s', (_name, r) => {
  it('refuses a 1 MB body with 413 naming the limit, and writes nothing', async () => {
    await refused(r.method, urlOf(r), { ...(r.body?.() ?? {}), pad: MB }, /^413$/, /at most \d+ KB/);
  });

  it('refuses an unknown field with 400 naming it', async () => {
    if (!r.body) return;
    await refused(r.method, urlOf(r), { ...r.body(), isAdmin: true }, /^400$/, /isAdmin/);
  });

  it('refuses a value of the wrong type with 400 naming the field', async () => {
    for (const [field, value] of r.wrongType)
      await refused(r.method, urlOf(r), { ...r.body?.(), [field]: value }, /^400$/, new RegExp(field));
  });

  it('refuses a body that is not JSON, or not an object', async () => {
    if (!r.body) return;
    await refused(r.method, urlOf(r), '{"login": ', /^400$/, /JSON/i);
    await refused(r.method, urlOf(r), '[1,2]', /^400$/, /body|object/);
  });

  it('refuses SQL metacharacters in checked fields and keeps them as text in free ones', async () => {
    for (const field of r.strict ?? [])
      for (const sql of SQL)
        await refused(r.method, urlOf(r), { ...r.body?.(), [field]: sql }, /^4\d\d$/, new RegExp(field));
    for (const field of r.free ?? [])
      for (const sql of SQL) {
        const res = await send(r.method, urlOf(r), { ...r.body?.(), [field]: sql });
        expect(res.statusCode, res.body).toBeLessThan(300);
        // Kept as sent: in the answer, or in the audit entry of the write.
        const audited = await app.ops.db
          .selectFrom('audit_log')
          .select('after_json')
          .orderBy('id', 'desc')
          .executeTakeFirst();
        expect(`${res.body} ${audited?.after_json ?? ''}`).toContain(JSON.stringify(sql).slice(1, -1));
      }
    expect(Object.keys(await rowCounts(app))).toHaveLength(WRITE_TABLES.length);
  });

  it('refuses path tricks in the id with a 4xx naming it, and writes nothing', async () => {
    if (!r.url.includes(':')) return;
    for (const trick of PATH_TRICKS) {
      const before = await rowCounts(app);
      const res = await send(r.method, urlOf(r, trick), r.body?.());
      expect(res.statusCode, `${trick}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${trick}: ${res.body}`).toBeLessThan(500);
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/params\/id|id|not found/i);
      expect(await rowCounts(app)).toEqual(before);
    }
  });
});

describe('query strings of the list routes', () => {
  it.each(LISTS.map((l) => [l.url, l] as const))('%s: a 4xx naming the parameter', async (_u, l) => {
    for (const [param, value] of Object.entries(l.params)) {
      const r = await app.inject({ url: `${l.url}?${param}=${encodeURIComponent(value)}`, headers });
      expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, r.body).toBeLessThan(500);
      expect(r.json<{ error: { message: string } }>().error.message).toMatch(new RegExp(`${param}|${value}`));
    }
    const before = await rowCounts(app);
    for (const sql of SQL)
      for (const param of Object.keys(l.params)) {
        const r = await app.inject({ url: `${l.url}?${param}=${encodeURIComponent(sql)}`, headers });
        expect(r.statusCode, `${param}: ${r.body}`).toBeGreaterThanOrEqual(400);
      }
    expect(await rowCounts(app)).toEqual(before);
  });

  it('names the field in Chinese too', async () => {
    const r = await app.inject({
      url: '/api/v1/stations/..%2fetc',
      headers: { ...headers, 'accept-language': 'zh-CN' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: {
        code: 'bad_request',
        message: '请求无效：params/id 格式不符（应匹配 ^[a-z][a-z0-9-]{2,31}$）',
      },
    });
  });
});

describe('the read routes with a station id', () => {
  it('answers a path that cannot be decoded in the usual error shape', async () => {
    const r = await app.inject({ url: '/api/v1/stations/%E0%A4%A', headers });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: { code: 'bad_url', message: 'Invalid URL: the path has characters that cannot be decoded' },
    });
  });

  it.each(PATH_TRICKS)('GET /api/v1/stations/%s is a 4xx naming the id', async (trick) => {
    for (const url of [`/api/v1/stations/${trick}`, `/api/v1/stations/${trick}/config`]) {
      const r = await app.inject({ url, headers });
      // Longer than the router's parameter limit: 414 before any route runs.
      expect(r.statusCode, `${url}: ${r.body}`).toBe(trick.length > 100 ? 414 : 400);
      expect(r.json<{ error: { message: string } }>().error.message).toMatch(/params\/id|an id in the path/);
    }
  });
});

describe('POST /api/v1/work-orders/:id/photos (a raw image body)', () => {
  it('refuses an image over 2 MB with 413 before reading it, and a JSON body with 415; writes nothing', async () => {
    const before = await rowCounts(app);
    const url = `/api/v1/work-orders/${ids.order}/photos`;
    const big = await app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'image/png' },
      payload: Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]),
    });
    expect(big.statusCode, big.body).toBe(413);
    expect(big.json<{ error: { message: string } }>().error.message).toMatch(/at most 2 MB|2048 KB/);
    const json = await send('POST', url, { photo: 'x' });
    expect(json.statusCode, json.body).toBe(415);
    expect(await rowCounts(app)).toEqual(before);
  });
});
