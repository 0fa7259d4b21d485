/**
 * Work-order tests: the full app on a store of each engine, a crew member and a township manager of
 * the own township, and the station driven like ingest does (live state, then the alert engine) at
 * station times chosen by the test.
 */
import { expect, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Observation } from '../../../server/src/state/observation.js';
import type { StoreLocation } from '../store/engines.js';
import type { WorkOrder } from '../../../server/src/routes/work-orders/schemas.js';
import { startFullApp, userWithSession, OWN } from '../full-app.js';

export const HOUR = 3_600_000;
export const MIN = 60_000;

export async function appOn(
  loc: StoreLocation,
  extra: Record<string, unknown> = {},
): Promise<FastifyInstance> {
  return startFullApp({
    dataDir: loc.dataDir,
    ...(loc.url ? { dbUrl: loc.url } : {}),
    workOrders: { checkIntervalMs: HOUR, ...extra },
  });
}

export async function people(app: FastifyInstance) {
  const crew = await userWithSession(app, [{ role: 'crew_member', scope: OWN.code }]);
  const manager = await userWithSession(app, [{ role: 'township_manager', scope: OWN.code }]);
  const other = await userWithSession(app, [{ role: 'crew_member', scope: 'xintang' }]);
  return { crew, manager, other };
}

/** What ingest does with a message: live state first, then the rules see the live observations. */
export function feed(app: FastifyInstance, stationId: string, obs: Observation[]): void {
  app.alerts.observe(stationId, app.store.apply(stationId, obs));
}

export const heaterFault = (ts: number, active: boolean): Observation => ({
  type: 'fault',
  sensor: 'heater',
  fault: 'heater_failure',
  active,
  ts,
  historical: false,
});
export const ambient = (ts: number): Observation => ({
  type: 'reading',
  sensor: 'ambient',
  kind: 'ambient_temp',
  value: 18,
  ts,
  historical: false,
});

/** The dispenser of the station breaks at station time `ts`; the alert's id once it is in the store. */
export async function breakDispenser(app: FastifyInstance, stationId: string, ts: number): Promise<string> {
  feed(app, stationId, [heaterFault(ts, true)]);
  const alert = app.alerts.list('firing').find((a) => a.stationId === stationId);
  expect(alert?.rule).toBe('dispenser_broken');
  await vi.waitFor(async () => expect(await app.alertRepo.get(alert!.id)).toBeDefined());
  return alert!.id;
}

/** Any answer of the write routes, as the tests read it. */
export interface Answer {
  workOrder: WorkOrder;
  event: { kind: string };
  error: { code: string; message: string };
}
export interface ListAnswer {
  workOrders: WorkOrder[];
  next: string | null;
}

export async function post(
  app: FastifyInstance,
  headers: Record<string, string>,
  url: string,
  payload: Record<string, unknown> = {},
): Promise<{ status: number; body: Answer }> {
  const r = await app.inject({ method: 'POST', url, headers, payload });
  return { status: r.statusCode, body: r.json<Answer>() };
}

export async function detail(app: FastifyInstance, headers: Record<string, string>, id: number) {
  const r = await app.inject({ method: 'GET', url: `/api/v1/work-orders/${id}`, headers });
  expect(r.statusCode).toBe(200);
  return r.json<{
    workOrder: {
      state: string;
      reopened: number;
      verification: { state: string } | null;
      fixedAt: number | null;
    };
    events: { kind: string; user: unknown; text: string | null }[];
  }>();
}

/** The smallest PNG file start: its 8-byte signature and an IHDR chunk header. */
export const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452', 'hex'),
  Buffer.alloc(64, 7),
]);

/** A work order written straight to the store in the station's township; its id. */
export async function addTestWorkOrder(
  app: FastifyInstance,
  stationId: string,
  state = 'open',
): Promise<number> {
  const now = Date.now();
  const { id } = await app.ops.db
    .insertInto('work_orders')
    .values({
      alert_id: null,
      fingerprint: null,
      rule: null,
      station_id: stationId,
      township: app.hierarchy.townshipOf(stationId) ?? '',
      title: '测试工单',
      description: '',
      severity: 'warning',
      state,
      assignee_id: null,
      created_at: now,
      created_by: null,
      due_at: now + 24 * HOUR,
      fixed_at: state === 'open' ? null : now,
      verified_at: state === 'verified' ? now : null,
      closed_at: null,
      verification_json: null,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

/** A photo of the order written straight to the store; its id. */
export async function addTestPhoto(app: FastifyInstance, orderId: number): Promise<number> {
  const { id } = await app.ops.db
    .insertInto('work_order_photos')
    .values({
      work_order_id: orderId,
      at: Date.now(),
      user_id: null,
      content_type: 'image/png',
      bytes: PNG.length,
      data: PNG,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}
