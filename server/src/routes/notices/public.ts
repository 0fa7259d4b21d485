/**
 * `GET /api/v1/public/stations/:id/notices`: the notices showing now at one station (its own, its
 * township's, the county's), most severe first, then by start; the same data as the SSE `notice`
 * event. No login. Registered inside the riders' public endpoints (routes/riders/index.ts), so it
 * shares their per-address limit (checked before the path is parsed), their no-store on refusals
 * and their count in `yizhan_rider_requests_total{route="notices"}`. The answer comes from the
 * board in memory (no store read per request) and may be cached for PUBLIC_NOTICES_MAX_AGE_S.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorBody, errorBody, pickLang } from '../../i18n.js';
import { StationNotices } from './schemas.js';

export const PUBLIC_NOTICES_URL = '/api/v1/public/stations/:id/notices';
export const PUBLIC_NOTICES_MAX_AGE_S = 10;

export function publicNoticesRoute(app: FastifyInstance): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    PUBLIC_NOTICES_URL,
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) }),
        response: { 200: StationNotices, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      if (!app.registry.has(req.params.id))
        return reply
          .code(404)
          .send(errorBody('station_not_found', pickLang(req, app.defaultLang), { id: req.params.id }));
      void reply.header('cache-control', `public, max-age=${PUBLIC_NOTICES_MAX_AGE_S}`);
      return app.notices.board.forStation(req.params.id);
    },
  );
}
