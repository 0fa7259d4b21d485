/** JSON API: stations (list and one); alerts are routes/alerts/. Errors are `{ error: { code, message } }`. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { StationLive, StationSummary } from '../state/schema.js';
import { ErrorBody, errorBody, pickLang } from '../i18n.js';

const Lang = Type.Optional(Type.String({ maxLength: 8, description: 'zh-CN (default) or en' }));

const api: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/api/v1/stations',
    {
      schema: {
        querystring: Type.Object({ lang: Lang }),
        response: {
          200: Type.Object({ stations: Type.Array(StationSummary) }, { additionalProperties: false }),
        },
      },
      config: { access: 'public' },
    },
    () => ({ stations: app.store.summaries() }),
  );

  app.get(
    '/api/v1/stations/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ lang: Lang }),
        response: { 200: StationLive, 404: ErrorBody },
      },
      config: { access: 'public' },
    },
    (req, reply) => {
      const live = app.store.live(req.params.id);
      if (live) return live;
      void reply
        .code(404)
        .send(errorBody('station_not_found', pickLang(req, app.defaultLang), { id: req.params.id }));
    },
  );

  done();
};
export default api;
