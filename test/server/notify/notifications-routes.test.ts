/**
 * The outbox admin view: a county admin lists what was given up, with its attempts, and sends it
 * again (back to pending, audited); an item that is not failed or dead cannot be retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { addTestNotification, startFullApp, userWithSession } from '../full-app.js';

let app: FastifyInstance;
let headers: Record<string, string>;

beforeAll(async () => {
  app = await startFullApp();
  headers = (await userWithSession(app, [{ role: 'county_admin', scope: 'county' }])).headers;
});
afterAll(() => app?.close());

interface Item {
  id: number;
  state: string;
  title: string;
  lastError: string | null;
  tries: { ok: boolean; code: string | null }[];
}

describe('GET /api/v1/notifications, POST /api/v1/notifications/:id/retry', () => {
  it('lists failed items with their attempts; retry makes one pending again and audits it', async () => {
    const id = await addTestNotification(app);
    await app.ops.db
      .insertInto('outbox_attempts')
      .values({
        outbox_id: id,
        at: Date.now(),
        ok: 0,
        code: '93000',
        detail: 'wecom 93000: invalid webhook url',
        duration_ms: 12,
      })
      .execute();
    const list = await app.inject({ url: '/api/v1/notifications?state=failed&channel=cg-wecom', headers });
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json<{ notifications: Item[] }>().notifications;
    expect(items.find((n) => n.id === id)).toMatchObject({
      state: 'failed',
      title: '【严重】测试',
      lastError: '93000: invalid webhook url',
      tries: [{ ok: false, code: '93000' }],
    });

    const retry = await app.inject({ method: 'POST', url: `/api/v1/notifications/${id}/retry`, headers });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json<{ notification: Item }>().notification.state).toBe('pending');
    const audit = await app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'target', 'before_json', 'after_json'])
      .where('target', '=', `notification:${id}`)
      .execute();
    expect(audit).toEqual([
      {
        action: 'notification.retry',
        target: `notification:${id}`,
        before_json: '{"state":"failed"}',
        after_json: '{"state":"pending"}',
      },
    ]);

    const again = await app.inject({ method: 'POST', url: `/api/v1/notifications/${id}/retry`, headers });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('notification_not_retryable');
    const missing = await app.inject({ method: 'POST', url: '/api/v1/notifications/999999/retry', headers });
    expect(missing.statusCode).toBe(404);
  });
});
