/**
 * The broker's side HTTP port: `GET /metrics` (Prometheus text) and `GET /healthz` (JSON).
 * Nothing here changes state, so it needs no authentication; bind it to a private interface.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'closing';
  /** Human-readable reasons when not ok. */
  problems: string[];
  [key: string]: unknown;
}

export interface SideHttpOptions {
  port: number;
  host: string;
  registry: Registry;
  health(): HealthReport;
  log: Logger;
}

export interface SideHttp {
  port: number;
  close(): Promise<void>;
}

export async function startSideHttp(opts: SideHttpOptions): Promise<SideHttp> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (err: unknown) => {
          opts.log.error({ err }, 'collecting metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('collecting metrics failed\n');
        },
      );
      return;
    }
    if (path === '/healthz') {
      const h = opts.health();
      // degraded (e.g. a broken credentials file, previous accounts kept) still serves: 200.
      res.writeHead(h.status === 'closing' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; try /metrics or /healthz\n');
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error({ err }, 'metrics HTTP server error'));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
