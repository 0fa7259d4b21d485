/**
 * Config API plugin: `app.desiredConfigs`, the desired station configs and their broker
 * connection (opened by the first request of the config routes, closed with the server).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { DesiredConfigs } from '../config-api/desired.js';

declare module 'fastify' {
  interface FastifyInstance {
    desiredConfigs: DesiredConfigs;
  }
}

export default fp(
  function configApi(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const desired = new DesiredConfigs(app.serverOptions.mqtt, app.log.child({ component: 'config-api' }));
    app.decorate('desiredConfigs', desired);
    app.addHook('onClose', () => desired.close());
    done();
  },
  { name: 'yizhan-config-api', dependencies: ['yizhan-core'] },
);
