/**
 * The legacy alert webhook (YIZHAN_ALERT_WEBHOOK_URL) against a real HTTP receiver, delivered as
 * the outbox channel `alert-webhook`: the JSON body it always had, a 503 and a timeout retried
 * until delivered with every attempt recorded, a 400 given up at once, the fire before its
 * resolve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../../server/src/alerts/types.js';
import type { WebhookBody } from '../../../server/src/alerts/webhook.js';
import { firingAlert } from '../../helpers/alert.js';
import { metric } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { alertsApp } from './alerts-app.js';

let server: Server;
let url: string;
/** What the receiver answers next (status, or 'hang'); default 200. */
const plan: (number | 'hang')[] = [];
const received: WebhookBody[] = [];
let app: FastifyInstance;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const next = plan.shift() ?? 200;
      if (next === 'hang') return; // never answers
      if (next < 300) received.push(JSON.parse(body) as WebhookBody);
      res.writeHead(next).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
  app = await alertsApp({
    alerts: { webhook: { url, timeoutMs: 500 } },
    notify: { outbox: { backoff: { initialMs: 20, maxMs: 50, jitter: 0 } } },
  });
});
afterAll(async () => {
  await app?.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function attempts(alertId: string) {
  return app.ops.db
    .selectFrom('outbox_attempts')
    .innerJoin('outbox', 'outbox.id', 'outbox_attempts.outbox_id')
    .select(['outbox.dedupe_key', 'outbox.state', 'outbox_attempts.ok'])
    .where('outbox.dedupe_key', 'like', `${alertId}:%`)
    .orderBy('outbox_attempts.id')
    .execute();
}

const sent = async (): Promise<number | undefined> =>
  metric(await app.metrics.registry.metrics(), 'yizhan_outbox_sent_total', { channel: 'alert-webhook' });

describe('legacy alert webhook through the outbox', () => {
  it('retries a 503 and a timeout until delivered, records each attempt; the resolve follows', async () => {
    plan.length = received.length = 0;
    plan.push(503, 'hang');
    const a: Alert = firingAlert('st-001', { startMs: Date.now() });
    app.alertRepo.record(a);
    await waitFor('the fire delivered', () => received.length === 1, 10_000);
    expect(received[0]).toMatchObject({
      version: '1',
      status: 'firing',
      receiver: 'yizhan',
      groupKey: a.fingerprint,
      alert: {
        id: a.id,
        labels: { alertname: a.rule, station: 'st-001', severity: a.severity },
        annotations: { summary: a.message['zh-CN'], summary_en: a.message.en },
      },
    });
    await waitFor('its attempts recorded', async () => (await attempts(a.id)).length === 3);
    expect((await attempts(a.id)).map((x) => x.ok)).toEqual([0, 0, 1]);

    app.alertRepo.record({
      ...a,
      status: 'resolved',
      endsAt: new Date(Date.now() + 1000).toISOString(),
      resolvedMessage: { 'zh-CN': '热水器恢复', en: 'heater back' },
    });
    await waitFor('the resolve delivered', () => received.length === 2, 10_000);
    expect(received.map((r) => [r.alert.id, r.status])).toEqual([
      [a.id, 'firing'],
      [a.id, 'resolved'],
    ]);
    expect(received[1]!.alert.annotations).toMatchObject({ resolved: '热水器恢复', resolved_en: 'heater back' });
    await waitFor('both counted as sent', async () => (await sent()) === 2);
  });

  it('gives up at once on a 400: failed for good after one attempt, not retried', async () => {
    plan.length = received.length = 0;
    plan.push(400);
    const a: Alert = firingAlert('st-002', { startMs: Date.now() });
    app.alertRepo.record(a);
    // 'failed' is final: the outbox never claims the item again.
    await waitFor('the item failed', async () => (await attempts(a.id))[0]?.state === 'failed', 10_000);
    expect((await attempts(a.id)).map((x) => x.ok)).toEqual([0]);
    expect(received).toEqual([]);
  });
});
