/**
 * Core plugin: what every other plugin shares (options, metrics, station registry, live state,
 * the shutdown sequence) and the error handlers that give `{ error: { code, message } }`.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createMetrics, type Metrics } from '../metrics.js';
import { StationRegistry } from '../registry.js';
import { StateStore } from '../state/store.js';
import { Hierarchy } from '../org/hierarchy.js';
import { errorBody, pickLang, type Lang } from '../i18n.js';
import { describeValidation, type SchemaError } from '../validation-errors.js';
import { DEFAULT_SHUTDOWN_GRACE_MS, type ServerOptions } from '../options.js';

/** Longest path parameter fastify's router takes (its default); longer ones are refused (414). */
export const MAX_PARAM_LENGTH = 100;

/** Time requests in flight get to finish at shutdown before their sockets are closed, ms. */
export const HTTP_DRAIN_MS = 500;

/** Ordered shutdown: lower `order` stops first (ingest 10, influx 20, alerts 30). */
export class Shutdown {
  private readonly steps: { order: number; name: string; fn: () => Promise<void> }[] = [];
  add(order: number, name: string, fn: () => Promise<void>): void {
    this.steps.push({ order, name, fn });
  }
  async run(app: FastifyInstance): Promise<void> {
    for (const s of [...this.steps].sort((a, b) => a.order - b.order)) {
      try {
        await s.fn();
        app.log.info({ step: s.name }, 'stopped');
      } catch (e) {
        app.log.error({ step: s.name, err: (e as Error).message }, 'error while stopping');
      }
    }
  }
}

/** What fastify's errors carry: validation errors (ajv) and a status for client errors. */
type RequestError = Error & {
  code?: string;
  statusCode?: number;
  validation?: SchemaError[];
  validationContext?: string;
};

const kb = (bytes: number): string => (bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} B`);

/**
 * Errors fastify's router raises before any route or plugin runs (a malformed URL, a path
 * parameter longer than maxParamLength): the same `{ error: { code, message } }` as the rest.
 */
export function frameworkErrors(err: RequestError, req: FastifyRequest, reply: FastifyReply): void {
  const lang = pickLang(req, req.server.defaultLang ?? 'zh-CN');
  const code = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'param_too_long' : 'bad_url';
  void reply.code(err.statusCode ?? 400).send(errorBody(code, lang, { limit: MAX_PARAM_LENGTH }));
}

declare module 'fastify' {
  interface FastifyInstance {
    serverOptions: ServerOptions;
    metrics: Metrics;
    registry: StationRegistry;
    /** County → township → station; township codes of stations. */
    hierarchy: Hierarchy;
    store: StateStore;
    shutdown: Shutdown;
    defaultLang: Lang;
    /** Longest wait for flushing at shutdown, ms. */
    graceMs: number;
  }
}

export default fp(
  function core(
    app: FastifyInstance,
    { server: opts }: { server: ServerOptions },
    done: (err?: Error) => void,
  ) {
    const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
    const registry = new StationRegistry(opts.stations);
    const store = new StateStore(registry, (n) => metrics.stationsOnline.set(n));
    metrics.stationsOnline.set(0);
    const shutdown = new Shutdown();
    app.decorate('serverOptions', opts);
    app.decorate('metrics', metrics);
    app.decorate('registry', registry);
    app.decorate('hierarchy', new Hierarchy(opts.stations, opts.townships));
    app.decorate('store', store);
    app.decorate('shutdown', shutdown);
    app.decorate('defaultLang', opts.lang ?? 'zh-CN');
    app.decorate('graceMs', opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
    // HTTP: idle keep-alive sockets close at once (forceCloseConnections 'idle'); requests in
    // flight get HTTP_DRAIN_MS, then every socket is closed (also ones a client opened and never used).
    app.addHook('preClose', (hookDone) => {
      setTimeout(() => app.server.closeAllConnections(), HTTP_DRAIN_MS).unref();
      hookDone();
    });
    app.addHook('onClose', async (instance) => {
      await shutdown.run(instance);
    });

    app.setNotFoundHandler((req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      return reply
        .code(404)
        .send(errorBody('not_found', lang, { method: req.method, url: req.url.split('?')[0] ?? '' }));
    });
    app.setErrorHandler((err: RequestError, req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const limit = req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0;
        return reply.code(413).send(errorBody('body_too_large', lang, { limit: kb(limit) }));
      }
      if (err.validation) {
        const detail = describeValidation(err.validation, err.validationContext ?? 'request', lang);
        return reply.code(400).send(errorBody('bad_request', lang, { detail }));
      }
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send(errorBody('bad_request', lang, { detail: err.message }));
      }
      req.log.error({ err }, 'request failed');
      return reply.code(500).send(errorBody('internal', lang));
    });
    done();
  },
  { name: 'yizhan-core' },
);
