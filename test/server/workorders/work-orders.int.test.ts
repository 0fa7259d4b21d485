/**
 * Work orders through the API on SQLite and PostgreSQL: the crew's flow and its refusals, and the
 * sensor verification (passes on a fault that stays gone for the hold, fails and goes back to the
 * crew when it does not, reopens on a fault back within 24 h, resumes after a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { testEngines } from '../store/engines.js';
import { OWN, OTHER } from '../full-app.js';
import {
  HOUR,
  MIN,
  ambient,
  appOn,
  breakDispenser,
  detail,
  feed,
  heaterFault,
  people,
  post,
  type ListAnswer,
} from './helpers.js';

for (const engine of testEngines()) {
  describe(`work orders (${engine.name})`, () => {
    beforeAll(() => engine.setup(), 120_000);
    afterAll(() => engine.teardown());

    it('runs open → in_progress → fixed → closed for an order by hand, and refuses what a crew may not do', async () => {
      const app = await appOn(await engine.fresh());
      try {
        const { crew, manager, other } = await people(app);
        const made = await post(app, crew.headers, '/api/v1/work-orders', {
          stationId: OWN.station,
          title: '门把手松动',
          severity: 'warning',
          assigneeId: crew.user.id,
        });
        expect(made.status).toBe(201);
        const wo = made.body.workOrder;
        expect(wo).toMatchObject({
          state: 'open',
          township: OWN.name,
          assignee: { id: crew.user.id },
          alertId: null,
        });
        expect(wo.dueAt - wo.createdAt).toBe(24 * HOUR);
        // Another township's station, and another township's crew on this order.
        expect(
          (
            await post(app, crew.headers, '/api/v1/work-orders', {
              stationId: OTHER.station,
              title: 'x',
              severity: 'info',
            })
          ).status,
        ).toBe(403);
        expect((await post(app, other.headers, `/api/v1/work-orders/${wo.id}/start`)).status).toBe(403);
        // Assignee without alert:write in the township.
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/assign`, { userId: other.user.id }))
            .body.error.code,
        ).toBe('bad_assignee');
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/fixed`, { bogus: 1 })).status,
        ).toBe(400);
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/start`)).body.workOrder.state,
        ).toBe('in_progress');
        const again = await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/start`);
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('wrong_state');
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/comments`, { text: '已换新把手' }))
            .status,
        ).toBe(201);
        const fixed = await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/fixed`, { note: '修好了' });
        expect(fixed.body.workOrder).toMatchObject({
          state: 'fixed',
          verification: null,
          slaBreached: false,
        });
        // No sensor to verify it: the crew closes it.
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${wo.id}/close`)).body.workOrder.state,
        ).toBe('closed');
        const d = await detail(app, manager.headers, wo.id);
        expect(d.events.map((e) => e.kind)).toEqual([
          'created',
          'assigned',
          'started',
          'commented',
          'claimed_fixed',
          'closed',
        ]);
        const audit = await app.ops.db
          .selectFrom('audit_log')
          .select('action')
          .where('target', '=', `work_order:${wo.id}`)
          .execute();
        expect(audit.map((a) => a.action).sort()).toEqual(
          [
            'work_order.close',
            'work_order.comment',
            'work_order.create',
            'work_order.fixed',
            'work_order.start',
          ].sort(),
        );
        // An open order: the crew may not close it; a manager may, with a note.
        const b = (
          await post(app, crew.headers, '/api/v1/work-orders', {
            stationId: OWN.station,
            title: '重复',
            severity: 'info',
          })
        ).body.workOrder;
        expect(
          (await post(app, crew.headers, `/api/v1/work-orders/${b.id}/close`, { note: '重复' })).body.error
            .code,
        ).toBe('close_needs_manager');
        expect((await post(app, manager.headers, `/api/v1/work-orders/${b.id}/close`)).status).toBe(403);
        expect(
          (await post(app, manager.headers, `/api/v1/work-orders/${b.id}/close`, { note: '与 1 号重复' }))
            .body.workOrder.state,
        ).toBe('closed');
        const list = await app.inject({
          method: 'GET',
          url: '/api/v1/work-orders?state=all&limit=1',
          headers: crew.headers,
        });
        expect(list.json<ListAnswer>().workOrders.map((w) => w.id)).toEqual([b.id]);
        const next = await app.inject({
          method: 'GET',
          url: `/api/v1/work-orders?state=all&before=${list.json<ListAnswer>().next}`,
          headers: crew.headers,
        });
        expect(next.json<ListAnswer>()).toMatchObject({ workOrders: [{ id: wo.id }], next: null });
        const theirs = await app.inject({
          method: 'GET',
          url: '/api/v1/work-orders?state=all',
          headers: other.headers,
        });
        expect(theirs.json<ListAnswer>().workOrders).toEqual([]);
      } finally {
        await app.close();
      }
    });

    it('verifies a fix once the fault stays gone for the hold of station time', async () => {
      const app = await appOn(await engine.fresh());
      try {
        const { crew } = await people(app);
        const T = Date.now() - 2 * HOUR;
        const alertId = await breakDispenser(app, OWN.station, T);
        const made = await post(app, crew.headers, '/api/v1/work-orders', { alertId });
        expect(made.body.workOrder).toMatchObject({
          state: 'open',
          rule: 'dispenser_broken',
          severity: 'critical',
          alertId,
        });
        expect(made.body.workOrder.dueAt - made.body.workOrder.createdAt).toBe(4 * HOUR);
        const dup = await post(app, crew.headers, '/api/v1/work-orders', { alertId });
        expect(dup.status).toBe(409);
        expect(dup.body.error.message).toContain(String(made.body.workOrder.id));
        const id = made.body.workOrder.id;
        await post(app, crew.headers, `/api/v1/work-orders/${id}/start`);
        const fixed = await post(app, crew.headers, `/api/v1/work-orders/${id}/fixed`);
        expect(fixed.body.workOrder.verification).toMatchObject({ state: 'waiting', goodSince: null });
        feed(app, OWN.station, [heaterFault(T + MIN, false)]);
        await app.workOrders.verifier.idle();
        expect((await detail(app, crew.headers, id)).workOrder.verification).toMatchObject({
          goodSince: T + MIN,
          passesAt: T + 11 * MIN,
        });
        // Nine minutes of station time later: not yet.
        feed(app, OWN.station, [ambient(T + 10 * MIN)]);
        await app.workOrders.sweep();
        expect((await detail(app, crew.headers, id)).workOrder.state).toBe('fixed');
        feed(app, OWN.station, [ambient(T + 11 * MIN)]);
        await app.workOrders.sweep();
        const d = await detail(app, crew.headers, id);
        expect(d.workOrder.state).toBe('verified');
        expect(d.workOrder.verification).toMatchObject({
          state: 'passed',
          evidence: { resolvedAt: T + MIN, heldForMs: 10 * MIN },
        });
        expect(d.events.at(-1)).toMatchObject({ kind: 'verified', user: null });
        // The fault comes back an hour later: reopened, back to the crew.
        feed(app, OWN.station, [heaterFault(T + HOUR, true)]);
        await app.workOrders.verifier.idle();
        const r = await detail(app, crew.headers, id);
        expect(r.workOrder).toMatchObject({ state: 'in_progress', reopened: 1, verification: null });
        expect(r.events.at(-1)).toMatchObject({ kind: 'reopened', user: null });
      } finally {
        await app.close();
      }
    });

    it('sends the order back to the crew with the evidence when the fault is still there after the timeout, or returns in the hold', async () => {
      const app = await appOn(await engine.fresh());
      try {
        const { crew } = await people(app);
        const T = Date.now() - 3 * HOUR;
        const id = (
          await post(app, crew.headers, '/api/v1/work-orders', {
            alertId: await breakDispenser(app, OWN.station, T),
          })
        ).body.workOrder.id;
        await post(app, crew.headers, `/api/v1/work-orders/${id}/fixed`);
        feed(app, OWN.station, [ambient(T + 29 * MIN)]);
        await app.workOrders.sweep();
        expect((await detail(app, crew.headers, id)).workOrder.state).toBe('fixed');
        feed(app, OWN.station, [ambient(T + 30 * MIN)]);
        await app.workOrders.sweep();
        let d = await detail(app, crew.headers, id);
        expect(d.workOrder).toMatchObject({ state: 'in_progress', reopened: 1, fixedAt: null });
        expect(d.workOrder.verification).toMatchObject({
          state: 'failed',
          evidence: { reason: 'still_firing' },
        });
        expect(d.events.at(-1)).toMatchObject({ kind: 'verification_failed', user: null });
        // Claimed again, resolved, then the fault is back within the hold.
        await post(app, crew.headers, `/api/v1/work-orders/${id}/fixed`);
        feed(app, OWN.station, [heaterFault(T + 40 * MIN, false)]);
        feed(app, OWN.station, [heaterFault(T + 45 * MIN, true)]);
        await app.workOrders.verifier.idle();
        d = await detail(app, crew.headers, id);
        expect(d.workOrder).toMatchObject({ state: 'in_progress', reopened: 2 });
        expect(d.workOrder.verification).toMatchObject({
          state: 'failed',
          evidence: { reason: 'fired_again' },
        });
      } finally {
        await app.close();
      }
    });

    it('resumes a waiting verification after a restart', async () => {
      const loc = await engine.fresh();
      let app: FastifyInstance = await appOn(loc);
      const T = Date.now() - 2 * HOUR;
      let id = 0;
      let crewHeaders: Record<string, string> = {};
      try {
        const { crew } = await people(app);
        crewHeaders = crew.headers;
        id = (
          await post(app, crew.headers, '/api/v1/work-orders', {
            alertId: await breakDispenser(app, OWN.station, T),
          })
        ).body.workOrder.id;
        await post(app, crew.headers, `/api/v1/work-orders/${id}/fixed`);
        feed(app, OWN.station, [heaterFault(T + 2 * MIN, false)]);
        await app.workOrders.verifier.idle();
      } finally {
        await app.close();
      }
      app = await appOn(loc);
      try {
        feed(app, OWN.station, [ambient(T + 12 * MIN)]);
        await app.workOrders.sweep();
        const d = await detail(app, crewHeaders, id);
        expect(d.workOrder.state).toBe('verified');
      } finally {
        await app.close();
      }
    });
  });
}
