/**
 * `GET /api/v1/events[?station=st-001,st-002]`: Server-Sent Events of live changes.
 *
 *   event: station    data: StationLive  (on connect for each matching station, then on every change)
 *   event: alert      data: Alert        (fire and resolve)
 *   event: alert-changed  data: StoredAlert (routes/alerts/schemas.ts) after a person changed it:
 *                     acknowledge, withdraw, comment, assign, close; a crew page updates in place
 *   event: work-order     data: WorkOrder (every change, also by the sensor verifier)
 *   event: notice     data: StationNotices (routes/notices/schemas.ts): the station's notices showing
 *                     now, on connect (for every asked station; unfiltered: those with notices) and
 *                     whenever one starts, changes or ends (notices/board.ts); public like `station`
 *   event: heartbeat  data: server time, Unix ms (every heartbeat interval, 15 s): keeps proxies
 *                     from closing the stream and lets a page see that the server still speaks
 *
 * Each change is encoded once for all its clients (sse-hub.ts). Each client has a bounded send
 * buffer (sse-stream.ts): one that reads too slowly (more than maxBufferBytes unsent) is disconnected and counted in `yizhan_sse_clients_dropped_total`; EventSource
 * reconnects by itself and gets a fresh snapshot.
 *
 * The stream is public (a station screen shows the same), but `alert`, `alert-changed` and `work-order` events go
 * only to a logged-in principal with station:read, and only for stations of its townships (an
 * outage incident, which has no station, only to streams without a station filter: a county-wide
 * one only to county readers) (session or
 * token; looked up again at every heartbeat, sse-logins.ts). One address holds at most maxPerAddress streams at once;
 * more are refused with 429 `too_many_streams`, counted in `yizhan_sse_refused_total`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorBody, errorBody, pickLang } from '../i18n.js';
import type { StationLive } from '../state/schema.js';
import type { Alert } from '../alerts/types.js';
import type { StoredAlert } from '../alerts/repo.js';
import type { WorkOrder } from './work-orders/schemas.js';
import {
  DEFAULT_SSE_HEARTBEAT_MS,
  DEFAULT_SSE_MAX_BUFFER_BYTES,
  DEFAULT_SSE_MAX_PER_ADDRESS,
} from '../options.js';
import { SseHub, sseFrame, type SseSink } from './sse-hub.js';
import { StreamLogins, alertAudience } from './sse-logins.js';
import { identify } from '../plugins/auth.js';
import { openSseStream } from './sse-stream.js';
import { HoursTimer } from '../state/hours-timer.js';
import type { StationRegistry } from '../registry.js';

const EventsQuery = Type.Object({
  station: Type.Optional(
    Type.String({ maxLength: 2000, description: 'Comma-separated station ids; all when absent' }),
  ),
  lang: Type.Optional(Type.String({ maxLength: 8 })),
});

/** Open streams per client address, at most `max` each. */
export class AddressQuota {
  private readonly open = new Map<string, number>();
  constructor(readonly max: number) {}
  /** Takes a place for the address; false when it holds `max` already. */
  take(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }
  release(address: string): void {
    const left = (this.open.get(address) ?? 1) - 1;
    if (left > 0) this.open.set(address, left);
    else this.open.delete(address);
  }
}

/** The stations a client asked for (undefined: all), or the first id that is no station. */
function stationFilter(
  registry: StationRegistry,
  station: string | undefined,
): { filter: Set<string> | undefined } | { unknown: string } {
  const ids = station
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids?.find((id) => !registry.has(id));
  if (unknown !== undefined) return { unknown };
  return { filter: ids?.length ? new Set(ids) : undefined };
}

/** The current state of every station the client watches, before any change. */
function sendSnapshot(app: FastifyInstance, filter: Set<string> | undefined, sink: SseSink): void {
  for (const id of filter ?? app.registry.all().map((e) => e.config.id)) {
    const s = app.store.live(id);
    if (s) sink.send(sseFrame('station', s));
  }
  sendNoticeSnapshot(app, filter, sink);
}

/** The notices showing at each watched station: all asked stations (an empty list clears a screen), or those with notices. */
function sendNoticeSnapshot(app: FastifyInstance, filter: Set<string> | undefined, sink: SseSink): void {
  if (!app.hasDecorator('notices')) return;
  for (const id of filter ?? app.registry.all().map((e) => e.config.id)) {
    const n = app.notices.board.forStation(id);
    if (filter || n.notices.length) sink.send(sseFrame('notice', n));
  }
}

/** A notice that starts, changes or ends: each station it covers gets its new list (built only if watched). */
function relayNotices(app: FastifyInstance, hub: SseHub): void {
  if (!app.hasDecorator('notices')) return;
  const board = app.notices.board;
  const onChange = (stations: ReadonlySet<string>): void => {
    for (const id of stations) hub.toStation(id, () => sseFrame('notice', board.forStation(id)));
  };
  board.on('change', onChange);
  app.addHook('onClose', (_i, hookDone) => {
    board.off('change', onChange);
    hookDone();
  });
}

/** Every interval: a heartbeat to every client, and the logged-in streams' logins looked up again. */
function startHeartbeat(hub: SseHub, logins: StreamLogins, ms: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    hub.toAll(sseFrame('heartbeat', Date.now()));
    void logins.check();
  }, ms);
  timer.unref();
  return timer;
}

/** 429: the address holds `limit` streams already (counted; the client retries later). */
function tooMany(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, limit: number): void {
  app.metrics.sseRefused.inc({ reason: 'per_address' });
  req.log.warn({ address: req.ip }, 'SSE stream refused: too many from one address');
  const body = errorBody('too_many_streams', pickLang(req, app.defaultLang), { limit });
  void reply.code(429).header('retry-after', '30').send(body);
}

/**
 * A person's change of an alert to its watchers (`alert-changed`, restricted like `alert`). Always
 * listening: the alert is already built and toStation skips a station nobody watches.
 */
function relayAlertChanges(app: FastifyInstance, hub: SseHub): void {
  const stop = app.alertRepo.onChanged((a: StoredAlert) =>
    hub.toStation(a.stationId, () => sseFrame('alert-changed', a), { township: a.townshipCode }),
  );
  app.addHook('onClose', (_i, hookDone) => {
    stop();
    hookDone();
  });
}

/** What people change in the store and screens or crews follow: alerts and notices. */
function relayPeoplesChanges(app: FastifyInstance, hub: SseHub): void {
  relayAlertChanges(app, hub);
  relayNotices(app, hub);
}

/** A work order's changes go to the logged-in readers of its township who watch its station. */
function workOrderListener(hub: SseHub): (w: WorkOrder) => void {
  return (w) => hub.toStation(w.stationId, () => sseFrame('work-order', w), { township: w.townshipCode });
}

const events: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const o = app.serverOptions.sse;
  const heartbeatMs = o?.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const maxBuffer = o?.maxBufferBytes ?? DEFAULT_SSE_MAX_BUFFER_BYTES;
  const quota = new AddressQuota(o?.maxPerAddress ?? DEFAULT_SSE_MAX_PER_ADDRESS); // by req.ip
  const hub = new SseHub();
  const streams = new Set<ServerResponse>();

  const onStation = (s: StationLive): void => hub.toStation(s.id, () => sseFrame('station', s));
  const onAlert = (a: Alert): void => {
    const onlyFor = { township: app.hierarchy.townshipOf(a.stationId) ?? '' };
    hub.toStation(a.stationId, () => sseFrame('alert', a), onlyFor);
  };
  relayPeoplesChanges(app, hub);
  if (app.hasDecorator('workOrders')) app.workOrders.events.on('change', workOrderListener(hub));
  // Opening and closing times change what a screen shows without any message from the station.
  const hours = new HoursTimer(app.registry, (id) => app.store.touch(id));
  const logins = new StreamLogins((req) => identify(app, req), app.log);
  const heartbeat = startHeartbeat(hub, logins, heartbeatMs);

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
    {
      schema: { querystring: EventsQuery, response: { 404: ErrorBody, 429: ErrorBody } },
      config: { access: 'public' },
    },
    (req, reply) => {
      const asked = stationFilter(app.registry, req.query.station);
      if ('unknown' in asked) {
        const body = errorBody('station_not_found', pickLang(req, app.defaultLang), { id: asked.unknown });
        void reply.code(404).send(body);
        return;
      }
      const filter = asked.filter;
      const address = req.ip;
      if (!quota.take(address)) return tooMany(app, req, reply, quota.max);

      reply.hijack();
      const res = reply.raw;
      const stream = openSseStream({
        res,
        log: req.log,
        maxBufferBytes: maxBuffer,
        onTooSlow: () => app.metrics.sseDropped.inc(),
        onEnd: (sink) => {
          quota.release(address);
          logins.remove(res);
          streams.delete(res);
          hub.remove(sink, filter);
          detach();
          app.metrics.sseClients.set(hub.size);
        },
      });
      sendSnapshot(app, filter, stream.sink);
      stream.prime();
      streams.add(res);
      const audience = alertAudience(req.principal);
      hub.add(stream.sink, filter, audience);
      logins.add(res, req, audience);
      attach();
      app.metrics.sseClients.set(hub.size);
    },
  );
  done();
};
export default events;
