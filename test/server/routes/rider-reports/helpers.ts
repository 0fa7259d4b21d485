/**
 * The rider-report route tests: the whole app (full-app.ts) with the two townships' stations 14 km
 * apart (so a location picks a township), a rider's report sent as the phone page sends it, and a
 * photo upload with its token.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from '../../../../server/src/options.js';
import type { NewReportResponse } from '@yizhan/server/api-types';
import { stationFixture } from '../../../helpers/station.js';
import { startFullApp } from '../../full-app.js';

/** st-001 (城关镇) and st-002 (新塘镇), WGS-84. */
export const PLACES = { own: { lat: 30, lon: 120 }, other: { lat: 30.1, lon: 120.1 } } as const;

export function startReportsApp(extra: Partial<ServerOptions> = {}): Promise<FastifyInstance> {
  return startFullApp({
    stations: [
      { ...stationFixture('st-001', { township: '城关镇' }), location: PLACES.own },
      { ...stationFixture('st-002', { township: '新塘镇' }), location: PLACES.other },
    ],
    ...extra,
  });
}

let devices = 0;
/** A device id as the page makes one (16–64 of [A-Za-z0-9_-]). */
export const newDevice = () =>
  `test-device-${String(++devices).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`;

export const reportBody = (extra: Record<string, unknown> = {}) => ({
  category: 'station_fault',
  text: '驿站门口的热水器不出热水',
  stationId: 'st-001',
  ...extra,
});

export function sendReport(
  app: FastifyInstance,
  body: unknown,
  o: { device?: string; ip?: string; lang?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/public/reports${o.lang ? `?lang=${o.lang}` : ''}`,
    headers: { 'x-yizhan-device': o.device ?? newDevice(), 'content-type': 'application/json' },
    remoteAddress: o.ip ?? '203.0.113.7',
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A report sent and accepted (201); its answer. */
export async function addReport(
  app: FastifyInstance,
  extra: Record<string, unknown> = {},
  ip?: string,
): Promise<NewReportResponse> {
  const r = await sendReport(app, reportBody(extra), {
    ip: ip ?? `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
  });
  if (r.statusCode !== 201) throw new Error(`report refused: ${r.statusCode} ${r.body}`);
  return r.json<NewReportResponse>();
}

export function uploadPhoto(
  app: FastifyInstance,
  report: Pick<NewReportResponse, 'receipt' | 'uploadToken'>,
  data: Buffer,
  o: { type?: string; keepLocation?: boolean; token?: string; ip?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/public/reports/${report.receipt}/photos${o.keepLocation ? '?keepLocation=1' : ''}`,
    headers: {
      'content-type': o.type ?? 'image/jpeg',
      authorization: `Bearer ${o.token ?? report.uploadToken}`,
    },
    remoteAddress: o.ip ?? '203.0.113.8',
    payload: data,
  });
}

/**
 * A report at the station (its township's), its id: a station fault, or with `street` an other
 * street problem; moved straight in the store to `status` (accepted, or in_progress forwarded to
 * 县城管局) for the routes that need it there.
 */
export async function reportAt(
  app: FastifyInstance,
  stationId: string,
  o: { street?: boolean; status?: 'accepted' | 'in_progress'; photo?: Buffer } = {},
): Promise<number> {
  const a = await addReport(app, { stationId, ...(o.street ? { category: 'other_street' } : {}) });
  if (o.photo) await uploadPhoto(app, a, o.photo);
  const { id } = await app.ops.db
    .selectFrom('rider_reports')
    .select('id')
    .where('receipt', '=', a.receipt.replace('-', ''))
    .executeTakeFirstOrThrow();
  if (o.status)
    await app.ops.db
      .updateTable('rider_reports')
      .set({
        status: o.status,
        decision: 'valid',
        ...(o.status === 'in_progress' ? { department: '县城管局' } : {}),
      })
      .where('id', '=', id)
      .execute();
  return Number(id);
}
