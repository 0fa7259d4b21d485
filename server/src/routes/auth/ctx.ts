import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../../auth/accounts.js';

/** What auth/accounts.ts and auth/tokens.ts need of a request: the store, the townships, who asks. */
export function accountsCtx(app: FastifyInstance, req: FastifyRequest): Ctx {
  return {
    db: app.ops.db,
    township: (code) => app.hierarchy.get(code),
    actor: { principal: req.principal, ip: req.ip },
  };
}
