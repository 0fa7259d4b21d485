/**
 * GET /api/v1/audit and /api/v1/audit.csv: filters, keyset pages, who sees which entries, the CSV
 * a spreadsheet opens, and the audit log staying append-only (SQLite here; both engines in
 * test/server/store/audit-append-only.int.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../../../server/src/org/audit.js';
import { addTestUser, sessionHeaders, type TestUser } from '../../auth-helpers.js';
import { orgApp } from './org-app.js';

let app: FastifyInstance;
let admin: TestUser;
let manager: TestUser;
const T = Date.now() - 3_600_000;

interface Entry {
  id: number;
  at: number;
  user: { id: number; login: string } | null;
  action: string;
  township: string | null;
  before: unknown;
  after: unknown;
}

async function write(
  user: TestUser | null,
  at: number,
  action: string,
  township: string | null,
  after?: unknown,
  target = 'station:st-001',
) {
  const principal = user
    ? { kind: 'user' as const, userId: user.id, login: user.login, displayName: user.login, grants: [] }
    : null;
  await recordAudit(app.ops.db, { principal, ip: '10.0.0.7' }, { action, target, township, after }, at);
}

beforeAll(async () => {
  ({ app } = await orgApp());
  admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }], 'admin');
  manager = await addTestUser(app, [{ role: 'township_manager', scope: 'chengguan' }], 'mgr-cg');
  for (let i = 0; i < 10; i++)
    await write(manager, T + i * 1000, 'config.put', 'chengguan', { readingIntervalS: i });
  await write(admin, T + 20_000, 'user.add', null, { login: 'new', password: 'secret' });
  await write(admin, T + 21_000, 'config.put', 'xintang');
  await write(null, T + 22_000, 'alert.ack', 'chengguan');
});
afterAll(() => app.close());

const get = async (url: string, user: TestUser = admin) =>
  app.inject({ url, headers: await sessionHeaders(app, user) });
const entries = async (url: string, user?: TestUser) =>
  (await get(url, user)).json<{ entries: Entry[]; next: number | null }>();

describe('GET /api/v1/audit', () => {
  it('answers the county admin every entry, newest first, secrets redacted', async () => {
    const r = await entries('/api/v1/audit');
    expect(r.entries).toHaveLength(13);
    expect(r.next).toBeNull();
    expect(r.entries.map((e) => e.at)).toEqual([...r.entries.map((e) => e.at)].sort((a, b) => b - a));
    expect(r.entries[0]).toMatchObject({ action: 'alert.ack', user: null, township: 'chengguan' });
    expect(r.entries[2]).toMatchObject({
      action: 'user.add',
      user: { id: admin.id, login: 'admin' },
      address: '10.0.0.7',
      township: null,
      before: null,
      after: { login: 'new', password: '***' },
    });
  });

  it.each([
    { q: 'user=mgr-cg', n: 10 },
    { q: 'action=config.put', n: 11 },
    { q: 'township=xintang', n: 1 },
    { q: `from=${T + 5000}&to=${T + 8000}`, n: 3 },
    { q: `from=${T + 5000}&user=mgr-cg&action=config.put&township=chengguan`, n: 5 },
  ])('filters: $q → $n', async ({ q, n }) => {
    expect((await entries(`/api/v1/audit?${q.replace(/ /g, '%20')}`)).entries).toHaveLength(n);
  });

  it('pages by keyset: every entry once, in order, next null on the last page', async () => {
    const seen: number[] = [];
    let url = '/api/v1/audit?limit=4';
    for (let pages = 0; pages < 10; pages++) {
      const r = await entries(url);
      seen.push(...r.entries.map((e) => e.id));
      if (r.next === null) break;
      url = `/api/v1/audit?limit=4&before=${r.next}`;
    }
    const all = (await entries('/api/v1/audit')).entries.map((e) => e.id);
    expect(seen).toEqual(all);
  });

  it("shows a township manager only their townships' entries, and refuses another township", async () => {
    const r = await entries('/api/v1/audit', manager);
    expect(r.entries).toHaveLength(11);
    expect(new Set(r.entries.map((e) => e.township))).toEqual(new Set(['chengguan']));
    const other = await get('/api/v1/audit?township=xintang', manager);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: { code: 'forbidden_township' } });
  });

  it('refuses readers without audit:read, bad values and unknown parameters, naming them', async () => {
    const crew = await addTestUser(app, [{ role: 'crew_lead', scope: 'county' }]);
    expect((await get('/api/v1/audit', crew)).statusCode).toBe(403);
    const cases: [string, RegExp][] = [
      ['limit=0', /limit/],
      ['limit=abc', /limit/],
      ['before=-1', /before/],
      [`user=${'x'.repeat(65)}`, /user/],
      [`from=${T + 10}&to=${T}`, /from/],
      ['usr=admin', /"usr"/],
    ];
    for (const [q, field] of cases) {
      const r = await get(`/api/v1/audit?${q}&lang=en`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json<{ error: { message: string } }>().error.message, q).toMatch(field);
    }
  });
});

describe('GET /api/v1/audit.csv', () => {
  it('is UTF-8 with a BOM, quotes commas, quotes and line breaks, keeps Chinese, and defuses formulas', async () => {
    await write(
      admin,
      T + 30_000,
      'township.rename',
      null,
      { name: '城关镇, "新"' },
      'township:城关,"A"\n第二行',
    );
    await write(admin, T + 31_000, '@cmd', null, undefined, '=HYPERLINK("x")');
    const r = await get('/api/v1/audit.csv?limit=2');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(
      /^attachment; filename="yizhan-audit-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(r.headers['x-next-before']).toMatch(/^\d+$/);
    const body = r.rawPayload.toString('utf8');
    expect(
      body.startsWith('\uFEFFid,at,time_utc,user_id,login,address,action,target,township,before,after\r\n'),
    ).toBe(true);
    const lines = body.slice(1).split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^\d+,\d+,[\d-]+T[\d:.]+Z,\d+,admin,10\.0\.0\.7,'@cmd,"'=HYPERLINK\(""x""\)",,,$/,
    );
    // The line break stays inside its quoted cell; rows end with \r\n.
    expect(lines[2]).toMatch(/,admin,10\.0\.0\.7,township\.rename,"township:城关,""A""\n第二行",,,/);
    expect(lines[2]).toMatch(/,"\{""name"":""城关镇, \\""新\\""""\}"$/);
  });
});
