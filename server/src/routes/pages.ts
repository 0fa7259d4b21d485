/**
 * Pages for people: `/` (station list), `/screen/:stationId` (the live station screen) and the
 * pages' web font under `/assets/fonts/` (content-hashed names, cached for a year). The screen asks
 * the riders' nearest-stations API for its neighbours with free sockets, and its QR code leads to
 * the phone page under the server's public address (`screen.publicUrl`, YIZHAN_PUBLIC_URL), or
 * under the address the screen was opened at when that is not set.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SCREEN_TEXT, errorBody, pickLang } from '../i18n.js';
import { renderScreen } from '@yizhan/screen/page';
import { renderIndex, renderNotFound } from '@yizhan/screen/html';
import { FONT_URL_PREFIX, loadPageFonts } from '@yizhan/screen/font';
import { stationGlyphGaps } from '@yizhan/screen/glyphs';
import { woff2CodePoints } from '@yizhan/screen/woff2';
import { DEFAULT_NEARBY_STALE_MS, nearbyPath, nearbyPollMs } from '@yizhan/screen/nearby';
import { phonePageUrl } from '@yizhan/screen/qr';
import { DEFAULT_SSE_HEARTBEAT_MS } from '../options.js';

const pages: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const LangQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) });
  const heartbeatMs = app.serverOptions.sse?.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const fonts = loadPageFonts((path, err) =>
    app.log.warn({ path, err }, 'web font missing: pages use system fonts (run npm run font:subset)'),
  );

  const [font] = fonts.fonts;
  if (font) {
    // A station added without `npm run font:subset`: on a kiosk without CJK fonts its name would be blank.
    try {
      // One line for the fleet: 10,000 stations named 压测N号 would otherwise log 10,000 lines.
      const gaps = [...stationGlyphGaps(app.registry.all(), woff2CodePoints(font.data))];
      if (gaps.length)
        app.log.warn(
          {
            stations: gaps.length,
            missing: [...new Set(gaps.flatMap((g) => [...g.missing]))].join(''),
            examples: gaps.slice(0, 10).map((g) => g.station),
          },
          'station text has characters the web font lacks; run npm run font:subset (kiosks without CJK fonts show them blank)',
        );
    } catch (err) {
      app.log.warn({ err, font: font.name }, 'web font unreadable: its characters were not checked');
    }
  }

  app.get('/', { schema: { querystring: LangQuery }, config: { access: 'public' } }, async (req, reply) => {
    const lang = pickLang(req, app.defaultLang, { useAcceptLanguage: false });
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(renderIndex(app.store.summaries(), lang, SCREEN_TEXT[lang], fonts.css));
  });

  app.get(
    '/screen/:stationId',
    {
      schema: { params: Type.Object({ stationId: Type.String({ maxLength: 64 }) }), querystring: LangQuery },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang, { useAcceptLanguage: false });
      const live = app.store.live(req.params.stationId);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
      if (!live)
        return reply.code(404).send(renderNotFound(req.params.stationId, lang, SCREEN_TEXT[lang], fonts.css));
      const base = app.serverOptions.screen?.publicUrl ?? `${req.protocol}://${req.host}`;
      return reply.send(
        renderScreen(live, lang, SCREEN_TEXT[lang], {
          heartbeatMs,
          fontCss: fonts.css,
          now: Date.now(),
          notices: app.notices.board.forStation(live.id).notices,
          nearby: {
            url: nearbyPath(live.id, lang),
            staleMs: DEFAULT_NEARBY_STALE_MS,
            pollMs: nearbyPollMs(DEFAULT_NEARBY_STALE_MS),
          },
          qrUrl: phonePageUrl(base, live.id),
        }),
      );
    },
  );

  app.get(
    `${FONT_URL_PREFIX}:file`,
    {
      schema: { params: Type.Object({ file: Type.String({ maxLength: 128 }) }) },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const font = fonts.byName.get(req.params.file);
      if (!font)
        return reply
          .code(404)
          .send(errorBody('not_found', pickLang(req, app.defaultLang), { method: 'GET', url: req.url }));
      return reply
        .type('font/woff2')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(font.data);
    },
  );
  done();
};
export default pages;
