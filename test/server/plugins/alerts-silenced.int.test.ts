/**
 * The webhook and silences: an alert change a silence matches at its own time is not sent to the
 * webhook receiver; it is counted (yizhan_alerts_silenced_total{rule}) and shown as a `silenced`
 * event of the alert. A change no silence matches is sent as before.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../../server/src/alerts/types.js';
import type { Observation } from '../../../server/src/state/observation.js';
import { alertsApp } from '../alerts/alerts-app.js';
import { metric, startHookReceiver, type HookReceiver } from '../helpers.js';

const hooks: { status: string; alert: Alert }[] = [];
let receiver: HookReceiver;
let app: FastifyInstance;
const T = Date.now() - 60_000;
const heater = (active: boolean, ts: number): Observation[] => [
  { type: 'fault', sensor: 'heater', fault: 'heater_failure', active, ts, historical: false },
];

beforeAll(async () => {
  receiver = await startHookReceiver(hooks);
  app = await alertsApp({ alerts: { webhook: { url: receiver.url } } });
});
afterAll(async () => {
  await app.close();
  await receiver.close();
});

async function addSilence(
  matchers: { township?: string; station_id?: string },
  startsAt: number,
  endsAt: number,
) {
  const { id } = await app.ops.db
    .insertInto('silences')
    .values({
      station_id: matchers.station_id ?? null,
      township: matchers.township ?? null,
      rule: 'heater_test',
      severity: null,
      starts_at: startsAt,
      ends_at: endsAt,
      window_json: null,
      reason: '更换热水器',
      created_by: null,
      created_at: Date.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await app.silences.refresh();
  return Number(id);
}

describe('alerts plugin: silenced alerts', () => {
  it('does not send a silenced alert, counts it and records a silenced event; others are sent', async () => {
    const silence = await addSilence({ township: 'chengguan' }, T - 1000, Date.now() + 3_600_000);
    app.alerts.observe('st-001', heater(true, T)); // 城关镇: silenced
    app.alerts.observe('st-002', heater(true, T + 1)); // 新塘镇: sent
    await vi.waitFor(() => expect(hooks.map((h) => h.alert.stationId)).toContain('st-002'));
    await app.alertRepo.flushed();

    const silenced = app.alerts.list().find((a) => a.stationId === 'st-001');
    expect(silenced).toBeDefined();
    const events = await app.alertRepo.events(silenced!.id);
    expect(events.map((e) => [e.kind, e.text])).toEqual([
      ['fired', null],
      ['silenced', `silence:${silence}`],
    ]);
    // What a crew sees: the alert is shown as silenced, not as an unanswered firing one.
    expect((await app.alertRepo.get(silenced!.id))?.lifecycle).toBe('silenced');
    const text = await app.metrics.registry.metrics();
    expect(metric(text, 'yizhan_alerts_silenced_total', { rule: 'heater_test' })).toBe(1);

    // The resolve of st-002 is sent after st-001's fire would have been: st-001 was never sent.
    app.alerts.observe('st-002', heater(false, T + 2));
    await vi.waitFor(() => expect(hooks.filter((h) => h.alert.stationId === 'st-002')).toHaveLength(2));
    expect(hooks.map((h) => h.alert.stationId)).not.toContain('st-001');
  });

  it('matches at the change time: a resolve after the silence expired is sent', async () => {
    // st-001's fire (at T) was silenced; a resolve stamped after the silence's end is not.
    await app.ops.db
      .updateTable('silences')
      .set({ ends_at: T + 5 })
      .execute();
    await app.silences.refresh(T);
    app.alerts.observe('st-001', heater(false, T + 10));
    await vi.waitFor(() =>
      expect(hooks.map((h) => `${h.alert.stationId}/${h.status}`)).toContain('st-001/resolved'),
    );
  });
});
