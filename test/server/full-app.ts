/**
 * The whole server app (buildApp: every plugin and route) for in-process tests with app.inject:
 * SQLite in memory, MQTT and InfluxDB at addresses where nothing answers (ready() does not wait for
 * them; /readyz says 503 and config writes 503 `config_not_ready`). Two townships with one station
 * each, so every scoped route has an own and an other township.
 */
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type ServerOptions } from '@yizhan/server';
import type { Grant } from '@yizhan/server/roles';
import { addTestUser, sessionHeaders, twoTownships, type TestUser } from './auth-helpers.js';

/** Township A: the principals' own; B: another (as twoTownships() defines them). */
export const OWN = { code: 'chengguan', name: '城关镇', station: 'st-001' } as const;
export const OTHER = { code: 'xintang', name: '新塘镇', station: 'st-002' } as const;

/** MQTT and InfluxDB addresses where nothing answers; retries far apart keep the log and the event loop quiet. */
export const NOTHING_BEHIND = {
  mqtt: { url: 'mqtt://127.0.0.1:1', reconnectPeriodMs: 60_000 },
  influx: {
    url: 'http://127.0.0.1:1',
    api: 'v1',
    db: 'yizhan',
    rp: 'raw',
    setupBackoff: { minMs: 60_000, maxMs: 60_000 },
  },
} satisfies Partial<ServerOptions>;

export async function startFullApp(extra: Partial<ServerOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp(
    twoTownships({
      ...NOTHING_BEHIND,
      loggerInstance: pino({ level: 'silent' }),
      ...extra,
    }),
  );
  await app.ready();
  return app;
}

/** Rows in the tables a write through the API may touch. */
export const WRITE_TABLES = [
  'users',
  'role_grants',
  'sessions',
  'api_tokens',
  'audit_log',
  'alerts',
  'alert_events',
  'silences',
  'work_orders',
  'work_order_events',
  'work_order_photos',
  'notices',
  'rider_reports',
  'rider_report_photos',
  'rider_report_events',
] as const;

export async function rowCounts(app: FastifyInstance): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of WRITE_TABLES) {
    const r = await app.ops.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}

/** An alert row of the store in the station's township (firing, not acknowledged). */
export async function addTestAlert(app: FastifyInstance, stationId: string): Promise<string> {
  const now = Date.now();
  const id = `test-${stationId}-${now}-${Math.random().toString(36).slice(2, 8)}`;
  await app.ops.db
    .insertInto('alerts')
    .values({
      id,
      fingerprint: `dispenser_broken:${stationId}`,
      rule: 'dispenser_broken',
      station_id: stationId,
      township: app.hierarchy.townshipOf(stationId) ?? '',
      severity: 'critical',
      status: 'firing',
      starts_at: now,
      ends_at: null,
      message_json: JSON.stringify({ 'zh-CN': '热水器故障', en: 'Dispenser broken' }),
      resolved_message_json: null,
      evidence_json: JSON.stringify({ cause: 'fault' }),
      acked_at: null,
      acked_by: null,
      updated_at: now,
    })
    .execute();
  return id;
}

/** An active silence of the township (an hour from now), written straight to the store; its id. */
/** A notification the outbox gave up on (state failed), as the retry route takes it; its id. */
export async function addTestNotification(app: Pick<FastifyInstance, 'ops'>): Promise<number> {
  const now = Date.now();
  const { id } = await app.ops.db
    .insertInto('outbox')
    .values({
      dedupe_key: `test-${now}-${Math.random()}:fired:cg-wecom`,
      channel: 'cg-wecom',
      group_key: null,
      payload_json: JSON.stringify({ title: '【严重】测试', markdown: '', text: '' }),
      state: 'failed',
      next_attempt_at: now,
      created_at: now,
      last_error: '93000: invalid webhook url',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

export async function addTestSilence(app: Pick<FastifyInstance, 'ops'>, township: string): Promise<number> {
  const now = Date.now();
  const { id } = await app.ops.db
    .insertInto('silences')
    .values({
      station_id: null,
      township,
      rule: null,
      severity: null,
      starts_at: now,
      ends_at: now + 3_600_000,
      window_json: null,
      reason: '检修',
      created_by: null,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

/** A user with the grants and the headers of a fresh session of theirs. */
export async function userWithSession(
  app: FastifyInstance,
  grants: readonly Grant[],
): Promise<{ user: TestUser; headers: Record<string, string> }> {
  const user = await addTestUser(app, grants);
  return { user, headers: await sessionHeaders(app, user) };
}
