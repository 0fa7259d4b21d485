/**
 * Planning routes (map) under /api/v1/planning: the tile source the web app's map draws on. See
 * docs/planning.md, "Pages and maps".
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { MapTiles } from '../../planning/coverage-schemas.js';
import { NO_TILES } from '../../planning/map-tiles.js';
import { ErrorBody } from '../../i18n.js';

const routes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const tiles = app.serverOptions.mapTiles ?? NO_TILES;
  app.get(
    '/api/v1/planning/map-tiles',
    {
      schema: { response: { 200: MapTiles, 401: ErrorBody, 403: ErrorBody } },
      config: { access: 'planning:read' },
    },
    () => tiles,
  );
  done();
};

export default routes;
