/**
 * Photos, the response report against a hand-computed fixture (MTTA, MTTR, SLA breaches,
 * reopened), the monthly CSV parsed back, and the metrics (ack and resolve histograms, SLA
 * breaches counted once, work orders by state), on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSse } from '../../helpers/sse.js';
import type { FastifyInstance } from 'fastify';
import { testEngines } from '../store/engines.js';
import { OWN, OTHER } from '../full-app.js';
import { dayStart } from '../../../server/src/workorders/report.js';
import {
  HOUR,
  MIN,
  PNG,
  addTestWorkOrder,
  appOn,
  breakDispenser,
  feed,
  heaterFault,
  people,
  post,
} from './helpers.js';

const TZ = 'Asia/Shanghai';

/** An alert row of the fixture: fired at `start`, acked after `ack` ms, resolved after `res` ms. */
async function alertRow(
  app: FastifyInstance,
  n: number,
  township: string,
  rule: string,
  start: number,
  ack: number | null,
  res: number | null,
) {
  await app.ops.db
    .insertInto('alerts')
    .values({
      id: `fixture-${n}`,
      fingerprint: `${rule}:${township}:${n}`,
      rule,
      station_id: township === OWN.code ? OWN.station : OTHER.station,
      township,
      severity: 'warning',
      status: res === null ? 'firing' : 'resolved',
      starts_at: start,
      ends_at: res === null ? null : start + res,
      message_json: '{"zh-CN":"x","en":"x"}',
      resolved_message_json: null,
      evidence_json: '{}',
      acked_at: ack === null ? null : start + ack,
      acked_by: null,
      updated_at: start,
    })
    .execute();
}

/** Splits a CSV file (RFC 4180: quoted cells, doubled quotes, CRLF) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

for (const engine of testEngines()) {
  describe(`work-order photos, reports and metrics (${engine.name})`, () => {
    let app: FastifyInstance;
    let who: Awaited<ReturnType<typeof people>>;
    beforeAll(async () => {
      await engine.setup();
      app = await appOn(await engine.fresh());
      who = await people(app);
    }, 120_000);
    afterAll(async () => {
      await app?.close();
      await engine.teardown();
    });

    it('tells the logged-in readers of the township about each change on the SSE stream, and nobody else', async () => {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const mine = await openSse(`${address}/api/v1/events`, who.crew.headers);
      const theirs = await openSse(`${address}/api/v1/events`, who.other.headers);
      try {
        const made = await post(app, who.crew.headers, '/api/v1/work-orders', {
          stationId: OWN.station,
          title: '更换水龙头',
          severity: 'info',
        });
        const id = made.body.workOrder.id;
        await post(app, who.crew.headers, `/api/v1/work-orders/${id}/start`);
        await vi.waitFor(() => {
          const seen = mine.events
            .filter((e) => e.event === 'work-order')
            .map((e) => JSON.parse(e.data) as { id: number; state: string });
          expect(seen.filter((w) => w.id === id).map((w) => w.state)).toEqual(['open', 'in_progress']);
        });
        expect(theirs.events.filter((e) => e.event === 'work-order')).toEqual([]);
      } finally {
        mine.close();
        theirs.close();
      }
    });

    it('stores a photo checked by its magic bytes and serves it back; refuses a wrong one and another township', async () => {
      const id = await addTestWorkOrder(app, OWN.station);
      const url = `/api/v1/work-orders/${id}/photos`;
      const send = (headers: Record<string, string>, type: string, payload: Buffer) =>
        app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload });
      const good = await send(who.crew.headers, 'image/png', PNG);
      expect(good.statusCode, good.body).toBe(201);
      const photo = good.json<{ photo: { id: number; bytes: number } }>().photo;
      expect(photo.bytes).toBe(PNG.length);
      const back = await app.inject({ url: `${url}/${photo.id}`, headers: who.crew.headers });
      expect(back.statusCode).toBe(200);
      expect(back.headers['content-type']).toBe('image/png');
      expect(back.headers['x-content-type-options']).toBe('nosniff');
      expect(back.headers['cache-control']).toMatch(/^private/);
      expect(back.rawPayload.equals(PNG)).toBe(true);
      // A PNG sent as JPEG, and an HTML page sent as PNG.
      expect((await send(who.crew.headers, 'image/jpeg', PNG)).statusCode).toBe(415);
      expect(
        (await send(who.crew.headers, 'image/png', Buffer.from('<html><script>x</script>'))).statusCode,
      ).toBe(415);
      expect((await send(who.other.headers, 'image/png', PNG)).statusCode).toBe(403);
      expect((await app.inject({ url: `${url}/${photo.id}`, headers: who.other.headers })).statusCode).toBe(
        403,
      );
      const d = await app.inject({ url: `/api/v1/work-orders/${id}`, headers: who.crew.headers });
      expect(d.json<{ photos: unknown[] }>().photos).toHaveLength(1);
    });

    it('reports MTTA, MTTR, work orders, SLA breaches and reopenings per township and rule, as JSON and CSV', async () => {
      // 2026-10-01 … 2026-10-31, county time.
      const day = dayStart('2026-10-05', TZ);
      await alertRow(app, 1, OWN.code, 'dispenser_broken', day + HOUR, 10 * MIN, 60 * MIN);
      await alertRow(app, 2, OWN.code, 'dispenser_broken', day + 2 * HOUR, 20 * MIN, null);
      await alertRow(app, 3, OWN.code, 'serial_link_down', day + 3 * HOUR, null, 30 * MIN);
      await alertRow(app, 4, OTHER.code, 'dispenser_broken', day + HOUR, 5 * MIN, 5 * MIN);
      // Outside the month (county time): 2026-09-30 23:30 and 2026-11-01 00:10.
      await alertRow(app, 5, OWN.code, 'dispenser_broken', dayStart('2026-10-01', TZ) - 30 * MIN, MIN, MIN);
      await alertRow(app, 6, OWN.code, 'dispenser_broken', dayStart('2026-11-01', TZ) + 10 * MIN, MIN, MIN);
      const wo = async (rule: string | null, fixedAfter: number | null, reopened: number) =>
        app.ops.db
          .insertInto('work_orders')
          .values({
            alert_id: null,
            fingerprint: null,
            rule,
            station_id: OWN.station,
            township: OWN.code,
            title: 't',
            description: '',
            severity: 'critical',
            state: fixedAfter === null ? 'in_progress' : 'fixed',
            assignee_id: null,
            created_at: day,
            created_by: null,
            due_at: day + 4 * HOUR,
            fixed_at: fixedAfter === null ? null : day + fixedAfter,
            verified_at: null,
            closed_at: null,
            reopened,
            verification_json: null,
            updated_at: day,
          })
          .execute();
      await wo('dispenser_broken', 3 * HOUR, 0); // in time
      await wo('dispenser_broken', 5 * HOUR, 1); // late
      await wo(null, null, 2); // by hand, still open long past due
      const r = await app.inject({
        url: '/api/v1/reports/response?from=2026-10-01&to=2026-10-31',
        headers: who.manager.headers,
      });
      expect(r.statusCode, r.body).toBe(200);
      const rows = r.json<{ rows: Record<string, unknown>[] }>().rows;
      // The manager sees only the own township.
      expect(rows).toEqual([
        {
          townshipCode: OWN.code,
          township: OWN.name,
          rule: '*',
          alerts: 3,
          acknowledged: 2,
          mttaMs: 15 * MIN,
          resolved: 2,
          mttrMs: 45 * MIN,
          workOrders: 3,
          slaBreaches: 2,
          reopened: 3,
        },
        {
          townshipCode: OWN.code,
          township: OWN.name,
          rule: 'dispenser_broken',
          alerts: 2,
          acknowledged: 2,
          mttaMs: 15 * MIN,
          resolved: 1,
          mttrMs: 60 * MIN,
          workOrders: 2,
          slaBreaches: 1,
          reopened: 1,
        },
        {
          townshipCode: OWN.code,
          township: OWN.name,
          rule: 'serial_link_down',
          alerts: 1,
          acknowledged: 0,
          mttaMs: null,
          resolved: 1,
          mttrMs: 30 * MIN,
          workOrders: 0,
          slaBreaches: 0,
          reopened: 0,
        },
      ]);
      const csv = await app.inject({
        url: '/api/v1/reports/monthly.csv?month=2026-10',
        headers: who.manager.headers,
      });
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.body.startsWith('\uFEFF')).toBe(true);
      const table = parseCsv(csv.body.slice(1));
      expect(table[0]).toEqual([
        '镇街代码',
        '镇街',
        '规则',
        '告警数',
        '已确认',
        '平均确认时长(分钟)',
        '已解除',
        '平均修复时长(分钟)',
        '工单数',
        '超出SLA工单',
        '退回次数',
      ]);
      expect(table.slice(1)).toEqual([
        [OWN.code, OWN.name, '*', '3', '2', '15', '2', '45', '3', '2', '3'],
        [OWN.code, OWN.name, 'dispenser_broken', '2', '2', '15', '1', '60', '2', '1', '1'],
        [OWN.code, OWN.name, 'serial_link_down', '1', '0', '', '1', '30', '0', '0', '0'],
      ]);
      const en = await app.inject({
        url: '/api/v1/reports/monthly.csv?month=2026-10&lang=en',
        headers: who.manager.headers,
      });
      expect(parseCsv(en.body.slice(1))[0]![0]).toBe('township_code');
      expect(
        (
          await app.inject({
            url: `/api/v1/reports/response?township=${OTHER.code}`,
            headers: who.manager.headers,
          })
        ).statusCode,
      ).toBe(403);
    });

    it('counts an SLA breach once, observes acknowledgement and resolve times, and gauges work orders by state', async () => {
      const T = Date.now() - 2 * HOUR;
      const alertId = await breakDispenser(app, OWN.station, T);
      const ack = await post(app, who.crew.headers, `/api/v1/alerts/${alertId}/ack`);
      expect(ack.status).toBe(200);
      const made = await post(app, who.crew.headers, '/api/v1/work-orders', { alertId });
      const breaches = async () =>
        (await app.workOrders.metrics.slaBreaches.get()).values.find(
          (v) => v.labels.township === OWN.code && v.labels.severity === 'critical',
        )?.value ?? 0;
      // The report fixture's late orders are counted at this sweep, before the new one is due.
      await app.workOrders.sweep(made.body.workOrder.dueAt - 1);
      const before = await breaches();
      await app.workOrders.sweep(made.body.workOrder.dueAt + 1);
      await app.workOrders.sweep(made.body.workOrder.dueAt + 2);
      expect(await breaches()).toBe(before + 1);
      feed(app, OWN.station, [heaterFault(T + 30 * MIN, false)]);
      const text = await app.metrics.registry.metrics();
      expect(text).toMatch(
        new RegExp(`yizhan_alert_ack_seconds_count\\{township="${OWN.code}",rule="dispenser_broken"\\} 1\\n`),
      );
      expect(text).toMatch(
        new RegExp(
          `yizhan_alert_resolve_seconds_sum\\{township="${OWN.code}",rule="dispenser_broken"\\} 1800\\n`,
        ),
      );
      expect(text).toMatch(new RegExp(`yizhan_work_orders\\{township="${OWN.code}",state="open"\\} [1-9]`));
      const d = await app.inject({
        url: `/api/v1/work-orders/${made.body.workOrder.id}`,
        headers: who.crew.headers,
      });
      expect(d.json<{ workOrder: { slaBreached: boolean } }>().workOrder.slaBreached).toBe(false);
    });
  });
}
