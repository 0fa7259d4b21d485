/**
 * Who gets what on the public live stream `/api/v1/events`: station events for everybody, alert
 * events only for a login with station:read and only for its townships; and the per-address cap.
 * The whole app in-process (test/server/full-app.ts); streams read through app.inject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../../server/src/alerts/types.js';
import type { StoredAlert } from '../../../server/src/alerts/repo.js';
import { firingAlert } from '../../helpers/alert.js';
import { addTestUser, sessionHeaders, tokenHeaders } from '../auth-helpers.js';
import { OTHER, OWN, startFullApp } from '../full-app.js';
import { injectSse, type InjectedStream as Stream } from '../../helpers/sse.js';

const openStream = (app: FastifyInstance, headers: Record<string, string> = {}, remoteAddress = '192.0.2.1') =>
  injectSse(app, '/api/v1/events', headers, remoteAddress);

function fakeAlert(stationId: string): Alert {
  return {
    id: `${stationId}-${Math.random().toString(36).slice(2)}`,
    fingerprint: `dispenser_broken/${stationId}`,
    rule: 'dispenser_broken',
    stationId,
    stationName: stationId,
    township: '',
    severity: 'critical',
    status: 'firing',
    startsAt: new Date().toISOString(),
    endsAt: null,
    message: { 'zh-CN': '热水器故障', en: 'Dispenser broken' },
    resolvedMessage: null,
    evidence: {},
  };
}

const alertStations = (s: Stream) =>
  s.events.filter((e) => e.event === 'alert').map((e) => (JSON.parse(e.data) as Alert).stationId);

describe('alert events on /api/v1/events', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await startFullApp();
  });
  afterAll(() => app?.close());

  it('go to a login with station:read for its townships only; station events to everybody', async () => {
    const lead = await addTestUser(app, [{ role: 'crew_lead', scope: OWN.code }]);
    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    const streams = {
      anonymous: await openStream(app),
      lead: await openStream(app, await sessionHeaders(app, lead)),
      county: await openStream(app, await tokenHeaders(app, admin, ['station:read'])),
      noScopes: await openStream(app, await tokenHeaders(app, admin, [])),
      badCookie: await openStream(app, { cookie: 'yizhan_session=forged' }),
    };
    try {
      for (const s of Object.values(streams)) expect(s.status).toBe(200);
      await expect.poll(() => streams.anonymous.events.filter((e) => e.event === 'station').length).toBe(2);
      app.alerts.emit('alert', fakeAlert(OWN.station));
      app.alerts.emit('alert', fakeAlert(OTHER.station));
      // Frames of one turn reach every client together: once the county has both, all have theirs.
      await expect.poll(() => alertStations(streams.county)).toEqual([OWN.station, OTHER.station]);
      expect(alertStations(streams.lead)).toEqual([OWN.station]);
      expect(alertStations(streams.anonymous)).toEqual([]);
      expect(alertStations(streams.noScopes)).toEqual([]);
      expect(alertStations(streams.badCookie)).toEqual([]);
    } finally {
      for (const s of Object.values(streams)) s.close();
    }
  });

  it('alert-changed: an acknowledgement reaches readers of its township at once, not another township', async () => {
    const own = firingAlert(OWN.station, { startMs: Date.now() - 60_000 });
    const other = firingAlert(OTHER.station, { startMs: Date.now() - 60_000 });
    app.alertRepo.record(own);
    app.alertRepo.record(other);
    await app.alertRepo.flushed();
    const crew = await addTestUser(app, [{ role: 'crew_member', scope: OWN.code }]);
    const crewHeaders = await sessionHeaders(app, crew);
    const ownViewer = await addTestUser(app, [{ role: 'viewer', scope: OWN.code }]);
    const otherViewer = await addTestUser(app, [{ role: 'viewer', scope: OTHER.code }]);
    const otherCrew = await addTestUser(app, [{ role: 'crew_member', scope: OTHER.code }]);
    const streams = {
      own: await openStream(app, await sessionHeaders(app, ownViewer)),
      other: await openStream(app, await sessionHeaders(app, otherViewer)),
    };
    const changed = (st: Stream) =>
      st.events
        .filter((e) => e.event === 'alert-changed')
        .map((e) => JSON.parse(e.data) as StoredAlert)
        .map((a) => `${a.stationId}:${a.lifecycle}:${a.acknowledged?.by?.displayName ?? ''}`);
    try {
      const ack = (id: string, headers: Record<string, string>) =>
        app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers, payload: {} });
      expect((await ack(own.id, crewHeaders)).statusCode).toBe(200);
      await expect.poll(() => changed(streams.own)).toEqual([`${OWN.station}:acknowledged:${crew.login}`]);
      // The other township's acknowledgement comes after; once it is there, the first one was not sent.
      expect((await ack(other.id, await sessionHeaders(app, otherCrew))).statusCode).toBe(200);
      await expect
        .poll(() => changed(streams.other))
        .toEqual([`${OTHER.station}:acknowledged:${otherCrew.login}`]);
      expect(changed(streams.own)).toHaveLength(1);
    } finally {
      for (const st of Object.values(streams)) st.close();
    }
  });
});

describe('logins behind open streams', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await startFullApp({ sse: { heartbeatMs: 50 } });
  });
  afterAll(() => app?.close());

  it('close at the next heartbeat when the user is disabled or the token revoked; screens stay', async () => {
    const lead = await addTestUser(app, [{ role: 'crew_lead', scope: OWN.code }]);
    const scripted = await addTestUser(app, [{ role: 'viewer', scope: 'county' }]);
    const leadStream = await openStream(app, await sessionHeaders(app, lead));
    const tokenStream = await openStream(app, await tokenHeaders(app, scripted, ['station:read']));
    const screen = await openStream(app);
    const kept = await openStream(
      app,
      await sessionHeaders(app, await addTestUser(app, [{ role: 'viewer', scope: OWN.code }])),
    );
    try {
      await expect.poll(() => screen.events.filter((e) => e.event === 'heartbeat').length).toBeGreaterThan(1);
      expect([leadStream.ended, tokenStream.ended]).toEqual([false, false]);
      await app.ops.db
        .updateTable('users')
        .set({ disabled_at: Date.now() })
        .where('id', '=', lead.id)
        .execute();
      await app.ops.db
        .updateTable('api_tokens')
        .set({ revoked_at: Date.now() })
        .where('user_id', '=', scripted.id)
        .execute();
      await expect.poll(() => [leadStream.ended, tokenStream.ended]).toEqual([true, true]);
      const beats = screen.events.length;
      await expect.poll(() => screen.events.length).toBeGreaterThan(beats + 2);
      expect([screen.ended, kept.ended]).toEqual([false, false]);
    } finally {
      for (const s of [leadStream, tokenStream, screen, kept]) s.close();
    }
  });
});

describe('streams per address', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await startFullApp({ sse: { maxPerAddress: 2 } });
  });
  afterAll(() => app?.close());

  it('refuses one more than the cap with 429, counts it, and takes a new one once one closes', async () => {
    const a = await openStream(app, {}, '198.51.100.7');
    const b = await openStream(app, {}, '198.51.100.7');
    const elsewhere = await openStream(app, {}, '198.51.100.8');
    const refused = await app.inject({
      url: '/api/v1/events?lang=en',
      remoteAddress: '198.51.100.7',
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.json()).toEqual({
      error: {
        code: 'too_many_streams',
        message: 'Too many live streams from this address (at most 2); close some pages and retry',
      },
    });
    expect(elsewhere.status).toBe(200);
    expect(await app.metrics.sseRefused.get()).toMatchObject({
      values: [{ value: 1, labels: { reason: 'per_address' } }],
    });
    a.close();
    await expect
      .poll(async () => {
        const again = await openStream(app, {}, '198.51.100.7');
        again.close();
        return again.status;
      })
      .toBe(200);
    b.close();
    elsewhere.close();
  });
});
