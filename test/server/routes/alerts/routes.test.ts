/**
 * The alerts API with app.inject on SQLite in memory: scoped lists and pages, one alert with its
 * history, acknowledgement and comments by township, and bad input that writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { alertsApp } from '../../alerts/alerts-app.js';
import { addTestUser, sessionHeaders, tokenHeaders } from '../../auth-helpers.js';
import { firingAlert, resolvedAlert } from '../../../helpers/alert.js';
import type { StoredAlert } from '../../../../server/src/alerts/repo.js';

const T = 1_700_000_000_000;
interface Err {
  error: { code: string; message: string };
}
interface One {
  alert: StoredAlert;
  events: { kind: string }[];
}
const anyNumber = expect.any(Number) as unknown;
const containing = (s: string) => expect.stringContaining(s) as unknown;
let app: FastifyInstance;
/** Headers by who: county admin, chengguan crew member, chengguan viewer. */
const h: Record<'admin' | 'crew' | 'viewer', Record<string, string>> = { admin: {}, crew: {}, viewer: {} };
let crewId = 0;

const cg = firingAlert('st-001', { startMs: T });
const cgOld = firingAlert('st-001', { startMs: T - 3_600_000, rule: 'serial_link_down' });
const xt = firingAlert('st-002', { startMs: T + 60_000 });

beforeAll(async () => {
  app = await alertsApp();
  for (const a of [cgOld, resolvedAlert(cgOld), cg, xt]) app.alertRepo.record(a);
  await app.alertRepo.flushed();
  h.admin = await sessionHeaders(app, await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]));
  const crew = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }], 'crew-cg');
  crewId = crew.id;
  h.crew = await sessionHeaders(app, crew);
  h.viewer = await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: 'chengguan' }]));
});
afterAll(() => app.close());

const get = (url: string, headers: Record<string, string>) => app.inject({ url, headers });
const ids = (r: { json(): unknown }) => (r.json() as { alerts: StoredAlert[] }).alerts.map((a) => a.id);
/** Rows of the tables a write touches, to show that a refused one touched nothing. */
async function written(): Promise<[number, number, number | null]> {
  const events = await app.ops.db
    .selectFrom('alert_events')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const audit = await app.ops.db
    .selectFrom('audit_log')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const acked = await app.ops.db
    .selectFrom('alerts')
    .select('acked_at')
    .where('id', '=', cg.id)
    .executeTakeFirstOrThrow();
  return [Number(events.n), Number(audit.n), acked.acked_at];
}

describe('GET /api/v1/alerts', () => {
  it('needs a login', async () => {
    expect((await get('/api/v1/alerts', {})).statusCode).toBe(401);
  });

  it('lists only the townships the reader may see, firing by default, newest first', async () => {
    expect(ids(await get('/api/v1/alerts', h.admin))).toEqual([xt.id, cg.id]);
    expect(ids(await get('/api/v1/alerts', h.viewer))).toEqual([cg.id]);
    expect(ids(await get('/api/v1/alerts?state=all', h.viewer))).toEqual([cg.id, cgOld.id]);
    expect(ids(await get('/api/v1/alerts?state=resolved&rule=serial_link_down', h.admin))).toEqual([
      cgOld.id,
    ]);
    expect(ids(await get('/api/v1/alerts?township=xintang', h.admin))).toEqual([xt.id]);
    const r = await get('/api/v1/alerts', h.viewer);
    expect(r.json()).toMatchObject({
      alerts: [
        {
          stationId: 'st-001',
          township: '城关镇',
          townshipCode: 'chengguan',
          acknowledged: null,
          comments: 0,
        },
      ],
      next: null,
    });
  });

  it('refuses another township by name, a bad cursor, a limit over 500 and a wrong state', async () => {
    const other = await get('/api/v1/alerts?township=xintang&lang=en', h.viewer);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({
      error: { code: 'forbidden_township', message: containing('xintang') },
    });
    const cursor = await get('/api/v1/alerts?before=nope&lang=en', h.admin);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toMatchObject({
      error: { code: 'bad_cursor', message: containing('before') },
    });
    for (const q of ['limit=501', 'limit=0', 'limit=ten', 'state=sometimes', 'acked=maybe']) {
      const r = await get(`/api/v1/alerts?${q}`, h.admin);
      expect(r.statusCode, q).toBe(400);
      expect(r.json<Err>().error.message, q).toContain(q.split('=')[0]);
    }
  });

  it('pages with next/before', async () => {
    const first = await get('/api/v1/alerts?state=all&limit=2', h.admin);
    expect(ids(first)).toEqual([xt.id, cg.id]);
    const next = first.json<{ next: string }>().next;
    expect(next).toBe(cg.id);
    const second = await get(`/api/v1/alerts?state=all&limit=2&before=${next}`, h.admin);
    expect(ids(second)).toEqual([cgOld.id]);
    expect(second.json<{ next: string | null }>().next).toBeNull();
  });
});

describe('GET /api/v1/alerts/:id', () => {
  it('answers the alert with its history, 404 for none, 403 for another township', async () => {
    const r = await get(`/api/v1/alerts/${cgOld.id}`, h.viewer);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      alert: { id: cgOld.id, status: 'resolved' },
      events: [{ kind: 'fired', user: null }, { kind: 'resolved' }],
    });
    const none = await get('/api/v1/alerts/no-such-alert', h.viewer);
    expect(none.statusCode).toBe(404);
    expect(none.json<Err>().error.code).toBe('alert_not_found');
    expect((await get(`/api/v1/alerts/${xt.id}`, h.viewer)).statusCode).toBe(403);
  });
});

describe('acknowledging and commenting', () => {
  const post = (url: string, headers: Record<string, string>, payload?: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as string }),
    });

  it('acknowledges in the own township, with an event and an audit entry; unack withdraws it', async () => {
    const r = await post(`/api/v1/alerts/${cg.id}/ack`, h.crew);
    expect(r.statusCode).toBe(200);
    expect(r.json<One>().alert.acknowledged).toEqual({
      at: anyNumber,
      by: { id: crewId, displayName: 'crew-cg' },
    });
    const audit = await app.ops.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'alert.ack')
      .execute();
    expect(audit).toMatchObject([{ user_id: crewId, target: `alert:${cg.id}`, township: 'chengguan' }]);
    expect(ids(await get('/api/v1/alerts?acked=true', h.crew))).toEqual([cg.id]);
    // Again: answered with the same acknowledgement, nothing new written.
    const before = await written();
    expect((await post(`/api/v1/alerts/${cg.id}/ack`, h.crew)).json<One>().alert.acknowledged?.by?.id).toBe(
      crewId,
    );
    expect(await written()).toEqual(before);

    const un = await post(`/api/v1/alerts/${cg.id}/unack`, h.crew);
    expect(un.statusCode).toBe(200);
    expect(un.json<One>().alert.acknowledged).toBeNull();
    const events = (await get(`/api/v1/alerts/${cg.id}`, h.crew)).json<One>().events;
    expect(events.map((e) => e.kind)).toEqual(['fired', 'acknowledged', 'unacknowledged']);
    expect(
      await app.ops.db.selectFrom('audit_log').select('action').where('action', 'like', 'alert.%').execute(),
    ).toEqual([{ action: 'alert.ack' }, { action: 'alert.unack' }]);
  });

  it('comments: 201 with the event, counted on the alert, text kept verbatim', async () => {
    const text = "已派人；'); drop table alerts; -- <b>";
    const r = await post(`/api/v1/alerts/${cg.id}/comments`, h.crew, { text });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toEqual({
      event: {
        at: anyNumber,
        kind: 'commented',
        user: { id: crewId, displayName: 'crew-cg' },
        text,
      },
    });
    expect((await get(`/api/v1/alerts/${cg.id}`, h.viewer)).json<One>().alert.comments).toBe(1);
    const audit = await app.ops.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'alert.comment')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.after_json ?? '{}')).toEqual({ text });
  });

  it('works with a token limited to alert:write, without CSRF', async () => {
    const crew = await addTestUser(app, [{ role: 'crew_lead', scope: 'chengguan' }]);
    const r = await post(`/api/v1/alerts/${cg.id}/comments`, await tokenHeaders(app, crew, ['alert:write']), {
      text: '令牌 / token',
    });
    expect(r.statusCode).toBe(201);
  });

  const big = 'x'.repeat(1024 * 1024);
  const refused: [
    name: string,
    url: () => string,
    who: () => Record<string, string>,
    body: unknown,
    status: number,
    says: string,
  ][] = [
    [
      'another township',
      () => `/api/v1/alerts/${xt.id}/ack`,
      () => h.crew,
      undefined,
      403,
      'forbidden_township',
    ],
    ['a viewer', () => `/api/v1/alerts/${cg.id}/ack`, () => h.viewer, undefined, 403, 'alert:write'],
    ['no login', () => `/api/v1/alerts/${cg.id}/ack`, () => ({}), undefined, 401, 'login_required'],
    [
      'no CSRF header',
      () => `/api/v1/alerts/${cg.id}/ack`,
      () => ({ cookie: h.crew.cookie ?? '' }),
      undefined,
      403,
      'csrf_failed',
    ],
    ['an unknown alert', () => '/api/v1/alerts/nope/ack', () => h.crew, undefined, 404, 'alert_not_found'],
    [
      'an unknown field on ack',
      () => `/api/v1/alerts/${cg.id}/ack`,
      () => h.crew,
      { force: true },
      400,
      'force',
    ],
    [
      'an unknown field',
      () => `/api/v1/alerts/${cg.id}/comments`,
      () => h.crew,
      { text: 'a', pin: 1 },
      400,
      'pin',
    ],
    [
      'text of the wrong type',
      () => `/api/v1/alerts/${cg.id}/comments`,
      () => h.crew,
      { text: 42 },
      400,
      'text',
    ],
    ['no text', () => `/api/v1/alerts/${cg.id}/comments`, () => h.crew, {}, 400, 'text'],
    ['blank text', () => `/api/v1/alerts/${cg.id}/comments`, () => h.crew, { text: '   ' }, 400, 'text'],
    [
      'text over 2000',
      () => `/api/v1/alerts/${cg.id}/comments`,
      () => h.crew,
      { text: '长'.repeat(2001) },
      400,
      'text',
    ],
    [
      'a 1 MB body',
      () => `/api/v1/alerts/${cg.id}/comments`,
      () => h.crew,
      { text: big },
      413,
      'bad_request',
    ],
    [
      'another township comment',
      () => `/api/v1/alerts/${xt.id}/comments`,
      () => h.crew,
      { text: 'a' },
      403,
      'forbidden_township',
    ],
  ];
  it.each(refused)('refuses %s and writes nothing', async (_n, url, who, body, status, says) => {
    const before = await written();
    const r = await post(url(), who(), body);
    expect(r.statusCode).toBe(status);
    expect(JSON.stringify(r.json())).toContain(says);
    expect(await written()).toEqual(before);
  });
});
