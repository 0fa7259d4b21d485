/**
 * Logging in and out, who am I, and one's own password:
 *
 * | method, path                 | access  | answer                                                       |
 * | ---------------------------- | ------- | ------------------------------------------------------------ |
 * | `POST /api/v1/auth/login`    | public  | {login, password} → 200 {user: Me} + cookie yizhan_session    |
 * | `POST /api/v1/auth/logout`   | session | 204, the session ended and the cookie cleared                 |
 * | `GET /api/v1/auth/me`        | session | Me: grants, permissions, visible townships, csrf              |
 * | `POST /api/v1/auth/password` | session | {current, next} → 204; the user's other sessions end          |
 * | `PATCH /api/v1/auth/me`      | session | {mobile} (or null) → Me: one's own number robots @-mention    |
 *
 * The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the request came over https
 * (behind a TLS proxy: `req.protocol` from X-Forwarded-Proto, trusted per YIZHAN_TRUST_PROXY).
 * Logins are logged (login, address, outcome; never the password), not audited.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, pickLang } from '../../i18n.js';
import { permissionsOf, townshipsWith, type Principal } from '../../auth/roles.js';
import { csrfFor, resolveSession, revokeSessions } from '../../auth/sessions.js';
import { attemptLogin, LoginLimits } from '../../auth/login.js';
import { changeOwnPassword, checkMobile } from '../../auth/accounts.js';
import { setOwnMobile } from '../../auth/mobile.js';
import { SESSION_COOKIE } from '../../plugins/auth.js';
import { checkBody, sendError } from './errors.js';
import { ErrorAnswer, LoginAnswer, LoginBody, Me, MeChangeBody, NoContent, PasswordBody } from './schemas.js';
import { accountsCtx } from './ctx.js';

export function meOf(
  app: FastifyInstance,
  p: Principal & { userId: number },
  sessionToken: string | undefined,
): Me {
  const where = townshipsWith(p, 'station:read');
  const townships = app.hierarchy
    .list()
    .filter((t) => where === 'all' || where.has(t.code))
    .map((t) => ({ code: t.code, nameZh: t.nameZh, nameEn: t.nameEn }));
  return {
    id: p.userId,
    login: p.login,
    displayName: p.displayName,
    grants: [...p.grants],
    permissions: permissionsOf(p),
    townships,
    csrf: p.kind === 'user' && sessionToken ? csrfFor(sessionToken) : null,
  };
}

async function mobileOf(app: FastifyInstance, userId: number): Promise<string | null> {
  const row = await app.ops.db
    .selectFrom('users')
    .select('mobile')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.mobile ?? null;
}

/** The request's user, or undefined after answering 401 (the deprecated shared token is nobody). */
export function userOf(
  req: FastifyRequest,
  reply: FastifyReply,
): (Principal & { userId: number }) | undefined {
  const p = req.principal;
  if (p && p.userId !== null) return { ...p, userId: p.userId };
  void reply.code(401).send(errorBody('login_required', pickLang(req, req.server.defaultLang)));
  return undefined;
}

/** One's own mobile number (PATCH /api/v1/auth/me). */
function meChangeRoute(app: Parameters<FastifyPluginCallbackTypebox>[0]): void {
  const errors = { '4xx': ErrorAnswer, '5xx': ErrorAnswer };
  app.patch(
    '/api/v1/auth/me',
    { schema: { response: { 200: Me, ...errors } }, config: { access: 'session' } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      const body = checkBody(MeChangeBody, req, reply);
      if (!body) return reply;
      checkMobile(body.mobile); // a refusal is answered by answerKnown (routes/auth/index.ts)
      await setOwnMobile(app.ops.db, { principal: req.principal ?? null, ip: req.ip }, p.userId, body.mobile);
      return { ...meOf(app, p, req.cookies[SESSION_COOKIE]), mobile: body.mobile };
    },
  );
}

const sessionRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const limits = new LoginLimits();
  const errors = { '4xx': ErrorAnswer, '5xx': ErrorAnswer };

  app.post(
    '/api/v1/auth/login',
    { schema: { response: { 200: LoginAnswer, ...errors } }, config: { access: 'public' } },
    async (req, reply) => {
      const body = checkBody(LoginBody, req, reply);
      if (!body) return reply;
      const r = await attemptLogin(app.ops.db, limits, { ...body, address: req.ip });
      app.metrics.logins.inc({ outcome: r.outcome });
      req.log.info({ login: body.login, address: req.ip, outcome: r.outcome }, 'login');
      switch (r.outcome) {
        case 'rate_limited':
        case 'locked': {
          if (r.outcome === 'locked' && r.justLocked) app.metrics.lockouts.inc();
          const s = Math.ceil(r.retryAfterMs / 1000);
          void reply.header('retry-after', String(s));
          return r.outcome === 'locked'
            ? sendError(reply, req, 'account_locked', { minutes: String(Math.ceil(s / 60)) })
            : sendError(reply, req, 'rate_limited', { seconds: String(s) });
        }
        case 'bad_credentials':
          return sendError(reply, req, 'bad_credentials');
        case 'disabled':
          return sendError(reply, req, 'account_disabled');
        case 'ok': {
          void reply.setCookie(SESSION_COOKIE, r.session.token, {
            httpOnly: true,
            sameSite: 'lax',
            path: '/',
            secure: req.protocol === 'https',
            expires: new Date(r.session.expiresAt),
          });
          const p = await resolveSession(app.ops.db, r.session.token);
          if (!p || p.userId === null) throw new Error('a session just made did not resolve');
          const me = meOf(app, { ...p, userId: p.userId }, r.session.token);
          return { user: { ...me, mobile: await mobileOf(app, p.userId) } };
        }
      }
    },
  );

  app.post('/api/v1/auth/logout', { config: { access: 'session' } }, async (req, reply) => {
    const sid = req.principal?.sessionId;
    if (sid) await revokeSessions(app.ops.db, { sessionId: sid });
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get(
    '/api/v1/auth/me',
    { schema: { response: { 200: Me, '4xx': ErrorAnswer } }, config: { access: 'session' } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      return { ...meOf(app, p, req.cookies[SESSION_COOKIE]), mobile: await mobileOf(app, p.userId) };
    },
  );

  app.post(
    '/api/v1/auth/password',
    { schema: { response: { 204: NoContent, ...errors } }, config: { access: 'session' } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      // A token (a script's credential) must not be able to take over its owner's account.
      if (req.principal?.kind !== 'user')
        return reply.code(403).send(errorBody('session_required', pickLang(req, app.defaultLang)));
      const body = checkBody(PasswordBody, req, reply);
      if (!body) return reply;
      await changeOwnPassword(accountsCtx(app, req), p.userId, body.current, body.next, p.sessionId);
      return reply.code(204).send(null);
    },
  );
  meChangeRoute(app);
  done();
};

export default sessionRoutes;
