/** Pages for people: `/` (station list) and `/screen/:stationId` (the live station screen). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SCREEN_TEXT, pickLang } from '../i18n.js';
import { renderScreen } from '../screen/screen.js';
import { renderIndex, renderNotFound } from '../screen/html.js';

const pages: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const LangQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) });

  app.get('/', { schema: { querystring: LangQuery } }, async (req, reply) => {
    const lang = pickLang(req, app.defaultLang, { useAcceptLanguage: false });
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(renderIndex(app.store.summaries(), lang, SCREEN_TEXT[lang]));
  });

  app.get(
    '/screen/:stationId',
    {
      schema: { params: Type.Object({ stationId: Type.String({ maxLength: 64 }) }), querystring: LangQuery },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang, { useAcceptLanguage: false });
      const live = app.store.live(req.params.stationId);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
      if (!live) return reply.code(404).send(renderNotFound(req.params.stationId, lang, SCREEN_TEXT[lang]));
      return reply.send(renderScreen(live, lang, SCREEN_TEXT[lang]));
    },
  );
  done();
};
export default pages;
