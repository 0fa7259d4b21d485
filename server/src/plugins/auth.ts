/**
 * Auth plugin: who is asking (`req.principal`), whether they may, and CSRF.
 *
 * Every route declares `config.access` (checked when the route is added, so a new route cannot be
 * open by omission):
 *
 *   'public'                         anyone (station screens, rider pages, health, login)
 *   'session'                        any logged-in user or token (their own account, logout)
 *   a Permission                     held for some township (the handler filters lists by it)
 *   { permission, township(req) }    held for the township the request concerns; a township of
 *                                    undefined means "no such thing": the handler answers 404
 *   { permission, orLoopback: true } a client on this host (loopback, no proxy header) without
 *                                    credentials, anyone else with the permission (/metrics)
 *
 * Who: the session cookie (server-side session in the store), or `Authorization: Bearer yzt_…`
 * (a personal API token, limited to its scopes), or the deprecated shared YIZHAN_API_TOKEN (only
 * `config:write`, county-wide; counted and warned about).
 *
 * CSRF: a write carried by the session cookie must send `x-csrf-token` (auth/sessions.ts csrfFor);
 * bearer-token requests carry no ambient credential and need none.
 */
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, pickLang } from '../i18n.js';
import { COUNTY, can, canAnywhere, type Permission, type Principal } from '../auth/roles.js';
import { csrfFor, resolveSession, resolveToken, sameSecret } from '../auth/sessions.js';

export const SESSION_COOKIE = 'yizhan_session';
export const CSRF_HEADER = 'x-csrf-token';

export type Access =
  | 'public'
  | 'session'
  | Permission
  | { permission: Permission; township: (req: FastifyRequest) => string | undefined }
  | { permission: Permission; orLoopback: true };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route with its declared access, as added (the authorisation matrix test walks it). */
    routeAccess: readonly RouteAccess[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const LEGACY: Principal = {
  kind: 'legacy',
  userId: null,
  login: 'YIZHAN_API_TOKEN',
  displayName: 'YIZHAN_API_TOKEN (deprecated)',
  grants: [{ role: 'county_admin', scope: COUNTY }],
  tokenScopes: ['config:write'],
};

/** Headers a reverse proxy adds: their presence means the real client is somewhere else. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Whether the TCP peer is this host and no proxy speaks for someone else. The socket's address,
 * not `req.ip` (which a trusted proxy's header sets); a proxy on this host is loopback to us, so
 * any forwarding header makes the request count as remote.
 */
export function fromLoopback(req: FastifyRequest): boolean {
  const a = req.socket.remoteAddress ?? '';
  const loopback = a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
  return loopback && PROXY_HEADERS.every((h) => req.headers[h] === undefined);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** The principal of the request's session cookie or bearer token, or null. */
export async function identify(app: FastifyInstance, req: FastifyRequest): Promise<Principal | null> {
  const token = bearer(req);
  if (token !== undefined) {
    const legacy = app.serverOptions.apiToken;
    if (legacy && sameSecret(token, legacy)) {
      app.metrics.legacyTokenUses.inc();
      req.log.warn(
        'request authorised by the deprecated YIZHAN_API_TOKEN; make a personal token (docs/operations.md)',
      );
      return LEGACY;
    }
    return resolveToken(app.ops.db, token);
  }
  const sid = req.cookies[SESSION_COOKIE];
  return sid ? resolveSession(app.ops.db, sid) : null;
}

function deny(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  status: 401 | 403,
  body: ReturnType<typeof errorBody>,
) {
  app.metrics.authDenied.inc({ reason: body.error.code });
  return reply.code(status).send(body);
}

export default fp(
  async function auth(app: FastifyInstance) {
    await app.register(cookie);
    app.decorateRequest('principal', null);

    const routes: RouteAccess[] = [];
    app.decorate('routeAccess', routes);
    app.addHook('onRoute', (route) => {
      const access = route.config?.access;
      if (access === undefined)
        throw new Error(
          `route ${String(route.method)} ${route.url} declares no config.access (public, session or a permission)`,
        );
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access });
    });

    // preValidation: who may ask is settled before the body is validated or any work is done, so an
    // anonymous request learns nothing from validation errors.
    app.addHook('preValidation', async (req, reply) => {
      const access = req.routeOptions.config.access ?? 'public';
      if (typeof access === 'object' && 'orLoopback' in access && fromLoopback(req)) return;
      if (access === 'public' && !req.headers.authorization && !req.cookies[SESSION_COOKIE]) return;
      req.principal = await identify(app, req);
      if (access === 'public') return;
      const lang = pickLang(req, app.defaultLang);
      const p = req.principal;
      if (!p) return deny(app, req, reply, 401, errorBody('login_required', lang));
      if (UNSAFE.has(req.method) && p.kind === 'user') {
        const sent = req.headers[CSRF_HEADER];
        const sid = req.cookies[SESSION_COOKIE] ?? '';
        if (typeof sent !== 'string' || !sameSecret(sent, csrfFor(sid)))
          return deny(app, req, reply, 403, errorBody('csrf_failed', lang));
      }
      if (access === 'session') return;
      const permission = typeof access === 'string' ? access : access.permission;
      if (!canAnywhere(p, permission))
        return deny(app, req, reply, 403, errorBody('forbidden', lang, { permission }));
      if (typeof access === 'string' || !('township' in access)) return;
      const township = access.township(req);
      if (township !== undefined && !can(p, permission, township))
        return deny(app, req, reply, 403, errorBody('forbidden_township', lang, { permission, township }));
    });
  },
  { name: 'yizhan-auth', dependencies: ['yizhan-core', 'yizhan-ops-store'] },
);
