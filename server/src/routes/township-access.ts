/**
 * The township checks routes make themselves, once the township a request concerns is known (an
 * alert's, a work order's, a list's filter): one answer for every route, counted as a denial.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can, townshipsWith, type Permission } from '../auth/roles.js';
import { errorBody, pickLang, type Lang } from '../i18n.js';

/** True when the principal holds `perm` in `township`; otherwise 403 `forbidden_township` is sent. */
export function mayIn(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  perm: Permission,
  township: string,
): boolean {
  if (req.principal && can(req.principal, perm, township)) return true;
  app.metrics.authDenied.inc({ reason: 'forbidden_township' });
  void reply
    .code(403)
    .send(errorBody('forbidden_township', pickLang(req, app.defaultLang), { permission: perm, township }));
  return false;
}

/**
 * A list's `township` filter: absent, or a known township the reader holds `perm` in. Otherwise
 * 404 `township_not_found` or 403 `forbidden_township` is sent and false returned.
 */
export function townshipFilterAllowed(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  perm: Permission,
  township: string | undefined,
): boolean {
  if (township === undefined) return true;
  if (!app.hierarchy.get(township)) {
    void reply
      .code(404)
      .send(errorBody('township_not_found', pickLang(req, app.defaultLang), { code: township }));
    return false;
  }
  return mayIn(app, req, reply, perm, township);
}

/**
 * The townships a report or figures answer covers, each with its name in `lang`: the `township`
 * filter alone, or every township the reader holds `perm` in. Undefined when 404
 * `township_not_found` or 403 `forbidden_township` is sent.
 */
export function townshipNames(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  perm: Permission,
  township: string | undefined,
  lang: Lang,
): Map<string, string> | undefined {
  if (township !== undefined) {
    const t = app.hierarchy.get(township);
    if (!t) return void reply.code(404).send(errorBody('township_not_found', lang, { code: township }));
    if (!mayIn(app, req, reply, perm, township)) return undefined;
    return new Map([[t.code, lang === 'en' ? t.nameEn : t.nameZh]]);
  }
  const scope = townshipsWith(req.principal!, perm);
  return new Map(
    app.hierarchy
      .list()
      .filter((t) => scope === 'all' || scope.has(t.code))
      .map((t) => [t.code, lang === 'en' ? t.nameEn : t.nameZh]),
  );
}

/**
 * Whether the principal may write something scoped to `township`, or to the whole county when it
 * is undefined (which needs `perm` county-wide). Otherwise 403 is sent: `forbidden_township`, or
 * the route's own county refusal `countyError(lang)` (it names what needs the county scope).
 */
export function mayWriteScope(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  perm: Permission,
  township: string | undefined,
  countyError: (lang: Lang) => unknown,
): boolean {
  if (township !== undefined) return mayIn(app, req, reply, perm, township);
  if (req.principal && can(req.principal, perm)) return true;
  app.metrics.authDenied.inc({ reason: 'forbidden_township' });
  void reply.code(403).send(countyError(pickLang(req, app.defaultLang)));
  return false;
}
