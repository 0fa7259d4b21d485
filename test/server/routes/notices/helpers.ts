/** Notices for the route tests: a request body, and a row written straight to the store. */
import type { FastifyInstance } from 'fastify';
import { insertNotice } from '../../../../server/src/notices/repo.js';
import type { NoticeScope } from '../../../../server/src/routes/notices/schemas.js';

export const HOUR = 3_600_000;

export const noticeBody = (scope: NoticeScope, extra: Record<string, unknown> = {}) => ({
  scope,
  kind: 'weather',
  severity: 'warning',
  title: { 'zh-CN': '暴雨橙色预警', en: 'Orange rainstorm warning' },
  body: { 'zh-CN': '今晚有暴雨，请骑手注意安全，可在驿站避雨。' },
  endsAt: Date.now() + HOUR,
  ...extra,
});

/** A notice row (no audit entry), showing from `startsAt` to `endsAt`; its id. */
export async function addTestNotice(
  app: FastifyInstance,
  scope: NoticeScope,
  over: { title?: string; severity?: 'info' | 'warning' | 'critical'; startsAt?: number; endsAt?: number } = {},
): Promise<number> {
  const now = Date.now();
  const township =
    'township' in scope ? scope.township : 'stationId' in scope ? (app.hierarchy.townshipOf(scope.stationId) ?? null) : null;
  const id = await insertNotice(
    app.ops.db,
    scope,
    township,
    {
      kind: 'event',
      severity: over.severity ?? 'info',
      title: { 'zh-CN': over.title ?? '测试通知', en: null },
      body: { 'zh-CN': '内容', en: null },
      startsAt: over.startsAt ?? now - 1000,
      endsAt: over.endsAt ?? now + HOUR,
    },
    null,
    now,
  );
  await app.notices.changed();
  return id;
}
