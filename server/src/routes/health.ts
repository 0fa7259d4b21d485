/**
 * `/healthz` (the process is up; answers from memory), `/readyz` (MQTT subscribed, and InfluxDB set
 * up and taking writes: 503 from the first write request that fails for a reason a retry may fix
 * until one succeeds again; the writer probes a down InfluxDB with backoff up to 5 s), `/metrics`
 * (clients on this host, or a token with metrics:read).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';

const Ready = Type.Object(
  {
    ready: Type.Boolean(),
    checks: Type.Object(
      {
        mqtt: Type.Boolean({ description: 'Connected to the broker and subscribed' }),
        influx: Type.Boolean({
          description:
            'Database and retention policy set up (or skipped on 2.x/3.x), and the last write request did not fail',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const health: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/healthz',
    {
      schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
      logLevel: 'warn',
      config: { access: 'public' },
    },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    { schema: { response: { 200: Ready, 503: Ready } }, logLevel: 'warn', config: { access: 'public' } },
    (_req, reply) => {
      const checks = {
        mqtt: app.ingest.mqtt.ready,
        influx: app.influx.setupDone && !app.influx.writer.influxDown,
      };
      const ready = checks.mqtt && checks.influx;
      void reply.code(ready ? 200 : 503).send({ ready, checks });
    },
  );
  // Prometheus on this host scrapes without credentials; from elsewhere with a personal token
  // holding metrics:read (docs/operations.md "What is public").
  app.get(
    '/metrics',
    { logLevel: 'warn', config: { access: { permission: 'metrics:read', orLoopback: true } } },
    async (_req, reply) => {
      const body = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(body);
    },
  );
  done();
};
export default health;
