/**
 * Ingest plugin: the MQTT subscription and the Ingestor that checks each message and feeds live
 * state, the InfluxDB writer and the alert engine; each PUBACK waits for the writer's spool to make
 * the message's lines durable (AckGate). Connects on onReady; disconnects first at
 * shutdown, so nothing arrives while the writer flushes.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Ingestor } from '../ingest/ingest.js';
import { MqttIngest } from '../ingest/mqtt.js';
import { AckGate } from '../ingest/ack-gate.js';
import { DEFAULT_RETENTION_MS } from '../options.js';
import { PlanningDeriver } from '../planning/derive.js';
import { DEFAULT_TIMEZONE } from '../alerts/silences.js';

declare module 'fastify' {
  interface FastifyInstance {
    ingest: { ingestor: Ingestor; mqtt: MqttIngest };
  }
}

export default fp(
  function ingest(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const opts = app.serverOptions;
    const log = app.log.child({ component: 'ingest' });
    const ingestor = new Ingestor(
      {
        registry: app.registry,
        store: app.store,
        sink: app.influx.writer,
        listener: app.alerts,
        metrics: app.metrics,
        log,
        deadLetter: app.influx.deadLetter,
        lineLog: app.influx.writer,
        derive: new PlanningDeriver(opts.timeZone ?? DEFAULT_TIMEZONE),
      },
      { maxAgeMs: opts.influx.retentionMs ?? DEFAULT_RETENTION_MS, ...opts.ingest },
    );
    const writer = app.influx.writer;
    const gate = new AckGate(writer, app.metrics);
    writer.onDurable((offset, ok) => gate.release(offset, ok));
    const mqtt = new MqttIngest(
      opts.mqtt,
      (topic, payload) => ingestor.handle(topic, payload),
      app.metrics,
      log,
      gate,
    );
    app.decorate('ingest', { ingestor, mqtt });
    app.metrics.mqttConnected.set(0);
    app.addHook('onReady', (hookDone) => {
      mqtt.start();
      hookDone();
    });
    app.shutdown.add(10, 'mqtt', () => mqtt.stop());
    done();
  },
  { name: 'yizhan-ingest', dependencies: ['yizhan-core', 'yizhan-influx', 'yizhan-alerts'] },
);
