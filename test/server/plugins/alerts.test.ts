/**
 * The alerts plugin across a restart, on SQLite in a temp folder: the store keeps what fired and
 * its acknowledgement; the next start adopts the firing alerts, so restoring the active faults
 * from InfluxDB announces and notifies nothing again, and the rules still resolve them; a fire the
 * store never got is notified at the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../../server/src/alerts/types.js';
import type { Observation } from '../../../server/src/state/observation.js';
import { alertsApp } from '../alerts/alerts-app.js';
import { metric } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const T = Date.now() - 60_000;
const heater = (active: boolean, ts: number): Observation[] => [
  { type: 'fault', sensor: 'heater', fault: 'heater_failure', active, ts, historical: false },
];

/** The legacy webhook: an outbox channel (nothing listens; the rows are what counts). */
const HOOK = { url: 'http://127.0.0.1:9/hook' };

/** Outbox items queued for an alert. */
async function notificationsOf(app: FastifyInstance, alertId: string): Promise<number> {
  const rows = await app.ops.db.selectFrom('outbox').select('payload_json').execute();
  return rows.filter((r) => r.payload_json.includes(alertId)).length;
}

function announced(app: FastifyInstance): Alert[] {
  const seen: Alert[] = [];
  app.alerts.on('alert', (a) => seen.push(a));
  return seen;
}

describe('alerts plugin: the store is the record', () => {
  it('restarts without announcing a firing alert again and without losing its acknowledgement', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'yizhan-alerts-'));
    dirs.push(dataDir);
    const first = await alertsApp({ dataDir, alerts: { webhook: HOOK } });
    const seen1 = announced(first);
    first.alerts.observe('st-001', heater(true, T));
    first.alerts.observe('st-002', heater(true, T + 1));
    expect(seen1.map((a) => a.stationId)).toEqual(['st-001', 'st-002']);
    const [a1, a2] = seen1 as [Alert, Alert];
    await first.alertRepo.flushed();
    await first.ops.db.transaction().execute((trx) => first.alertRepo.ack(trx, a1.id, null, T + 5));
    // Resolved just before the shutdown: the close drains the write queue.
    first.alerts.observe('st-002', heater(false, T + 10));
    await first.close();

    // InfluxDB still says st-001's heater fault is active: the rule sees it again at start.
    const second = await alertsApp({
      dataDir,
      activeFaults: [{ station: 'st-001', sensor: 'heater', fault: 'heater_failure', since: T }],
      alerts: { webhook: HOOK },
    });
    try {
      const seen2 = announced(second);
      await second.alertRepo.flushed();
      expect(await notificationsOf(second, a1.id), 'notified once, before the restart').toBe(1);
      expect(second.alerts.list('firing').map((a) => a.id)).toEqual([a1.id]);
      expect(
        metric(await second.metrics.registry.metrics(), 'yizhan_alerts_firing', { rule: 'heater_test' }),
      ).toBe(1);
      const stored = await second.alertRepo.get(a1.id);
      expect(stored).toMatchObject({ status: 'firing', acknowledged: { at: T + 5, by: null } });
      expect(await second.alertRepo.get(a2.id)).toMatchObject({ status: 'resolved' });
      expect(seen2).toEqual([]);

      second.alerts.observe('st-001', heater(false, T + 20));
      expect(seen2.map((a) => [a.id, a.status])).toEqual([[a1.id, 'resolved']]);
      await second.alertRepo.flushed();
      expect(await second.alertRepo.get(a1.id)).toMatchObject({
        status: 'resolved',
        acknowledged: { at: T + 5 },
      });
      expect((await second.alertRepo.events(a1.id)).map((e) => e.kind)).toEqual([
        'fired',
        'notified',
        'acknowledged',
        'resolved',
        'notified',
      ]);
    } finally {
      await second.close();
    }
  });

  it('records and notifies an alert that fired before a crash but never reached the store', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'yizhan-alerts-'));
    dirs.push(dataDir);
    // A store with nothing in it, and InfluxDB with an active fault: what a kill right after the
    // fault was acknowledged (before the alert's batch committed) leaves. Its notification was to
    // commit with it, so nobody has been told: the crew must be.
    const app = await alertsApp({
      dataDir,
      activeFaults: [{ station: 'st-002', sensor: 'heater', fault: 'heater_failure', since: T }],
      alerts: { webhook: HOOK },
    });
    try {
      const firing = app.alerts.list('firing');
      expect(firing.map((a) => a.stationId)).toEqual(['st-002']);
      await app.alertRepo.flushed();
      const id = firing[0]!.id;
      expect(await app.alertRepo.get(id)).toMatchObject({ status: 'firing', townshipCode: 'xintang' });
      expect(await notificationsOf(app, id)).toBe(1);
      expect((await app.alertRepo.events(id)).map((e) => e.kind)).toEqual(['fired', 'notified']);
    } finally {
      await app.close();
    }
  });

  it('adopts a firing alert that InfluxDB does not restore: reported again it is not announced again', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'yizhan-alerts-'));
    dirs.push(dataDir);
    const first = await alertsApp({ dataDir });
    const [fired] = (() => {
      const seen = announced(first);
      first.alerts.observe('st-001', heater(true, T));
      return seen;
    })();
    await first.close();

    const second = await alertsApp({ dataDir });
    try {
      const seen = announced(second);
      expect(second.alerts.list('firing').map((a) => a.id)).toEqual([fired?.id]);
      // The station reports the fault again after the restart (a new start time): still the same alert.
      second.alerts.observe('st-001', heater(true, T + 30_000));
      expect(seen).toEqual([]);
      second.alerts.observe('st-001', heater(false, T + 40_000));
      expect(seen.map((a) => [a.id, a.status])).toEqual([[fired?.id, 'resolved']]);
    } finally {
      await second.close();
    }
  });
});
