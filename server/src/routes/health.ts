/** `/healthz` (the process is up), `/readyz` (MQTT subscribed and InfluxDB set up), `/metrics`. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

const Ready = Type.Object(
  {
    ready: Type.Boolean(),
    checks: Type.Object(
      {
        mqtt: Type.Boolean({ description: 'Connected to the broker and subscribed' }),
        influx: Type.Boolean({ description: 'Database and retention policy set up (or skipped on 2.x/3.x)' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const health: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/healthz',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } }, logLevel: 'warn' },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    { schema: { response: { 200: Ready, 503: Ready } }, logLevel: 'warn' },
    (_req, reply) => {
      const checks = { mqtt: app.ingest.mqtt.ready, influx: app.influx.setupDone };
      const ready = checks.mqtt && checks.influx;
      void reply.code(ready ? 200 : 503).send({ ready, checks });
    },
  );
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    const body = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(body);
  });
  done();
};
export default health;
