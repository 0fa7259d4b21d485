/**
 * Planning routes (coverage) under /api/v1/planning. See docs/planning.md.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

const routes: FastifyPluginCallbackTypebox = (_app, _opts, done) => {
  done();
};

export default routes;
