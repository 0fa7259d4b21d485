/**
 * One's own personal API tokens (any logged-in user):
 *
 * | method, path                | answer                                                           |
 * | --------------------------- | ---------------------------------------------------------------- |
 * | `GET /api/v1/tokens`        | {tokens: [{id, name, scopes, createdAt, lastUsedAt, revoked}]}   |
 * | `POST /api/v1/tokens`       | {name, scopes} → 201 {id, token} (shown once; scopes ⊆ held)     |
 * | `DELETE /api/v1/tokens/:id` | 204                                                              |
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { addToken, listTokens, revokeToken } from '../../auth/tokens.js';
import { checkBody } from './errors.js';
import { accountsCtx } from './ctx.js';
import { userOf } from './session.js';
import { ErrorAnswer, IdParams, NewTokenAnswer, NewTokenBody, NoContent, TokenList } from './schemas.js';

const tokensRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const errors = { '4xx': ErrorAnswer, '5xx': ErrorAnswer };
  const access = 'session' as const;

  app.get(
    '/api/v1/tokens',
    { schema: { response: { 200: TokenList, ...errors } }, config: { access } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      return { tokens: await listTokens({ db: app.ops.db }, p.userId) };
    },
  );

  app.post(
    '/api/v1/tokens',
    { schema: { response: { 201: NewTokenAnswer, ...errors } }, config: { access } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      const body = checkBody(NewTokenBody, req, reply);
      if (!body) return reply;
      const owner = { id: p.userId, login: p.login };
      return reply.code(201).send(await addToken(accountsCtx(app, req), owner, body.name, body.scopes));
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    { schema: { params: IdParams, response: { 204: NoContent, ...errors } }, config: { access } },
    async (req, reply) => {
      const p = userOf(req, reply);
      if (!p) return reply;
      await revokeToken(accountsCtx(app, req), Number(req.params.id), p.userId);
      return reply.code(204).send(null);
    },
  );
  done();
};

export default tokensRoutes;
