/**
 * The authorisation matrix: every route buildApp registers × every role × own/other township, plus
 * anonymous and a token with no scopes, against the status written in the table below. The table
 * is written out by hand, not derived from auth/roles.ts, so a wrong permission there (or a wrong
 * access declaration on a route) fails here. A route registered but missing from the table fails,
 * and so does a row whose route is not registered.
 *
 * Every principal is a user with one grant in township A (county_admin: the county); "own" sends
 * the request about township A, "other" about township B. Requests come from a remote address
 * (192.0.2.x, one per column), so /metrics needs its token there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '@yizhan/server/roles';
import { createToken } from '../../server/src/auth/sessions.js';
import { addTestUser, sessionHeaders, tokenHeaders, type TestUser } from './auth-helpers.js';
import { OTHER, OWN, addTestAlert, addTestNotification, addTestSilence, startFullApp } from './full-app.js';
import { PNG, addTestPhoto, addTestWorkOrder } from './workorders/helpers.js';
import { addTestNotice, noticeBody } from './routes/notices/helpers.js';
import { addReport, newDevice, reportAt, reportBody } from './routes/rider-reports/helpers.js';
import { JPEG_16x12 } from './reports/images.js';

/** The table's role columns, written out on purpose: a role added to roles.ts fails the first test until it has one. */
const ROLE_COLUMNS = [
  'county_admin',
  'township_manager',
  'crew_lead',
  'crew_member',
  'planner',
  'grid_staff',
  'viewer',
] as const satisfies readonly Role[];

/** Parts of issue 12 whose routes are not in this tree yet: their rows wait (empty once merged). */
const NOT_YET_MERGED = new Set<Part>([]);

type Part = 'main' | 'auth' | 'org' | 'alerts' | 'planning' | 'web';
type Township = typeof OWN | typeof OTHER;
interface Ctx {
  app: FastifyInstance;
  /** The column's user (null: anonymous). */
  user: TestUser | null;
  /** Users with a viewer grant in A and in B: targets of the user-admin routes. */
  people: Record<string, TestUser>;
  alerts: Record<string, string>;
  seq: number;
}
interface Req {
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
}
interface Row {
  route: string;
  part: Part;
  /**
   * anon, no-scope token, then per role "own/other" (one status: the same for both), in the order
   * of ROLE_COLUMNS: county_admin township_manager crew_lead crew_member planner grid_staff viewer.
   */
  expect: string;
  req?: (t: Township, c: Ctx) => Req | Promise<Req>;
  /** A stream that never ends (SSE): only its status is read. */
  stream?: true;
  /** Each request with a fresh session or token (the request ends it: logout). */
  fresh?: true;
}

const station = (t: Township): Req => ({ url: `/api/v1/stations/${t.station}` });
const alert = (t: Township, c: Ctx) => c.alerts[t.code] ?? '';
const freshAlert = async (t: Township, c: Ctx, acked = false): Promise<string> => {
  const id = await addTestAlert(c.app, t.station);
  if (acked)
    await c.app.ops.db.updateTable('alerts').set({ acked_at: Date.now() }).where('id', '=', id).execute();
  return id;
};
const resolvedAlertOf = async (t: Township, c: Ctx): Promise<string> => {
  const id = await addTestAlert(c.app, t.station);
  await c.app.ops.db
    .updateTable('alerts')
    .set({ status: 'resolved', ends_at: Date.now() })
    .where('id', '=', id)
    .execute();
  return id;
};
const addTestLayer = async (app: FastifyInstance): Promise<number> =>
  (
    await app.ops.db
      .insertInto('demand_layers')
      .values({ name: 'test', kind: 'other', points: 0, total_weight: 0, created_at: Date.now(), created_by: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
const addTestCandidate = async (app: FastifyInstance): Promise<number> =>
  (
    await app.ops.db
      .insertInto('planning_candidates')
      .values({ name: 'test', address: '', lat: 30, lon: 120, source: 'map', created_at: Date.now(), created_by: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
const noticeOf = async (t: Township, c: Ctx) => `/api/v1/notices/${await addTestNotice(c.app, { township: t.code })}`;
const person = (t: Township, c: Ctx) => c.people[t.code]?.id ?? 0;
const silenceBody = (t: Township) => ({
  matchers: { township: t.code },
  endsAt: Date.now() + 3_600_000,
  reason: '检修',
});
const freshSilence = (t: Township, c: Ctx): Promise<number> => addTestSilence(c.app, t.code);
const order = async (t: Township, c: Ctx, state = 'open') =>
  `/api/v1/work-orders/${await addTestWorkOrder(c.app, t.station, state)}`;
const orderWrite =
  (verb: string, state = 'open', payload: object = {}) =>
  async (t: Township, c: Ctx): Promise<Req> => ({
    url: `${await order(t, c, state)}/${verb}`,
    payload,
  });

// prettier-ignore
const ROWS: Row[] = [
  //                                                anon tok  CA  TM       CL       CM       PL       GS       VW
  { route: 'GET /', part: 'main',                   expect: '200 200  200 200      200      200      200      200      200' },
  { route: 'GET /healthz', part: 'main',            expect: '200 200  200 200      200      200      200      200      200' },
  // No broker or InfluxDB in this test: not ready, for everybody.
  { route: 'GET /readyz', part: 'main',             expect: '503 503  503 503      503      503      503      503      503' },
  { route: 'GET /metrics', part: 'main',            expect: '401 403  200 403      403      403      403      403      403' },
  { route: 'GET /api/v1/stations', part: 'main',    expect: '200 200  200 200      200      200      200      200      200' },
  { route: 'GET /api/v1/stations/:id', part: 'main', expect: '200 200 200 200      200      200      200      200      200', req: station },
  { route: 'GET /screen/:stationId', part: 'main',  expect: '200 200  200 200      200      200      200      200      200', req: (t) => ({ url: `/screen/${t.station}` }) },
  { route: 'GET /assets/fonts/:file', part: 'main', expect: '200 200  200 200      200      200      200      200      200', req: (_t, c) => ({ url: fontUrl(c) }) },
  // The riders' endpoints: no login, whoever asks.
  { route: 'GET /api/v1/public/stations/nearby', part: 'main',
                                                    expect: '200 200  200 200      200      200      200      200      200', req: (t) => ({ url: `/api/v1/public/stations/nearby?township=${t.code}&lat=30&lon=120` }) },
  { route: 'GET /api/v1/public/townships', part: 'main',
                                                    expect: '200 200  200 200      200      200      200      200      200' },
  { route: 'GET /api/v1/events', part: 'main',      expect: '200 200  200 200      200      200      200      200      200', stream: true, req: (t) => ({ url: `/api/v1/events?station=${t.station}` }) },
  { route: 'GET /api/v1/stations/:id/config', part: 'main',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `${station(t).url}/config` }) },
  // Allowed writes reach the handler, which answers 503 config_not_ready without a broker.
  { route: 'PUT /api/v1/stations/:id/config', part: 'main',
                                                    expect: '401 403  503 503/403  503/403  403      403      403      403', req: (t) => ({ url: `${station(t).url}/config`, payload: { readingIntervalS: 5 } }) },
  { route: 'GET /api/v1/alerts', part: 'main',      expect: '401 403  200 200      200      200      200      200      200' },

  { route: 'POST /api/v1/auth/login', part: 'auth', expect: '401 401  401 401      401      401      401      401      401',
    req: (t, c) => ({ url: '/api/v1/auth/login', payload: { login: `nobody${++c.seq}`, password: 'not-the-password-1' } }) },
  { route: 'POST /api/v1/auth/logout', part: 'auth', fresh: true,
                                                    expect: '401 204  204 204      204      204      204      204      204' },
  { route: 'GET /api/v1/auth/me', part: 'auth',     expect: '401 200  200 200      200      200      200      200      200' },
  { route: 'PATCH /api/v1/auth/me', part: 'auth',   expect: '401 200  200 200      200      200      200      200      200', req: () => ({ url: '/api/v1/auth/me', payload: { mobile: null } }) },
  { route: 'POST /api/v1/auth/password', part: 'auth', fresh: true,
                                                    expect: '401 403  400 400      400      400      400      400      400',
    req: () => ({ url: '/api/v1/auth/password', payload: { current: 'not-the-password-1', next: 'a-new-password-2026' } }) },
  { route: 'GET /api/v1/users', part: 'auth',       expect: '401 403  200 200      403      403      403      403      403' },
  { route: 'POST /api/v1/users', part: 'auth',      expect: '401 403  201 201/403  403      403      403      403      403',
    req: (t, c) => ({ url: '/api/v1/users', payload: { login: `made${++c.seq}`, displayName: '新用户', grants: [{ role: 'viewer', scope: t.code }] } }) },
  // A township manager is not told that another township's user exists: 404.
  { route: 'PATCH /api/v1/users/:id', part: 'auth', expect: '401 403  200 200/404  403      403      403      403      403',
    req: (t, c) => ({ url: `/api/v1/users/${person(t, c)}`, payload: { displayName: `改名${++c.seq}` } }) },
  { route: 'POST /api/v1/users/:id/reset-password', part: 'auth',
                                                    expect: '401 403  200 200/404  403      403      403      403      403', req: (t, c) => ({ url: `/api/v1/users/${person(t, c)}/reset-password` }) },
  { route: 'GET /api/v1/tokens', part: 'auth',      expect: '401 200  200 200      200      200      200      200      200' },
  { route: 'POST /api/v1/tokens', part: 'auth',     expect: '401 403  201 201      201      201      201      201      201',
    req: () => ({ url: '/api/v1/tokens', payload: { name: '脚本', scopes: ['station:read'] } }) },
  // own: a token of the column's user; other: a token of somebody else.
  { route: 'DELETE /api/v1/tokens/:id', part: 'auth',
                                                    expect: '401 204/404 204/404 204/404 204/404 204/404 204/404 204/404 204/404',
    req: async (t, c) => {
      const owner = t === OWN && c.user ? c.user : (c.people[OWN.code] as TestUser);
      return { url: `/api/v1/tokens/${(await createToken(c.app.ops.db, owner.id, 'x', [])).id}` };
    } },

  { route: 'GET /api/v1/townships', part: 'org',   expect: '401 403  200 200      200      200      200      200      200' },
  { route: 'GET /api/v1/fleet', part: 'org',       expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/fleet?township=${t.code}` }) },
  { route: 'GET /api/v1/planning/map-tiles', part: 'org', expect: '401 403  200 200  403      403      200      403      403' },
  { route: 'GET /api/v1/audit', part: 'org',       expect: '401 403  200 200/403  403      403      403      403      403', req: (t) => ({ url: `/api/v1/audit?township=${t.code}` }) },
  { route: 'GET /api/v1/audit.csv', part: 'org',   expect: '401 403  200 200/403  403      403      403      403      403', req: (t) => ({ url: `/api/v1/audit.csv?township=${t.code}` }) },

  { route: 'GET /api/v1/alerts/:id', part: 'alerts', expect: '401 403 200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t, c) => ({ url: `/api/v1/alerts/${alert(t, c)}` }) },
  { route: 'POST /api/v1/alerts/:id/ack', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: async (t, c) => ({ url: `/api/v1/alerts/${await freshAlert(t, c)}/ack` }) },
  { route: 'POST /api/v1/alerts/:id/unack', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: async (t, c) => ({ url: `/api/v1/alerts/${await freshAlert(t, c, true)}/unack` }) },
  { route: 'POST /api/v1/alerts/:id/comments', part: 'alerts',
                                                    expect: '401 403  201 201/403  201/403  201/403  403      403      403',
    req: (t, c) => ({ url: `/api/v1/alerts/${alert(t, c)}/comments`, payload: { text: '已到场处理' } }) },
  { route: 'GET /api/v1/stations/:id/thresholds', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `${station(t).url}/thresholds` }) },
  // County-wide config:write only: alert-rules.yaml applies to every township.
  { route: 'POST /api/v1/alert-rules/reload', part: 'alerts',
                                                    expect: '401 403  200 403      403      403      403      403      403', req: () => ({ url: '/api/v1/alert-rules/reload' }) },
  { route: 'POST /api/v1/alerts/:id/assign', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: async (t, c) => ({ url: `/api/v1/alerts/${await freshAlert(t, c)}/assign`, payload: { userId: null } }) },
  { route: 'POST /api/v1/alerts/:id/close', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: async (t, c) => ({ url: `/api/v1/alerts/${await resolvedAlertOf(t, c)}/close`, payload: {} }) },
  { route: 'GET /api/v1/people', part: 'alerts',    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/people?township=${t.code}` }) },
  { route: 'GET /api/v1/silences', part: 'alerts',  expect: '401 403  200 200      200      200      200      200      200' },
  { route: 'POST /api/v1/silences', part: 'alerts',
                                                    expect: '401 403  201 201/403  201/403  201/403  403      403      403', req: (t) => ({ url: '/api/v1/silences', payload: silenceBody(t) }) },
  { route: 'DELETE /api/v1/silences/:id', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: async (t, c) => ({ url: `/api/v1/silences/${await freshSilence(t, c)}` }) },
  // The outbox's channels are county-wide: user:admin county-wide only.
  { route: 'GET /api/v1/notifications', part: 'alerts', expect: '401 403  200 403      403      403      403      403      403' },
  { route: 'POST /api/v1/notifications/:id/retry', part: 'alerts',
                                                    expect: '401 403  200 403      403      403      403      403      403', req: async (_t, c) => ({ url: `/api/v1/notifications/${await addTestNotification(c.app)}/retry` }) },
  // No notify file in this app: allowed callers reach the handler, which answers 400 notify_file_absent.
  { route: 'POST /api/v1/notify/reload', part: 'alerts',
                                                    expect: '401 403  400 403      403      403      403      403      403', req: () => ({ url: '/api/v1/notify/reload' }) },

  { route: 'GET /api/v1/work-orders', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/work-orders?township=${t.code}` }) },
  { route: 'POST /api/v1/work-orders', part: 'alerts',
                                                    expect: '401 403  201 201/403  201/403  201/403  403      403      403', req: (t) => ({ url: '/api/v1/work-orders', payload: { stationId: t.station, title: '换灯', severity: 'info' } }) },
  { route: 'GET /api/v1/work-orders/:id', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: async (t, c) => ({ url: await order(t, c) }) },
  { route: 'POST /api/v1/work-orders/:id/assign', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: orderWrite('assign', 'open', { userId: null }) },
  { route: 'POST /api/v1/work-orders/:id/start', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: orderWrite('start') },
  { route: 'POST /api/v1/work-orders/:id/fixed', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: orderWrite('fixed') },
  { route: 'POST /api/v1/work-orders/:id/close', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  403      403      403', req: orderWrite('close', 'verified') },
  { route: 'POST /api/v1/work-orders/:id/comments', part: 'alerts',
                                                    expect: '401 403  201 201/403  201/403  201/403  403      403      403', req: orderWrite('comments', 'open', { text: '到场' }) },
  { route: 'POST /api/v1/work-orders/:id/photos', part: 'alerts',
                                                    expect: '401 403  201 201/403  201/403  201/403  403      403      403',
    req: async (t, c) => ({ url: `${await order(t, c)}/photos`, payload: PNG, headers: { 'content-type': 'image/png' } }) },
  { route: 'GET /api/v1/work-orders/:id/photos/:photoId', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403',
    req: async (t, c) => {
      const id = await addTestWorkOrder(c.app, t.station);
      return { url: `/api/v1/work-orders/${id}/photos/${await addTestPhoto(c.app, id)}` };
    } },
  { route: 'GET /api/v1/reports/response', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/reports/response?township=${t.code}` }) },
  { route: 'GET /api/v1/reports/monthly.csv', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/reports/monthly.csv?month=2026-11&township=${t.code}` }) },
  // Planning analytics: allowed reads reach InfluxDB, which does not answer here (503 analytics_unavailable).
  { route: 'GET /api/v1/planning/heatmap', part: 'main',
                                                    expect: '401 403  503 503/403  403      403      503/403  403      403', req: (t) => ({ url: `/api/v1/planning/heatmap?township=${t.code}` }) },
  { route: 'GET /api/v1/planning/stations', part: 'main',
                                                    expect: '401 403  503 503/403  403      403      503/403  403      403', req: (t) => ({ url: `/api/v1/planning/stations?township=${t.code}` }) },
  { route: 'GET /api/v1/planning/definitions', part: 'main',
                                                    expect: '401 403  200 200      403      403      200      403      403' },

  // Planning (coverage): planning:read (county admin, township manager, planner), stations of the
  // reader's townships; demand layers and candidates are county-wide data, written with
  // planning:write (county admin, planner).
  { route: 'GET /api/v1/planning/coverage', part: 'planning',
                                                    expect: '401 403  200 200/403  403      403      200/403  403      403', req: (t) => ({ url: `/api/v1/planning/coverage?township=${t.code}` }) },
  { route: 'POST /api/v1/planning/solve', part: 'planning',
                                                    expect: '401 403  200 403      403      403      200      403      403', req: () => ({ url: '/api/v1/planning/solve', payload: { k: 1 } }) },
  { route: 'GET /api/v1/planning/export/:file', part: 'planning',
                                                    expect: '401 403  200 200      403      403      200      403      403', req: () => ({ url: '/api/v1/planning/export/stations.csv' }) },
  { route: 'GET /api/v1/planning/demand-layers', part: 'planning',
                                                    expect: '401 403  200 200      403      403      200      403      403' },
  { route: 'POST /api/v1/planning/demand-layers', part: 'planning',
                                                    expect: '401 403  201 403      403      403      403      403      403',
    req: () => ({ url: '/api/v1/planning/demand-layers?name=orders', payload: 'lat,lon,weight\n30.01,120.01,5\n', headers: { 'content-type': 'text/csv' } }) },
  { route: 'DELETE /api/v1/planning/demand-layers/:id', part: 'planning',
                                                    expect: '401 403  204 403      403      403      403      403      403', req: async (_t, c) => ({ url: `/api/v1/planning/demand-layers/${await addTestLayer(c.app)}` }) },
  { route: 'GET /api/v1/planning/candidates', part: 'planning',
                                                    expect: '401 403  200 200      403      403      200      403      403' },
  { route: 'POST /api/v1/planning/candidates', part: 'planning',
                                                    expect: '401 403  201 403      403      403      403      403      403', req: () => ({ url: '/api/v1/planning/candidates', payload: { name: '候选', lat: 30.01, lon: 120.01 } }) },
  { route: 'POST /api/v1/planning/candidates/import', part: 'planning',
                                                    expect: '401 403  201 403      403      403      403      403      403',
    req: () => ({ url: '/api/v1/planning/candidates/import', payload: 'name,lat,lon\n候选,30.01,120.01\n', headers: { 'content-type': 'text/csv' } }) },
  { route: 'DELETE /api/v1/planning/candidates/:id', part: 'planning',
                                                    expect: '401 403  204 403      403      403      403      403      403', req: async (_t, c) => ({ url: `/api/v1/planning/candidates/${await addTestCandidate(c.app)}` }) },

  // Notices for station screens: notice:write (county admin; township manager in its townships).
  { route: 'GET /api/v1/notices', part: 'alerts',   expect: '401 403  200 200      200      200      200      200      200' },
  { route: 'POST /api/v1/notices', part: 'alerts',  expect: '401 403  201 201/403  403      403      403      403      403', req: (t) => ({ url: '/api/v1/notices', payload: noticeBody({ township: t.code }) }) },
  { route: 'PATCH /api/v1/notices/:id', part: 'alerts',
                                                    expect: '401 403  200 200/403  403      403      403      403      403', req: async (t, c) => ({ url: await noticeOf(t, c), payload: { severity: 'critical' } }) },
  { route: 'POST /api/v1/notices/:id/withdraw', part: 'alerts',
                                                    expect: '401 403  200 200/403  403      403      403      403      403', req: async (t, c) => ({ url: `${await noticeOf(t, c)}/withdraw` }) },
  { route: 'GET /api/v1/public/stations/:id/notices', part: 'main',
                                                    expect: '200 200  200 200      200      200      200      200      200', req: (t) => ({ url: `/api/v1/public/stations/${t.station}/notices` }) },

  // Riders' reports (随手拍): the public routes, no login.
  { route: 'GET /api/v1/public/report-categories', part: 'main',
                                                    expect: '200 200  200 200      200      200      200      200      200' },
  { route: 'POST /api/v1/public/reports', part: 'main',
                                                    expect: '201 201  201 201      201      201      201      201      201', req: (t) => ({ url: '/api/v1/public/reports', payload: reportBody({ stationId: t.station }), headers: { 'x-yizhan-device': newDevice() } }) },
  { route: 'GET /api/v1/public/reports/:receipt', part: 'main',
                                                    expect: '200 200  200 200      200      200      200      200      200', req: async (t, c) => ({ url: (await addReport(c.app, { stationId: t.station })).statusUrl }) },
  { route: 'POST /api/v1/public/reports/:receipt/photos', part: 'main',
                                                    expect: '201 201  201 201      201      201      201      201      201', req: async (t, c) => {
    const a = await addReport(c.app, { stationId: t.station });
    return { url: `${a.statusUrl}/photos`, payload: JPEG_16x12, headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${a.uploadToken}` } };
  } },

  // Riders' reports, staff side: reads with station:read in the township; steps with report:triage
  // (county admin, township manager, grid staff) in the report's township.
  { route: 'GET /api/v1/rider-reports', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/rider-reports?township=${t.code}` }) },
  { route: 'GET /api/v1/rider-reports/figures', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/rider-reports/figures?township=${t.code}` }) },
  { route: 'GET /api/v1/rider-reports/figures.csv', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: (t) => ({ url: `/api/v1/rider-reports/figures.csv?township=${t.code}` }) },
  { route: 'GET /api/v1/rider-reports/:id', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: async (t, c) => ({ url: `/api/v1/rider-reports/${await reportAt(c.app, t.station)}` }) },
  { route: 'GET /api/v1/rider-reports/:id/photos/:n', part: 'alerts',
                                                    expect: '401 403  200 200/403  200/403  200/403  200/403  200/403  200/403', req: async (t, c) => ({ url: `/api/v1/rider-reports/${await reportAt(c.app, t.station, { photo: JPEG_16x12 })}/photos/1` }) },
  { route: 'POST /api/v1/rider-reports/:id/triage', part: 'alerts',
                                                    expect: '401 403  200 200/403  403      403      403      200/403  403', req: async (t, c) => ({ url: `/api/v1/rider-reports/${await reportAt(c.app, t.station)}/triage`, payload: { decision: 'not_valid', reason: '测试' } }) },
  { route: 'POST /api/v1/rider-reports/:id/assign', part: 'alerts',
                                                    expect: '401 403  200 200/403  403      403      403      200/403  403', req: async (t, c) => ({ url: `/api/v1/rider-reports/${await reportAt(c.app, t.station, { street: true, status: 'accepted' })}/assign`, payload: { department: '县城管局' } }) },
  { route: 'POST /api/v1/rider-reports/:id/resolve', part: 'alerts',
                                                    expect: '401 403  200 200/403  403      403      403      200/403  403', req: async (t, c) => ({ url: `/api/v1/rider-reports/${await reportAt(c.app, t.station, { street: true, status: 'in_progress' })}/resolve`, payload: { note: '已处理' } }) },
  // The pages' files are public (a built web app in a temp folder here); other: a page's path.
  { route: 'GET /app', part: 'web',                 expect: '301 301  301 301      301      301      301      301      301' },
  { route: 'GET /app/*', part: 'web',               expect: '200 200  200 200      200      200      200      200      200', req: (t) => ({ url: t === OWN ? '/app/' : '/app/alerts' }) },
  { route: 'GET /m', part: 'web',                   expect: '301 301  301 301      301      301      301      301      301' },
  { route: 'GET /m/*', part: 'web',                 expect: '200 200  200 200      200      200      200      200      200', req: (t) => ({ url: t === OWN ? '/m/' : '/m/report' }) },
];

interface Column {
  name: string;
  user: TestUser | null;
  headers: () => Promise<Record<string, string>>;
}

/** "401 403 200 200/403 …" → per column [own, other]. */
function parseExpect(row: Row): [number, number][] {
  const cells = row.expect.trim().split(/\s+/);
  if (cells.length !== 2 + ROLE_COLUMNS.length) throw new Error(`${row.route}: ${cells.length} cells`);
  return cells.map((c) => {
    const [own, other = own] = c.split('/').map(Number);
    return [own as number, other as number];
  });
}

let app: FastifyInstance;
let webDir: string;
let columns: Column[];
let fonts: string | undefined;
const ctxBase = { people: {} as Record<string, TestUser>, alerts: {} as Record<string, string>, seq: 0 };

function fontUrl(_c: Ctx): string {
  return fonts ?? '/assets/fonts/missing.woff2';
}

beforeAll(async () => {
  webDir = mkdtempSync(join(tmpdir(), 'yz-matrix-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>yizhan</title>');
  mkdirSync(join(webDir, 'm'));
  writeFileSync(join(webDir, 'm/index.html'), '<!doctype html><title>yizhan riders</title>');
  app = await startFullApp({ webDir });
  const noScopes = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
  columns = [
    { name: 'anonymous', user: null, headers: () => Promise.resolve({}) },
    { name: 'token without scopes', user: noScopes, headers: () => tokenHeaders(app, noScopes, []) },
  ];
  for (const role of ROLE_COLUMNS) {
    const user = await addTestUser(app, [{ role, scope: role === 'county_admin' ? 'county' : OWN.code }]);
    columns.push({ name: role, user, headers: () => sessionHeaders(app, user) });
  }
  for (const t of [OWN, OTHER]) {
    ctxBase.people[t.code] = await addTestUser(app, [{ role: 'viewer', scope: t.code }]);
    ctxBase.alerts[t.code] = await addTestAlert(app, t.station);
  }
  const index = await app.inject({ url: '/' });
  fonts = /\/assets\/fonts\/[\w.-]+\.woff2/.exec(index.body)?.[0];
});
afterAll(async () => {
  await app?.close();
  rmSync(webDir, { recursive: true, force: true });
});

const key = (method: string, url: string) => `${method} ${url}`;

async function statusOf(
  row: Row,
  method: string,
  col: Column,
  idx: number,
  t: Township,
  headers: Record<string, string>,
) {
  const ctx: Ctx = Object.assign(ctxBase, { app, user: col.user });
  const r = row.req ? await row.req(t, ctx) : { url: row.route.split(' ')[1] ?? '' };
  const res = await app.inject({
    method: method as 'GET',
    url: r.url,
    headers: { ...headers, ...r.headers },
    remoteAddress: `192.0.2.${idx + 1}`,
    ...(r.payload !== undefined ? { payload: r.payload as object } : {}),
    ...(row.stream ? { payloadAsStream: true } : {}),
  });
  if (row.stream) {
    res.stream().destroy();
    res.raw.res.destroy();
  }
  return res.statusCode;
}

describe('authorisation matrix', () => {
  it('the table has one row per registered route, and every row is registered', () => {
    const registered = new Set(
      app.routeAccess.filter((r) => r.method !== 'HEAD').map((r) => key(r.method, r.url)),
    );
    const table = new Set(ROWS.map((r) => r.route));
    const missing = [...registered].filter((r) => !table.has(r));
    const notRegistered = ROWS.filter((r) => !registered.has(r.route) && !NOT_YET_MERGED.has(r.part)).map(
      (r) => r.route,
    );
    expect({ missing, notRegistered }).toEqual({ missing: [], notRegistered: [] });
    // Every HEAD route is the HEAD of a GET in the table (same hooks, same access).
    const heads = app.routeAccess.filter((r) => r.method === 'HEAD').map((r) => key('GET', r.url));
    expect(heads.filter((h) => !registered.has(h))).toEqual([]);
    expect([...ROLE_COLUMNS]).toEqual([...ROLES]);
  });

  const live = () => ROWS.filter((r) => !NOT_YET_MERGED.has(r.part));
  it.each(ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    if (!live().includes(row)) return;
    const want = parseExpect(row);
    const methods = [row.route.split(' ')[0] ?? 'GET'];
    if (
      methods[0] === 'GET' &&
      app.routeAccess.some((r) => r.method === 'HEAD' && key('GET', r.url) === row.route)
    )
      methods.push('HEAD');
    const wrong: string[] = [];
    for (const method of methods)
      for (const [i, col] of columns.entries()) {
        const shared = row.fresh ? undefined : await col.headers();
        for (const [j, t] of [OWN, OTHER].entries()) {
          const got = await statusOf(row, method, col, i, t, shared ?? (await col.headers()));
          const exp = want[i]?.[j];
          if (got !== exp)
            wrong.push(`${method} ${col.name} ${j ? 'other' : 'own'}: ${got}, expected ${exp}`);
        }
      }
    expect(wrong).toEqual([]);
  });
});
