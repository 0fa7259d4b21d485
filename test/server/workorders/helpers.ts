/**
 * Work-order tests: the full app on a store of each engine, a crew member and a township manager of
 * the own township, and the station driven like ingest does (live state, then the alert engine) at
 * station times chosen by the test.
 */
import { expect, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Observation } from '../../../server/src/state/observation.js';
import type { StoreLocation } from '../store/engines.js';
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

export async function post(
  app: FastifyInstance,
  headers: Record<string, string>,
  url: string,
  payload: unknown = {},
) {
  const r = await app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
  return { status: r.statusCode, body: r.json() };
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
