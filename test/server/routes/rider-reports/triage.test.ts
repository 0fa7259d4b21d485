/**
 * Triage by the township's staff, as the rider follows it with the receipt: a station problem
 * becomes a work order and is resolved when the crew's order is closed; a street problem is
 * assigned to a grid member (or forwarded to a named department) and resolved by them; refusals
 * need a reason the rider reads. Staff names never reach the rider; every step is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody, PublicReport, ReportResponse } from '@yizhan/server/api-types';
import { addTestUser, sessionHeaders, type TestUser } from '../../auth-helpers.js';
import { OTHER, OWN } from '../../full-app.js';
import { PLACES, addReport, startReportsApp } from './helpers.js';

let app: FastifyInstance;
let grid: TestUser;
let gridHeaders: Record<string, string>;
let managerHeaders: Record<string, string>;
let crewHeaders: Record<string, string>;

beforeAll(async () => {
  app = await startReportsApp();
  grid = await addTestUser(app, [{ role: 'grid_staff', scope: OWN.code }], '网格员小李');
  gridHeaders = await sessionHeaders(app, grid);
  managerHeaders = await sessionHeaders(
    app,
    await addTestUser(app, [{ role: 'township_manager', scope: OWN.code }], '镇街王主任'),
  );
  crewHeaders = await sessionHeaders(app, await addTestUser(app, [{ role: 'crew_lead', scope: OWN.code }]));
});
afterAll(() => app.close());

const idOf = async (receipt: string) =>
  Number(
    (
      await app.ops.db
        .selectFrom('rider_reports')
        .select('id')
        .where('receipt', '=', receipt.replace('-', ''))
        .executeTakeFirstOrThrow()
    ).id,
  );
const step = (headers: Record<string, string>, id: number, verb: string, payload: object) =>
  app.inject({ method: 'POST', url: `/api/v1/rider-reports/${id}/${verb}`, headers, payload });
const rider = async (receipt: string) =>
  (
    await app.inject({ url: `/api/v1/public/reports/${receipt}`, remoteAddress: '203.0.113.99' })
  ).json<PublicReport>();
const audits = async (id: number) =>
  (
    await app.ops.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `rider_report:${id}`)
      .orderBy('id')
      .execute()
  ).map((r) => r.action);

describe('a station problem', () => {
  it('triaged valid becomes a work order; the rider sees in progress, then resolved when the order is closed', async () => {
    const a = await addReport(app, { category: 'missing_supplies', text: '急救包空了' });
    const id = await idOf(a.receipt);
    const r = await step(gridHeaders, id, 'triage', { decision: 'valid' });
    expect(r.statusCode).toBe(200);
    const report = r.json<ReportResponse>().report;
    expect(report).toMatchObject({ status: 'in_progress', decision: 'valid', triagedBy: { id: grid.id } });
    expect(report.workOrderId).toBeGreaterThan(0);
    const order = await app.workOrders.repo.get(report.workOrderId!);
    expect(order).toMatchObject({ stationId: OWN.station, state: 'open', townshipCode: OWN.code });
    expect(order?.title).toContain('物资缺少');
    expect(order?.description).toContain('急救包空了');
    expect(order?.description).toContain(a.receipt);

    let seen = await rider(a.receipt);
    expect(seen).toMatchObject({
      status: 'in_progress',
      statusName: '处理中',
      handledBy: { kind: 'work_order' },
    });
    expect(seen.history.map((h) => h.status)).toEqual(['received', 'accepted', 'in_progress']);

    // The crew works the order through the work-order API; the report follows without polling.
    const w = `/api/v1/work-orders/${report.workOrderId}`;
    expect(
      (await app.inject({ method: 'POST', url: `${w}/start`, headers: crewHeaders, payload: {} })).statusCode,
    ).toBe(200);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `${w}/fixed`,
          headers: crewHeaders,
          payload: { note: '补齐' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await rider(a.receipt)).status).toBe('in_progress');
    expect(
      (await app.inject({ method: 'POST', url: `${w}/close`, headers: crewHeaders, payload: {} })).statusCode,
    ).toBe(200);
    seen = await rider(a.receipt);
    expect(seen).toMatchObject({ status: 'resolved', statusName: '已解决' });
    expect(seen.history.at(-1)).toMatchObject({ status: 'resolved', note: '驿站维修工单已完成' });
    expect(JSON.stringify(seen)).not.toContain('网格员小李');
    expect(await audits(id)).toEqual(['rider_report.triage']);
    // A station problem follows its order: no assigning or resolving by hand.
    expect((await step(gridHeaders, id, 'resolve', { note: 'x' })).statusCode).toBe(409);
  });

  it('a second triage is a 409 naming the status; nothing changes', async () => {
    const id = await idOf((await addReport(app)).receipt);
    expect(
      (await step(gridHeaders, id, 'triage', { decision: 'not_valid', reason: '描述不清' })).statusCode,
    ).toBe(200);
    const again = await step(managerHeaders, id, 'triage', { decision: 'valid' });
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorBody>().error.message).toContain('不予受理');
  });
});

describe('a street problem', () => {
  const street = {
    category: 'blocked_lane',
    stationId: undefined,
    location: { lat: PLACES.own.lat + 0.001, lon: PLACES.own.lon },
    text: '人行道被摊位占满',
  };

  it('assigned to a grid member and resolved by them; the rider never reads their name', async () => {
    const a = await addReport(app, street);
    const id = await idOf(a.receipt);
    expect(
      (await step(managerHeaders, id, 'triage', { decision: 'valid' })).json<ReportResponse>().report.status,
    ).toBe('accepted');
    expect((await rider(a.receipt)).statusName).toBe('已受理');
    const assigned = await step(managerHeaders, id, 'assign', { userId: grid.id });
    expect(assigned.json<ReportResponse>().report).toMatchObject({
      status: 'in_progress',
      assignee: { id: grid.id, displayName: '网格员小李' },
    });
    expect((await rider(a.receipt)).handledBy).toEqual({ kind: 'grid_member' });
    const done = await step(gridHeaders, id, 'resolve', { note: '已劝离摊位，通道畅通' });
    expect(done.json<ReportResponse>().report.status).toBe('resolved');
    const seen = await rider(a.receipt);
    expect(seen.history.at(-1)).toMatchObject({
      status: 'resolved',
      statusName: '已解决',
      note: '已劝离摊位，通道畅通',
    });
    expect(JSON.stringify(seen)).not.toMatch(/网格员小李|镇街王主任/);
    expect(await audits(id)).toEqual(['rider_report.triage', 'rider_report.assign', 'rider_report.resolve']);
  });

  it('forwarded to a named department: the rider reads the department', async () => {
    const a = await addReport(app, street);
    const id = await idOf(a.receipt);
    await step(gridHeaders, id, 'triage', { decision: 'valid' });
    const r = await step(gridHeaders, id, 'assign', { department: '县城管局' });
    expect(r.json<ReportResponse>().report).toMatchObject({ status: 'in_progress', department: '县城管局' });
    const seen = await rider(a.receipt);
    expect(seen.handledBy).toEqual({ kind: 'department', name: '县城管局' });
    expect(seen.history.at(-1)?.note).toBe('县城管局');
  });

  it.each([
    { name: 'a viewer (no grid_staff grant)', role: 'viewer' as const, scope: OWN.code },
    { name: 'grid staff of another township', role: 'grid_staff' as const, scope: OTHER.code },
  ])('is not assigned to $name (400 naming the user)', async ({ role, scope }) => {
    const id = await idOf((await addReport(app, street)).receipt);
    await step(gridHeaders, id, 'triage', { decision: 'valid' });
    const other = await addTestUser(app, [{ role, scope }]);
    const r = await step(gridHeaders, id, 'assign', { userId: other.id });
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorBody>().error.message).toContain(`body/userId`);
  });

  it.each([
    { name: 'both a user and a department', body: (u: number) => ({ userId: u, department: '县城管局' }) },
    { name: 'neither', body: () => ({ note: '请处理' }) },
  ])('assign with $name is a 400 naming userId', async ({ body }) => {
    const id = await idOf((await addReport(app, street)).receipt);
    await step(gridHeaders, id, 'triage', { decision: 'valid' });
    const r = await step(gridHeaders, id, 'assign', body(grid.id));
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorBody>().error.message).toContain('body/userId');
  });

  it('only the assignee or a manager resolves it', async () => {
    const id = await idOf((await addReport(app, street)).receipt);
    await step(managerHeaders, id, 'triage', { decision: 'valid' });
    await step(managerHeaders, id, 'assign', { userId: grid.id });
    const colleague = await sessionHeaders(
      app,
      await addTestUser(app, [{ role: 'grid_staff', scope: OWN.code }]),
    );
    expect((await step(colleague, id, 'resolve', { note: '好了' })).statusCode).toBe(403);
    expect((await step(managerHeaders, id, 'resolve', { note: '好了' })).statusCode).toBe(200);
  });
});

describe('refusals', () => {
  it.each([
    { decision: 'not_valid', reason: '照片与描述不符', status: 'not_valid', name: '不予受理' },
    {
      decision: 'outside_remit',
      reason: '请拨打 12345 市民热线',
      status: 'outside_remit',
      name: '不属于本平台受理范围',
    },
  ])('$decision: closed with the reason the rider reads', async ({ decision, reason, status, name }) => {
    const a = await addReport(app);
    const r = await step(gridHeaders, await idOf(a.receipt), 'triage', { decision, reason });
    expect(r.json<ReportResponse>().report).toMatchObject({ status, reason });
    const seen = await rider(a.receipt);
    expect(seen).toMatchObject({ status, reason });
    expect(seen.statusName).toContain(name);
  });

  it('duplicate points to the earlier receipt', async () => {
    const first = await addReport(app);
    const a = await addReport(app);
    const r = await step(gridHeaders, await idOf(a.receipt), 'triage', {
      decision: 'duplicate',
      reason: '已有人反映',
      duplicateOf: first.receipt.toLowerCase(),
    });
    expect(r.json<ReportResponse>().report).toMatchObject({
      status: 'duplicate',
      duplicateOf: first.receipt,
    });
  });

  it.each([
    { name: 'no reason', body: { decision: 'not_valid' }, says: 'body/reason' },
    { name: 'blank reason', body: { decision: 'outside_remit', reason: '  ' }, says: 'body/reason' },
    {
      name: 'duplicate without the receipt',
      body: { decision: 'duplicate', reason: '重复' },
      says: 'body/duplicateOf',
    },
    {
      name: 'duplicate of an unknown receipt',
      body: { decision: 'duplicate', reason: '重复', duplicateOf: 'ZZZZ-ZZZZ' },
      says: 'ZZZZ-ZZZZ',
    },
    { name: 'unknown decision', body: { decision: 'maybe' }, says: 'body/decision' },
  ])('$name: 400 naming it; the report stays received', async ({ body, says }) => {
    const a = await addReport(app);
    const r = await step(gridHeaders, await idOf(a.receipt), 'triage', body);
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorBody>().error.message).toContain(says);
    expect((await rider(a.receipt)).status).toBe('received');
  });
});

describe('who may triage', () => {
  it('grid staff of another township get 403; crews and viewers have no report:triage', async () => {
    const id = await idOf((await addReport(app)).receipt);
    const otherGrid = await sessionHeaders(
      app,
      await addTestUser(app, [{ role: 'grid_staff', scope: OTHER.code }]),
    );
    expect((await step(otherGrid, id, 'triage', { decision: 'valid' })).statusCode).toBe(403);
    expect((await step(crewHeaders, id, 'triage', { decision: 'valid' })).statusCode).toBe(403);
    const noCsrf = { cookie: gridHeaders.cookie! };
    expect((await step(noCsrf, id, 'triage', { decision: 'valid' })).statusCode).toBe(403);
    expect(
      (
        await app.ops.db
          .selectFrom('rider_reports')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('received');
  });
});
