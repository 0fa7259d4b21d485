/**
 * Contact retention: a closed report keeps the rider's name and phone for the retention period
 * (YIZHAN_REPORT_CONTACT_RETENTION_DAYS) after closing, then the hourly job empties them; an open
 * report keeps them however old it is; the report, its history and the credit name stay. The job
 * is given the clock (`retention(now)`), so no test waits for days.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ReportDetailResponse } from '@yizhan/server/api-types';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import { OWN } from '../full-app.js';
import { valueOf } from '../../helpers/prom.js';
import { addReport, startReportsApp } from '../routes/rider-reports/helpers.js';

const DAY = 86_400_000;
const RETENTION_DAYS = 30;
let app: FastifyInstance;
let grid: Record<string, string>;

beforeAll(async () => {
  app = await startReportsApp({ reports: { contactRetentionDays: RETENTION_DAYS } });
  grid = await sessionHeaders(app, await addTestUser(app, [{ role: 'grid_staff', scope: OWN.code }]));
});
afterAll(() => app.close());

const contactOf = async (id: number) =>
  app.ops.db
    .selectFrom('rider_reports')
    .select(['contact_name', 'contact_phone', 'contact_deleted_at', 'credit_name', 'text'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

async function report(): Promise<number> {
  const a = await addReport(app, {
    contact: { name: '刘师傅', phone: '137 0000 1111' },
    credit: { name: '老刘' },
  });
  const { id } = await app.ops.db
    .selectFrom('rider_reports')
    .select('id')
    .where('receipt', '=', a.receipt.replace('-', ''))
    .executeTakeFirstOrThrow();
  return Number(id);
}

describe('contact retention', () => {
  it('empties the contact of a report closed longer than the retention, and only that', async () => {
    const closed = await report();
    const open = await report();
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/rider-reports/${closed}/triage`,
      headers: grid,
      payload: { decision: 'not_valid', reason: '无法核实' },
    });
    expect(r.statusCode).toBe(200);
    const closedAt = Number(
      (
        await app.ops.db
          .selectFrom('rider_reports')
          .select('closed_at')
          .where('id', '=', closed)
          .executeTakeFirstOrThrow()
      ).closed_at,
    );

    // A day before the end of the retention: kept.
    expect(await app.riderReports.retention(closedAt + (RETENTION_DAYS - 1) * DAY)).toBe(0);
    expect((await contactOf(closed)).contact_phone).toBe('137 0000 1111');

    const later = closedAt + (RETENTION_DAYS + 1) * DAY;
    expect(await app.riderReports.retention(later)).toBe(1);
    expect(await contactOf(closed)).toEqual({
      contact_name: null,
      contact_phone: null,
      contact_deleted_at: later,
      credit_name: '老刘',
      text: '驿站门口的热水器不出热水',
    });
    // Still open, however old: the staff handling it may need to call back.
    expect((await contactOf(open)).contact_phone).toBe('137 0000 1111');
    // Once is enough: a second pass deletes nothing more.
    expect(await app.riderReports.retention(later + DAY)).toBe(0);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(valueOf(metrics, 'yizhan_rider_report_contacts_deleted_total')).toBe(1);

    const detail = (
      await app.inject({ url: `/api/v1/rider-reports/${closed}`, headers: grid })
    ).json<ReportDetailResponse>();
    expect(detail).toMatchObject({ contactState: 'deleted', contact: null, creditName: '老刘' });
  });
});
