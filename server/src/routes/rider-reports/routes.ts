import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

const riderReportRoutes: FastifyPluginCallbackTypebox = (_app, _opts, done) => {
  done();
};
export default riderReportRoutes;
