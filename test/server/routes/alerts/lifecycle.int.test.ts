/**
 * The alert lifecycle on SQLite and PostgreSQL: where an alert stands (lifecycle), assigning
 * (who may be assigned, and why not), closing (only what no longer fires, or a flapping alert a
 * person reviews), "my alerts", outage incidents seen by the county only, the people list, and the
 * notifier's contract (markSuppressed, markSilenced, addEvent).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { alertsApp } from '../../alerts/alerts-app.js';
import { addTestUser, sessionHeaders } from '../../auth-helpers.js';
import { testEngines } from '../../store/engines.js';
import { firingAlert, resolvedAlert } from '../../../helpers/alert.js';
import {
  addEvent,
  lifecycleOf,
  markSilenced,
  markSuppressed,
  type LifecycleFacts,
  type StoredAlert,
} from '../../../../server/src/alerts/repo.js';

const T = 1_700_000_000_000;
type H = Record<string, string>;
interface Err {
  error: { code: string; message: string };
}

describe('lifecycle: what a crew reads', () => {
  const base: LifecycleFacts = {
    status: 'firing',
    acked_at: null,
    closed_at: null,
    suppressed_by: null,
    silenced_by: null,
    flapping: 0,
  };
  it.each<[Partial<LifecycleFacts>, string]>([
    [{}, 'firing'],
    [{ acked_at: T }, 'acknowledged'],
    [{ acked_at: T, flapping: 1 }, 'flapping'],
    [{ acked_at: T, flapping: 1, silenced_by: 3 }, 'silenced'],
    [{ flapping: 1, silenced_by: 3, suppressed_by: 'x' }, 'suppressed'],
    [{ suppressed_by: 'x', closed_at: T }, 'closed'],
    [{ status: 'resolved', acked_at: T, silenced_by: 3, suppressed_by: 'x' }, 'resolved'],
    [{ status: 'resolved', flapping: 1 }, 'flapping'],
    [{ status: 'resolved', flapping: 1, closed_at: T }, 'closed'],
  ])('%o → %s', (facts, want) => {
    expect(lifecycleOf({ ...base, ...facts })).toBe(want);
  });
});

describe.each(testEngines())('alert lifecycle API on $name', (engine) => {
  let app: FastifyInstance;
  const h: Record<'admin' | 'crew' | 'viewer' | 'otherCrew', H> = {
    admin: {},
    crew: {},
    viewer: {},
    otherCrew: {},
  };
  const id: Record<'admin' | 'crew' | 'viewer' | 'otherCrew' | 'disabled', number> = {
    admin: 0,
    crew: 0,
    viewer: 0,
    otherCrew: 0,
    disabled: 0,
  };
  const firing = firingAlert('st-001', { startMs: T });
  const done = firingAlert('st-001', { startMs: T - 3_600_000, rule: 'serial_link_down' });
  const flapping = {
    ...firingAlert('st-001', { startMs: T + 1000, rule: 'door_stuck_open' }),
    flapping: true,
  };
  const held = {
    ...firingAlert('st-001', { startMs: T + 2000, rule: 'sensor_silent' }),
    suppressedBy: firing.id,
  };
  const incident = {
    ...firingAlert('', { startMs: T + 3000, rule: 'outage', township: '*' }),
    message: { 'zh-CN': '全县 12 座驿站同时断电', en: '12 stations dark at once' },
  };
  const townIncident = {
    ...firingAlert('', { startMs: T + 4000, rule: 'outage', township: 'chengguan' }),
    fingerprint: 'outage/chengguan',
    evidence: { place: '城关镇', stations: 5 },
  };
  const review = vi.fn();

  beforeAll(async () => {
    await engine.setup();
    const loc = await engine.fresh();
    app = await alertsApp(loc.url ? { dbUrl: loc.url } : {});
    (app.alerts as unknown as { review: (f: string) => void }).review = review;
    for (const a of [done, resolvedAlert(done), firing, flapping, held, incident, townIncident])
      app.alertRepo.record(a);
    await app.alertRepo.flushed();
    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }], 'admin');
    const crew = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }], 'crew-cg');
    const viewer = await addTestUser(app, [{ role: 'viewer', scope: 'chengguan' }], 'viewer-cg');
    const otherCrew = await addTestUser(app, [{ role: 'crew_lead', scope: 'xintang' }], 'crew-xt');
    const disabled = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }], 'gone-cg');
    await app.ops.db.updateTable('users').set({ disabled_at: T }).where('id', '=', disabled.id).execute();
    await app.ops.db.updateTable('users').set({ mobile: '13800001234' }).where('id', '=', crew.id).execute();
    Object.assign(id, {
      admin: admin.id,
      crew: crew.id,
      viewer: viewer.id,
      otherCrew: otherCrew.id,
      disabled: disabled.id,
    });
    h.admin = await sessionHeaders(app, admin);
    h.crew = await sessionHeaders(app, crew);
    h.viewer = await sessionHeaders(app, viewer);
    h.otherCrew = await sessionHeaders(app, otherCrew);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await engine.teardown();
  });

  const post = (url: string, headers: H, payload: unknown) =>
    app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers: H) => app.inject({ url, headers });
  const one = async (alertId: string) =>
    (await get(`/api/v1/alerts/${alertId}`, h.admin)).json<{
      alert: StoredAlert;
      events: { kind: string; text: string | null; user: { displayName: string } | null }[];
    }>();
  const audits = async (action: string) =>
    Number(
      (
        await app.ops.db
          .selectFrom('audit_log')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('action', '=', action)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores what the engine said on fire: flapping and suppressed', async () => {
    expect((await one(flapping.id)).alert).toMatchObject({ lifecycle: 'flapping', flapping: true });
    expect((await one(held.id)).alert).toMatchObject({ lifecycle: 'suppressed', suppressedBy: firing.id });
    expect((await one(firing.id)).alert).toMatchObject({
      lifecycle: 'firing',
      assignee: null,
      closed: null,
      workOrderId: null,
    });
  });

  it('assigns to a crew member of the township, with its event and audit entry', async () => {
    const r = await post(`/api/v1/alerts/${firing.id}/assign`, h.crew, { userId: id.crew });
    expect(r.statusCode).toBe(200);
    expect(r.json<{ alert: StoredAlert }>().alert.assignee).toEqual({ id: id.crew, displayName: 'crew-cg' });
    const { events } = await one(firing.id);
    expect(events.at(-1)).toMatchObject({
      kind: 'assigned',
      text: 'crew-cg',
      user: { displayName: 'crew-cg' },
    });
    expect(await audits('alert.assign')).toBe(1);
  });

  it.each([
    ['nobody', () => 999_999, 'no such user'],
    ['a crew member of another township', () => id.otherCrew, 'alert:write'],
    ['a viewer (no alert:write)', () => id.viewer, 'alert:write'],
    ['a disabled user', () => id.disabled, 'disabled'],
  ])('refuses to assign to %s: 400 saying why, nothing written', async (_who, userId, why) => {
    const before = await audits('alert.assign');
    const r = await post(`/api/v1/alerts/${firing.id}/assign?lang=en`, h.crew, { userId: userId() });
    expect(r.statusCode).toBe(400);
    expect(r.json<Err>().error.code).toBe('invalid_assignee');
    expect(r.json<Err>().error.message).toContain(why);
    expect(await audits('alert.assign')).toBe(before);
    expect((await one(firing.id)).alert.assignee?.id).toBe(id.crew);
  });

  it('lists my alerts (assignee=me) and someone’s (assignee=<id>)', async () => {
    const ids = async (q: string, headers: H) =>
      (await get(`/api/v1/alerts?state=all&${q}`, headers))
        .json<{ alerts: StoredAlert[] }>()
        .alerts.map((a) => a.id);
    expect(await ids('assignee=me', h.crew)).toEqual([firing.id]);
    expect(await ids('assignee=me', h.admin)).toEqual([]);
    expect(await ids(`assignee=${id.crew}`, h.admin)).toEqual([firing.id]);
  });

  it('unassigns with null', async () => {
    const r = await post(`/api/v1/alerts/${firing.id}/assign`, h.crew, { userId: null });
    expect(r.json<{ alert: StoredAlert }>().alert.assignee).toBeNull();
    expect((await one(firing.id)).events.at(-1)).toMatchObject({ kind: 'assigned', text: null });
  });

  it('closes only what no longer fires: firing → 409, resolved → closed', async () => {
    const refused = await post(`/api/v1/alerts/${firing.id}/close`, h.crew, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json<Err>().error.code).toBe('alert_still_firing');
    expect((await one(firing.id)).alert.closed).toBeNull();
    const r = await post(`/api/v1/alerts/${done.id}/close`, h.crew, { note: '已更换加热管' });
    expect(r.statusCode).toBe(200);
    expect(r.json<{ alert: StoredAlert }>().alert).toMatchObject({
      lifecycle: 'closed',
      closed: { by: { id: id.crew, displayName: 'crew-cg' } },
    });
    expect((await one(done.id)).events.at(-1)).toMatchObject({ kind: 'closed', text: '已更换加热管' });
    expect(await audits('alert.close')).toBe(1);
    expect(review).not.toHaveBeenCalled();
  });

  it('closes a flapping alert a person reviewed and tells the engine', async () => {
    const r = await post(`/api/v1/alerts/${flapping.id}/close`, h.crew, {});
    expect(r.statusCode).toBe(200);
    expect(r.json<{ alert: StoredAlert }>().alert.lifecycle).toBe('closed');
    expect(review).toHaveBeenCalledWith(flapping.fingerprint);
  });

  it('refuses both to a reader of another township (403) and a viewer (403)', async () => {
    for (const [headers, url] of [
      [h.otherCrew, `/api/v1/alerts/${firing.id}/assign`],
      [h.viewer, `/api/v1/alerts/${firing.id}/close`],
    ] as const) {
      const r = await post(url, headers, url.endsWith('assign') ? { userId: null } : {});
      expect(r.statusCode).toBe(403);
    }
  });

  it('shows a county-wide outage incident to the county only', async () => {
    const listed = async (headers: H) =>
      (await get('/api/v1/alerts', headers)).json<{ alerts: StoredAlert[] }>().alerts.map((a) => a.id);
    expect(await listed(h.admin)).toContain(incident.id);
    expect(await listed(h.crew)).not.toContain(incident.id);
    expect((await get(`/api/v1/alerts/${incident.id}`, h.crew)).statusCode).toBe(403);
    expect((await post(`/api/v1/alerts/${incident.id}/ack`, h.crew, {})).statusCode).toBe(403);
    const { alert } = await one(incident.id);
    expect(alert).toMatchObject({
      stationId: '',
      townshipCode: '*',
      township: '全县',
      stationName: '全县 12 座驿站同时断电',
    });
    expect((await post(`/api/v1/alerts/${incident.id}/ack`, h.admin, {})).statusCode).toBe(200);
  });

  it('shows a township’s outage incident to that township, named by its place', async () => {
    const listed = async (headers: H) =>
      (await get('/api/v1/alerts', headers)).json<{ alerts: StoredAlert[] }>().alerts.map((a) => a.id);
    expect(await listed(h.viewer)).toContain(townIncident.id);
    expect(await listed(h.otherCrew)).not.toContain(townIncident.id);
    const r = await get(`/api/v1/alerts/${townIncident.id}`, h.viewer);
    expect(r.json<{ alert: StoredAlert }>().alert).toMatchObject({
      stationId: '',
      townshipCode: 'chengguan',
      stationName: '城关镇',
    });
  });

  it('lists the people who may be assigned in a township, without their numbers', async () => {
    const r = await get('/api/v1/people?township=chengguan', h.viewer);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      people: [
        { id: id.admin, displayName: 'admin', roles: ['county_admin'], hasMobile: false },
        { id: id.crew, displayName: 'crew-cg', roles: ['crew_member'], hasMobile: true },
      ],
    });
    expect(r.body).not.toContain('13800001234');
    expect((await get('/api/v1/people?township=xintang', h.viewer)).statusCode).toBe(403);
    expect((await get('/api/v1/people?township=nowhere', h.viewer)).statusCode).toBe(404);
  });

  it('gives the notifier markSuppressed, markSilenced and addEvent inside its transaction', async () => {
    const a = firingAlert('st-001', { startMs: T + 9000, rule: 'water_low' });
    app.alertRepo.record(a);
    await app.alertRepo.flushed();
    await app.ops.db.transaction().execute(async (trx) => {
      await markSilenced(trx, a.id, 7);
      await addEvent(trx, a.id, 'silenced', 'silence:7', T + 9001);
    });
    expect((await one(a.id)).alert.lifecycle).toBe('silenced');
    await app.ops.db.transaction().execute((trx) => markSuppressed(trx, a.id, incident.id, T + 9002));
    const after = await one(a.id);
    expect(after.alert).toMatchObject({ lifecycle: 'suppressed', suppressedBy: incident.id });
    expect(after.events.map((e) => `${e.kind}:${e.text}`)).toEqual([
      'fired:null',
      'silenced:silence:7',
      `suppressed:${incident.id}`,
    ]);
  });
});
