/**
 * The notices API through the whole app: who may post, change and withdraw which notice (county,
 * own township, other township, own and other station) by role, the audit entries, CSRF, and bad
 * input answered with a 400 naming the field and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Permission, Role } from '@yizhan/server/roles';
import { addTestUser, tokenHeaders } from '../../auth-helpers.js';
import type { ErrorBody } from '@yizhan/server/api-types';
import type { Notice, NoticeScope } from '@yizhan/server/api-types';
import { CSRF_HEADER } from '../../../../server/src/plugins/auth.js';
import { OTHER, OWN, rowCounts, startFullApp, userWithSession } from '../../full-app.js';
import { HOUR, addTestNotice, noticeBody } from './helpers.js';

let app: FastifyInstance;
const headers = new Map<Role | 'anonymous', Record<string, string>>();

beforeAll(async () => {
  app = await startFullApp();
  headers.set('anonymous', {});
  for (const role of ['county_admin', 'township_manager', 'crew_lead', 'grid_staff', 'viewer'] as const)
    headers.set(role, (await userWithSession(app, [{ role, scope: role === 'county_admin' ? 'county' : OWN.code }])).headers);
});
afterAll(() => app.close());

const as = (who: Role | 'anonymous') => headers.get(who)!;
const post = (who: Role | 'anonymous', payload: object) =>
  app.inject({ method: 'POST', url: '/api/v1/notices', headers: as(who), payload });
const audits = (action: string) =>
  app.ops.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

const SCOPES: Record<string, NoticeScope> = {
  county: { county: true },
  ownTownship: { township: OWN.code },
  otherTownship: { township: OTHER.code },
  ownStation: { stationId: OWN.station },
  otherStation: { stationId: OTHER.station },
};
// prettier-ignore
const POST_TABLE: [Role | 'anonymous', string, string, string, string, string][] = [
  //                     county  ownTownship  otherTownship  ownStation  otherStation
  ['anonymous',           '401', '401',       '401',         '401',      '401'],
  ['county_admin',        '201', '201',       '201',         '201',      '201'],
  ['township_manager',    '403', '201',       '403',         '201',      '403'],
  ['crew_lead',           '403', '403',       '403',         '403',      '403'],
  ['grid_staff',          '403', '403',       '403',         '403',      '403'],
  ['viewer',              '403', '403',       '403',         '403',      '403'],
];

describe('POST /api/v1/notices by role and scope', () => {
  const cases = POST_TABLE.flatMap(([who, ...codes]) =>
    Object.keys(SCOPES).map((scope, i) => [who, scope, Number(codes[i])] as const),
  );
  it.each(cases)('%s posting a %s notice: %i', async (who, scope, status) => {
    const before = await rowCounts(app);
    const r = await post(who, noticeBody(SCOPES[scope]!));
    expect(r.statusCode, r.body).toBe(status);
    if (status !== 201) {
      expect(await rowCounts(app)).toEqual(before);
      // Without notice:write anywhere the guard refuses; a township manager is refused by the notice's township.
      const code = who !== 'township_manager' ? 'forbidden' : scope === 'county' ? 'forbidden_county' : 'forbidden_township';
      if (status === 403) expect(r.json<ErrorBody>().error.code).toBe(code);
      return;
    }
    const n = r.json<{ notice: Notice }>().notice;
    expect(n).toMatchObject({ scope: SCOPES[scope], kind: 'weather', severity: 'warning', withdrawnAt: null });
    expect(n.title).toEqual({ 'zh-CN': '暴雨橙色预警', en: 'Orange rainstorm warning' });
    const township = scope === 'county' ? null : scope.startsWith('own') ? OWN.code : OTHER.code;
    expect((await audits('notice.add')).at(-1)).toMatchObject({ target: `notice:${n.id}`, township });
  });

  it('an API token posts only when it was made with notice:write', async () => {
    const manager = await addTestUser(app, [{ role: 'township_manager', scope: OWN.code }]);
    const send = async (scopes: Permission[]) =>
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/notices',
          headers: await tokenHeaders(app, manager, scopes),
          payload: noticeBody(SCOPES.ownTownship!),
        })
      ).statusCode;
    expect(await send(['notice:write'])).toBe(201);
    expect(await send(['station:read'])).toBe(403);
  });

  it('a session write without the CSRF header is refused and writes nothing', async () => {
    const { [CSRF_HEADER]: _csrf, ...cookieOnly } = as('county_admin');
    const before = await rowCounts(app);
    const r = await app.inject({ method: 'POST', url: '/api/v1/notices', headers: cookieOnly, payload: noticeBody(SCOPES.county!) });
    expect(r.statusCode).toBe(403);
    expect(r.json<ErrorBody>().error.code).toBe('csrf_failed');
    expect(await rowCounts(app)).toEqual(before);
  });
});

describe('PATCH and withdraw', () => {
  it('a township manager changes and withdraws its own township notice, audited; not another township', async () => {
    const own = await addTestNotice(app, { township: OWN.code });
    const other = await addTestNotice(app, { township: OTHER.code });
    const county = await addTestNotice(app, { county: true });
    const change = { severity: 'critical', title: { 'zh-CN': '改为红色预警' } };
    for (const id of [other, county]) {
      const denied = await app.inject({ method: 'PATCH', url: `/api/v1/notices/${id}`, headers: as('township_manager'), payload: change });
      expect(denied.statusCode).toBe(403);
      const w = await app.inject({ method: 'POST', url: `/api/v1/notices/${id}/withdraw`, headers: as('township_manager') });
      expect(w.statusCode).toBe(403);
    }
    const r = await app.inject({ method: 'PATCH', url: `/api/v1/notices/${own}`, headers: as('township_manager'), payload: change });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json<{ notice: Notice }>().notice).toMatchObject({ severity: 'critical', title: { 'zh-CN': '改为红色预警' } });
    expect((await audits('notice.change')).at(-1)).toMatchObject({ target: `notice:${own}`, township: OWN.code });
    const w = await app.inject({ method: 'POST', url: `/api/v1/notices/${own}/withdraw`, headers: as('township_manager') });
    expect(w.statusCode).toBe(200);
    expect(w.json<{ notice: Notice }>().notice.withdrawnAt).not.toBeNull();
    expect((await audits('notice.withdraw')).at(-1)).toMatchObject({ target: `notice:${own}`, township: OWN.code });
    // Withdrawn: no longer changeable, listed only in the history.
    const late = await app.inject({ method: 'PATCH', url: `/api/v1/notices/${own}`, headers: as('township_manager'), payload: change });
    expect(late.statusCode).toBe(409);
    const current = await app.inject({ url: '/api/v1/notices', headers: as('viewer') });
    const ids = current.json<{ notices: Notice[] }>().notices.map((n) => n.id);
    expect(ids).toContain(county);
    expect(ids).not.toContain(own);
    expect(ids).not.toContain(other);
    const all = await app.inject({ url: '/api/v1/notices?state=all', headers: as('viewer') });
    expect(all.json<{ notices: Notice[] }>().notices.map((n) => n.id)).toContain(own);
    const missing = await app.inject({ method: 'POST', url: '/api/v1/notices/999999/withdraw', headers: as('county_admin') });
    expect(missing.statusCode).toBe(404);
  });
});

describe('free text', () => {
  it('keeps SQL metacharacters and both languages as sent', async () => {
    const title = { 'zh-CN': `' OR 1=1 --`, en: `"; DROP TABLE notices; --` };
    const r = await post('county_admin', noticeBody(SCOPES.county!, { title }));
    expect(r.statusCode).toBe(201);
    const id = r.json<{ notice: Notice }>().notice.id;
    const list = await app.inject({ url: '/api/v1/notices', headers: as('viewer') });
    expect(list.json<{ notices: Notice[] }>().notices.find((n) => n.id === id)?.title).toEqual(title);
  });
});

describe('bad input', () => {
  const now = Date.now();
  it.each<[string, object, string]>([
    ['ends before it starts', noticeBody(SCOPES.county!, { startsAt: now + 2 * HOUR, endsAt: now + HOUR }), 'endsAt'],
    ['ended already', noticeBody(SCOPES.county!, { startsAt: now - 2 * HOUR, endsAt: now - HOUR }), 'endsAt'],
    ['shown for over 90 days', noticeBody(SCOPES.county!, { endsAt: now + 91 * 24 * HOUR }), '90'],
    ['title over 80 characters', noticeBody(SCOPES.county!, { title: { 'zh-CN': '雨'.repeat(81) } }), 'title'],
    ['body over 1000 characters', noticeBody(SCOPES.county!, { body: { 'zh-CN': '雨'.repeat(1001) } }), 'body'],
    ['blank title', noticeBody(SCOPES.county!, { title: { 'zh-CN': '   ' } }), 'title.zh-CN'],
    ['unknown station', noticeBody({ stationId: 'st-999' }), 'scope.stationId'],
    ['unknown township', noticeBody({ township: 'atlantis' }), 'scope.township'],
    ['unknown kind', noticeBody(SCOPES.county!, { kind: 'party' }), 'kind'],
    ['unknown field', noticeBody(SCOPES.county!, { colour: 'red' }), 'colour'],
    ['no end', { scope: { county: true }, kind: 'event', title: { 'zh-CN': '活动' }, body: { 'zh-CN': '内容' } }, 'endsAt'],
  ])('%s: 400 naming %s, nothing written', async (_name, payload, field) => {
    const before = await rowCounts(app);
    const r = await post('county_admin', payload);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json<ErrorBody>().error.message).toContain(field);
    expect(await rowCounts(app)).toEqual(before);
  });
});
