/**
 * The logins behind `/api/v1/events` streams. Alert events depend on who is watching, decided
 * when a stream opens; every heartbeat each logged-in stream's session or token is looked up
 * again, and a stream whose login ended (logout, a disabled user, a revoked token) or whose
 * townships changed is closed. EventSource reconnects by itself and gets what it may see now.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { canAnywhere, townshipsWith, type Principal } from '../auth/roles.js';
import { NOBODY, audienceOf, type Audience } from './sse-hub.js';

/** Who gets which alerts on a stream: nobody without station:read. */
export function alertAudience(p: Principal | null): Audience {
  return p && canAnywhere(p, 'station:read') ? audienceOf(townshipsWith(p, 'station:read')) : NOBODY;
}

export class StreamLogins {
  private readonly streams = new Map<ServerResponse, { req: FastifyRequest; key: string }>();
  private checking = false;

  constructor(
    private readonly identify: (req: FastifyRequest) => Promise<Principal | null>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Streams without alerts (anonymous screens) need no check. */
  add(res: ServerResponse, req: FastifyRequest, audience: Audience): void {
    if (audience !== NOBODY) this.streams.set(res, { req, key: audience.key });
  }

  remove(res: ServerResponse): void {
    this.streams.delete(res);
  }

  /** One pass over the logged-in streams; a pass still running makes this one a no-op. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [res, s] of [...this.streams]) {
        let p: Principal | null;
        try {
          p = await this.identify(s.req);
        } catch (err) {
          // The store did not answer: keep the stream, look again at the next heartbeat.
          this.log.warn({ err }, 'SSE login check failed; stream kept until the next check');
          continue;
        }
        if (alertAudience(p).key === s.key) continue;
        this.streams.delete(res);
        s.req.log.info({ login: p?.login ?? null }, 'SSE stream closed: its login ended or changed');
        res.destroy();
      }
    } finally {
      this.checking = false;
    }
  }
}
