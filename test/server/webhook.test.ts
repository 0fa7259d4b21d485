/**
 * The alert webhook against a real HTTP receiver: retries 5xx and timeouts with backoff, gives up
 * on 4xx, drops beyond the queue bound and at shutdown, every case counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { WebhookNotifier } from '../../server/src/alerts/webhook.js';
import { createMetrics } from '../../server/src/metrics.js';
import type { Alert } from '../../server/src/alerts/types.js';
import { metric, waitFor } from './helpers.js';

const log = pino({ level: 'silent' });
let server: Server;
let url: string;
/** What the receiver answers next (status, or 'hang'); default 200. */
const plan: (number | 'hang')[] = [];
const received: { status: string; alert: { id: string } }[] = [];

function alert(id: string, status: 'firing' | 'resolved' = 'firing'): Alert {
  return {
    id,
    fingerprint: `dispenser_broken/st-001`,
    rule: 'dispenser_broken',
    stationId: 'st-001',
    stationName: '测试',
    township: '城关镇',
    severity: 'critical',
    status,
    startsAt: new Date(0).toISOString(),
    endsAt: null,
    message: { 'zh-CN': '饮水机故障', en: 'dispenser broken' },
    resolvedMessage: null,
    evidence: {},
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const next = plan.shift() ?? 200;
      if (next === 'hang') return; // never answers
      if (next < 300) received.push(JSON.parse(body) as (typeof received)[number]);
      res.writeHead(next).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('WebhookNotifier', () => {
  it('retries 503 and a timeout, then delivers; order is kept', async () => {
    plan.length = received.length = 0;
    plan.push(503, 'hang', 200, 200);
    const metrics = createMetrics({ defaultMetrics: false });
    const w = new WebhookNotifier({ url, timeoutMs: 1000, minBackoffMs: 20 }, metrics, log);
    w.enqueue(alert('a1'));
    w.enqueue(alert('a1', 'resolved'));
    await waitFor(
      'both delivered',
      async () => metric(await metrics.registry.metrics(), 'yizhan_alert_webhook_sent_total') === 2,
    );
    expect(received.map((r) => [r.alert.id, r.status])).toEqual([
      ['a1', 'firing'],
      ['a1', 'resolved'],
    ]);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_alert_webhook_sent_total')).toBe(2);
    expect(metric(text, 'yizhan_alert_webhook_failed_total')).toBe(2);
    await w.close(100);
  });

  it('gives up at once on a 400 and after maxAttempts on 500s', async () => {
    plan.length = received.length = 0;
    plan.push(400, 500, 500);
    const metrics = createMetrics({ defaultMetrics: false });
    const w = new WebhookNotifier({ url, minBackoffMs: 10, maxAttempts: 2 }, metrics, log);
    w.enqueue(alert('bad-request'));
    w.enqueue(alert('server-down'));
    await waitFor(
      'both given up',
      async () =>
        metric(await metrics.registry.metrics(), 'yizhan_alert_webhook_dropped_total', {
          reason: 'gave_up',
        }) === 2,
    );
    expect(received).toEqual([]);
    expect(metric(await metrics.registry.metrics(), 'yizhan_alert_webhook_failed_total')).toBe(3);
    await w.close(100);
  });

  it('drops beyond the queue bound, and what is unsent at shutdown; both counted', async () => {
    plan.length = received.length = 0;
    plan.push('hang');
    const metrics = createMetrics({ defaultMetrics: false });
    const w = new WebhookNotifier({ url, timeoutMs: 5000, queueSize: 2 }, metrics, log);
    w.enqueue(alert('q1'));
    w.enqueue(alert('q2'));
    w.enqueue(alert('q3'));
    let text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_alert_webhook_dropped_total', { reason: 'queue_full' })).toBe(1);
    expect(metric(text, 'yizhan_alert_webhook_queue_depth')).toBe(2);
    await w.close(100);
    text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_alert_webhook_dropped_total', { reason: 'shutdown' })).toBe(2);
    expect(metric(text, 'yizhan_alert_webhook_queue_depth')).toBe(0);
    w.enqueue(alert('late'));
    expect(
      metric(await metrics.registry.metrics(), 'yizhan_alert_webhook_dropped_total', { reason: 'shutdown' }),
    ).toBe(3);
  });
});
