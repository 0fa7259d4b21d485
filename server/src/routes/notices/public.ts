/**
 * `GET /api/v1/public/stations/:id/notices`: the notices showing now at one station (its own, its
 * township's, the county's), most severe first, then by start; the same data as the SSE `notice`
 * event. No login. Each address gets a bucket of PUBLIC_PER_MINUTE requests, taken before the path
 * is even validated; a refusal is a 429 with Retry-After, counted in
 * `yizhan_notices_public_refused_total{reason}`. The answer comes from the board in memory (no
 * store read per request) and may be cached by browsers and proxies for PUBLIC_MAX_AGE_S.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Counter } from 'prom-client';
import { RateLimiter } from '../../auth/rate-limit.js';
import { ErrorBody, errorBody, errorTable, pickLang } from '../../i18n.js';
import { StationNotices } from './schemas.js';

export const PUBLIC_PER_MINUTE = 60;
export const PUBLIC_MAX_AGE_S = 10;

const publicError = errorTable({
  rate_limited: {
    'zh-CN': '请求过于频繁（每个地址每分钟最多 {limit} 次），请 {seconds} 秒后再试',
    en: 'Too many requests (at most {limit} a minute per address); try again in {seconds} s',
  },
});

const publicNotices: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const limiter = new RateLimiter({ capacity: PUBLIC_PER_MINUTE, perMs: 60_000, maxKeys: 10_000 });
  const refused = new Counter({
    name: 'yizhan_notices_public_refused_total',
    help: 'Public notice reads refused, by reason: rate_limited (per address), station_not_found',
    labelNames: ['reason'] as const,
    registers: [app.metrics.registry],
  });

  /** Before any parsing: a flood from one address costs a map lookup per request. */
  function limit(req: FastifyRequest, reply: FastifyReply, hookDone: () => void): void {
    const t = limiter.take(req.ip);
    if (t.ok) return hookDone();
    refused.inc({ reason: 'rate_limited' });
    const seconds = String(Math.ceil(t.retryAfterMs / 1000));
    void reply
      .code(429)
      .header('retry-after', seconds)
      .send(publicError('rate_limited', pickLang(req, app.defaultLang), { limit: String(PUBLIC_PER_MINUTE), seconds }));
  }

  app.get(
    '/api/v1/public/stations/:id/notices',
    {
      onRequest: limit,
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) }),
        response: { 200: StationNotices, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      if (!app.registry.has(req.params.id)) {
        refused.inc({ reason: 'station_not_found' });
        return reply
          .code(404)
          .send(errorBody('station_not_found', pickLang(req, app.defaultLang), { id: req.params.id }));
      }
      void reply.header('cache-control', `public, max-age=${PUBLIC_MAX_AGE_S}`);
      return app.notices.board.forStation(req.params.id);
    },
  );
  done();
};
export default publicNotices;
