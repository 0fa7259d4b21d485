/**
 * `GET /api/v1/events[?station=st-001,st-002]`: Server-Sent Events of live changes.
 *
 *   event: station    data: StationLive  (on connect for each matching station, then on every change)
 *   event: alert      data: Alert        (fire and resolve)
 *   event: heartbeat  data: server time, Unix ms (every heartbeat interval, 15 s): keeps proxies
 *                     from closing the stream and lets a page see that the server still speaks
 *
 * Each change is encoded once for all its clients (sse-hub.ts). Each client has a bounded send
 * buffer (sse-stream.ts): one that reads too slowly (more than maxBufferBytes unsent) is disconnected and counted in `yizhan_sse_clients_dropped_total`; EventSource
 * reconnects by itself and gets a fresh snapshot.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import { ErrorBody, errorBody, pickLang } from '../i18n.js';
import type { StationLive } from '../state/schema.js';
import type { Alert } from '../alerts/types.js';
import { DEFAULT_SSE_HEARTBEAT_MS, DEFAULT_SSE_MAX_BUFFER_BYTES } from '../options.js';
import { SseHub, sseFrame } from './sse-hub.js';
import { openSseStream } from './sse-stream.js';
import { HoursTimer } from '../state/hours-timer.js';

const EventsQuery = Type.Object({
  station: Type.Optional(
    Type.String({ maxLength: 2000, description: 'Comma-separated station ids; all when absent' }),
  ),
  lang: Type.Optional(Type.String({ maxLength: 8 })),
});

const events: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const heartbeatMs = app.serverOptions.sse?.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const maxBuffer = app.serverOptions.sse?.maxBufferBytes ?? DEFAULT_SSE_MAX_BUFFER_BYTES;
  const hub = new SseHub();
  const streams = new Set<ServerResponse>();

  const onStation = (s: StationLive): void => hub.toStation(s.id, () => sseFrame('station', s));
  const onAlert = (a: Alert): void => hub.toStation(a.stationId, () => sseFrame('alert', a));
  // Opening and closing times change what a screen shows without any message from the station.
  const hours = new HoursTimer(app.registry, (id) => app.store.touch(id));
  const heartbeat = setInterval(() => hub.toAll(sseFrame('heartbeat', Date.now())), heartbeatMs);
  heartbeat.unref();

  /** Listen to the store only while somebody watches: deriving a full view per message costs. */
  function attach(): void {
    if (hub.size !== 1) return;
    app.store.on('change', onStation);
    app.alerts.on('alert', onAlert);
    hours.start();
  }
  function detach(): void {
    if (hub.size !== 0) return;
    app.store.off('change', onStation);
    app.alerts.off('alert', onAlert);
    hours.stop();
  }

  app.addHook('preClose', (hookDone) => {
    clearInterval(heartbeat);
    hours.stop();
    // End each stream and its connection (a keep-alive socket would hold close() up).
    for (const res of streams) res.end(() => res.socket?.destroy());
    streams.clear();
    hookDone();
  });

  app.get(
    '/api/v1/events',
    { schema: { querystring: EventsQuery, response: { 404: ErrorBody } }, config: { access: 'public' } },
    (req, reply) => {
      const ids = req.query.station
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = ids?.find((id) => !app.registry.has(id));
      if (unknown !== undefined) {
        void reply
          .code(404)
          .send(errorBody('station_not_found', pickLang(req, app.defaultLang), { id: unknown }));
        return;
      }
      const filter = ids?.length ? new Set(ids) : undefined;

      reply.hijack();
      const res = reply.raw;
      const stream = openSseStream({
        res,
        log: req.log,
        maxBufferBytes: maxBuffer,
        onTooSlow: () => app.metrics.sseDropped.inc(),
        onEnd: (sink) => {
          streams.delete(res);
          hub.remove(sink, filter);
          detach();
          app.metrics.sseClients.set(hub.size);
        },
      });
      for (const id of filter ?? app.registry.all().map((e) => e.config.id)) {
        const s = app.store.live(id);
        if (s) stream.sink.send(sseFrame('station', s));
      }
      stream.prime();
      streams.add(res);
      hub.add(stream.sink, filter);
      attach();
      app.metrics.sseClients.set(hub.size);
    },
  );
  done();
};
export default events;
