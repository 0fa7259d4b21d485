/**
 * `GET /api/v1/events[?station=st-001,st-002]`: Server-Sent Events of live changes.
 *
 *   event: station   data: StationLive    (on connect for each matching station, then on every change)
 *   event: alert     data: Alert          (fire and resolve)
 *   : ping           every heartbeat interval (15 s), keeps proxies from closing the stream
 *
 * Each client has a bounded send buffer: one that reads too slowly (more than maxBufferBytes
 * unsent) is disconnected and counted in `yizhan_sse_clients_dropped_total`; EventSource
 * reconnects by itself and gets a fresh snapshot.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import { ErrorBody, errorBody, pickLang } from '../i18n.js';
import type { StationLive } from '../state/schema.js';
import type { Alert } from '../alerts/types.js';
import { DEFAULT_SSE_HEARTBEAT_MS, DEFAULT_SSE_MAX_BUFFER_BYTES } from '../options.js';

/** Tells EventSource how long to wait before reconnecting, ms. */
export const SSE_RETRY_MS = 2000;

const events: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const heartbeatMs = app.serverOptions.sse?.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const maxBuffer = app.serverOptions.sse?.maxBufferBytes ?? DEFAULT_SSE_MAX_BUFFER_BYTES;
  const clients = new Set<ServerResponse>();

  app.addHook('preClose', (hookDone) => {
    // End each stream and its connection (a keep-alive socket would hold close() up).
    for (const res of clients) res.end(() => res.socket?.destroy());
    clients.clear();
    hookDone();
  });

  app.get(
    '/api/v1/events',
    {
      schema: {
        querystring: Type.Object({
          station: Type.Optional(
            Type.String({ maxLength: 2000, description: 'Comma-separated station ids; all when absent' }),
          ),
          lang: Type.Optional(Type.String({ maxLength: 8 })),
        }),
        response: { 404: ErrorBody },
      },
    },
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
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      clients.add(res);
      app.metrics.sseClients.set(clients.size);
      let closed = false;
      let primed = false; // the first snapshot may exceed the limit; the limit is for falling behind

      const send = (chunk: string): void => {
        if (closed) return;
        if (primed && res.writableLength > maxBuffer) {
          app.metrics.sseDropped.inc();
          req.log.warn({ unsent: res.writableLength, limit: maxBuffer }, 'SSE client too slow; disconnected');
          cleanup();
          res.destroy();
          return;
        }
        res.write(chunk);
      };
      const onStation = (s: StationLive): void => {
        if (!filter || filter.has(s.id)) send(`event: station\ndata: ${JSON.stringify(s)}\n\n`);
      };
      const onAlert = (a: Alert): void => {
        if (!filter || filter.has(a.stationId)) send(`event: alert\ndata: ${JSON.stringify(a)}\n\n`);
      };
      const heartbeat = setInterval(() => send(`: ping ${Date.now()}\n\n`), heartbeatMs);
      function cleanup(): void {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        app.store.off('change', onStation);
        app.alerts.off('alert', onAlert);
        clients.delete(res);
        app.metrics.sseClients.set(clients.size);
        // The client went away: release the socket too (a half-closed one would hold close() up).
        if (!res.destroyed) res.destroy();
      }
      res.on('close', cleanup);
      res.on('error', cleanup);

      send(`retry: ${SSE_RETRY_MS}\n\n`);
      for (const id of filter ?? app.registry.all().map((e) => e.config.id)) {
        const s = app.store.live(id);
        if (s) onStation(s);
      }
      primed = true;
      app.store.on('change', onStation);
      app.alerts.on('alert', onAlert);
    },
  );
  done();
};
export default events;
