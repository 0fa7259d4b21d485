/**
 * Reminders and escalation on an injected clock, on both engines: a critical alert unacknowledged
 * 15 min → reminder @-mentioning the crew; 30 min → the township manager; 2 h → the county route
 * with the county admin; then again every hour; acknowledged → nothing more. Two jobs on one store
 * send each step once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { alertsApp } from '../alerts/alerts-app.js';
import { testEngines, tempDir } from '../store/engines.js';
import { firingAlert } from '../../helpers/alert.js';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import { addPeople, MOBILES, startFakes, writeNotifyFile, type NotifyFakes } from './notify-setup.js';

const MIN = 60_000;

describe.each(testEngines())('escalation on $name', (engine) => {
  let fakes: NotifyFakes;
  let app: FastifyInstance;
  const dir = tempDir('yizhan-escalation-');
  const T0 = Date.now();
  const clock = { t: T0 };

  beforeAll(async () => {
    await engine.setup();
    fakes = await startFakes();
    const at = await engine.fresh();
    app = await alertsApp({
      dataDir: at.dataDir,
      ...(at.url ? { dbUrl: at.url } : {}),
      notify: { ...writeNotifyFile(dir.dir, fakes), now: () => clock.t, escalationIntervalMs: 3_600_000 },
    });
    await addPeople(app);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await fakes.close();
    await engine.teardown();
    dir.remove();
  }, 60_000);

  async function steps(id: string) {
    const rows = await app.ops.db
      .selectFrom('outbox')
      .select(['dedupe_key', 'payload_json'])
      .where('dedupe_key', 'like', `${id}:esc%`)
      .orderBy('id')
      .execute();
    return rows.map((r) => [
      r.dedupe_key.slice(id.length + 1),
      (JSON.parse(r.payload_json) as { mentionMobiles?: string[] }).mentionMobiles,
    ]);
  }
  async function at(minutes: number): Promise<number> {
    clock.t = T0 + minutes * MIN;
    return app.escalation.tick();
  }

  it('reminds, escalates to the township and the county, repeats hourly, stops on acknowledgement', async () => {
    const a = firingAlert('st-001', { startMs: T0, severity: 'critical' });
    app.alertRepo.record(a);
    await app.alertRepo.flushed();
    // A second job on the same store (another server process) races the first.
    expect(await at(14)).toBe(0);
    expect((await Promise.all([app.escalation.tick(), at(15)])).reduce((x, y) => x + y)).toBeLessThanOrEqual(
      1,
    );
    expect(await steps(a.id)).toEqual([
      ['esc1.1:cg-wecom', [MOBILES.crew]],
      ['esc1.1:cg-dingtalk', [MOBILES.crew]],
      ['esc1.1:cg-feishu', [MOBILES.crew]],
    ]);
    expect(await at(20)).toBe(0);
    expect(await at(31)).toBe(1);
    expect((await steps(a.id)).slice(3).map((s) => s[1])).toEqual([
      [MOBILES.manager],
      [MOBILES.manager],
      [MOBILES.manager],
    ]);
    expect(await at(121)).toBe(1);
    expect((await steps(a.id)).slice(6)).toEqual([['esc3.1:county-wecom', [MOBILES.county]]]);
    expect(await at(150)).toBe(0);
    expect(await at(181)).toBe(1);
    expect((await steps(a.id)).slice(7)).toEqual([['esc3.2:county-wecom', [MOBILES.county]]]);
    const kinds = (await app.alertRepo.events(a.id)).map((e) => [e.kind, e.text]);
    expect(kinds.filter(([k]) => k === 'reminded' || k === 'escalated')).toEqual([
      ['reminded', 'level:remind;channels:cg-wecom,cg-dingtalk,cg-feishu'],
      ['escalated', 'level:township;channels:cg-wecom,cg-dingtalk,cg-feishu'],
      ['escalated', 'level:county;channels:county-wecom'],
      ['escalated', 'level:county;channels:county-wecom'],
    ]);

    await app.ops.db.transaction().execute((trx) => app.alertRepo.ack(trx, a.id, null, clock.t));
    expect(await at(300)).toBe(0);
    expect(await steps(a.id)).toHaveLength(8);
    expect(await app.ops.db.selectFrom('alert_escalations').selectAll().execute()).toEqual([]);
  });

  it('a warning after a downtime sends only the highest step reached; a resolve ends it', async () => {
    const a = firingAlert('st-002', { startMs: T0 + 1, severity: 'warning', township: '新塘镇' });
    app.alertRepo.record(a);
    await app.alertRepo.flushed();
    // Default warning policy: remind 1 h, township 4 h, county 24 h, repeat 4 h.
    expect(await at(5 * 60)).toBe(1);
    // No township manager in xintang has a mobile: nobody @-mentioned, the group still told.
    expect(await steps(a.id)).toEqual([['esc2.1:xt-wecom', undefined]]);
    app.alertRepo.record({ ...a, status: 'resolved', endsAt: new Date(clock.t).toISOString() });
    await app.alertRepo.flushed();
    expect(await at(10 * 60)).toBe(0);
    expect(await steps(a.id)).toHaveLength(1);
  });

  it('an acknowledgement withdrawn through the API resumes escalation, without sending at once', async () => {
    // The route runs on the real clock: the alert started 100 min ago; the job's clock walks up to it.
    const start = Date.now() - 100 * MIN;
    const a = firingAlert('st-001', { startMs: start, severity: 'critical' });
    app.alertRepo.record(a);
    await app.alertRepo.flushed();
    const since = async (minutes: number) => {
      clock.t = start + minutes * MIN;
      return app.escalation.tick();
    };
    const row = () =>
      app.ops.db.selectFrom('alert_escalations').select('alert_id').where('alert_id', '=', a.id).execute();
    expect(await since(31)).toBe(1);
    expect((await steps(a.id)).map((s) => s[0])).toEqual([
      'esc2.1:cg-wecom',
      'esc2.1:cg-dingtalk',
      'esc2.1:cg-feishu',
    ]);
    const crew = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' }]);
    const headers = await sessionHeaders(app, crew);
    const ack = (verb: string) =>
      app.inject({ method: 'POST', url: `/api/v1/alerts/${a.id}/${verb}`, headers, payload: {} });
    expect((await ack('ack')).statusCode).toBe(200);
    // The hourly repeat falls due while acknowledged: nothing sent, the row is gone.
    expect(await since(92)).toBe(0);
    expect(await row()).toEqual([]);
    expect((await ack('unack')).statusCode).toBe(200);
    expect(await row()).toHaveLength(1);
    expect(await since(101)).toBe(0);
    // The county step at 2 h, as if never acknowledged.
    expect(await since(121)).toBe(1);
    expect((await steps(a.id)).map((s) => s[0]).slice(3)).toEqual(['esc3.1:county-wecom']);
  });
});
