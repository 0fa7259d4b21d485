/**
 * Accounts, for user:admin holders (county admins: everyone; township managers: users whose grants
 * all lie in their townships, granting only those):
 *
 * | method, path                               | answer                                                |
 * | ------------------------------------------ | ----------------------------------------------------- |
 * | `GET /api/v1/users`                        | {users: [User]}                                       |
 * | `POST /api/v1/users`                       | {login, displayName, grants, password?, mobile?} → 201 {user, password} |
 * | `PATCH /api/v1/users/:id`                  | {displayName?, grants?, disabled?, mobile?} → 200 {user} |
 * | `POST /api/v1/users/:id/reset-password`    | 200 {password} (shown once; their sessions end)       |
 *
 * Every write is audited in its transaction (auth/accounts.ts).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { addUser, listUsers, resetPassword, updateUser } from '../../auth/accounts.js';
import { checkBody } from './errors.js';
import { accountsCtx } from './ctx.js';
import {
  ErrorAnswer,
  IdParams,
  NewUserAnswer,
  NewUserBody,
  PasswordAnswer,
  UserAnswer,
  UserChangeBody,
  UserList,
} from './schemas.js';

const usersRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const errors = { '4xx': ErrorAnswer, '5xx': ErrorAnswer };
  const access = 'user:admin' as const;

  app.get('/api/v1/users', { schema: { response: { 200: UserList } }, config: { access } }, async (req) => ({
    users: await listUsers(accountsCtx(app, req)),
  }));

  app.post(
    '/api/v1/users',
    { schema: { response: { 201: NewUserAnswer, ...errors } }, config: { access } },
    async (req, reply) => {
      const body = checkBody(NewUserBody, req, reply);
      if (!body) return reply;
      return reply.code(201).send(await addUser(accountsCtx(app, req), body));
    },
  );

  app.patch(
    '/api/v1/users/:id',
    { schema: { params: IdParams, response: { 200: UserAnswer, ...errors } }, config: { access } },
    async (req, reply) => {
      const body = checkBody(UserChangeBody, req, reply);
      if (!body) return reply;
      return { user: await updateUser(accountsCtx(app, req), Number(req.params.id), body) };
    },
  );

  app.post(
    '/api/v1/users/:id/reset-password',
    { schema: { params: IdParams, response: { 200: PasswordAnswer, ...errors } }, config: { access } },
    async (req) => ({ password: await resetPassword(accountsCtx(app, req), { id: Number(req.params.id) }) }),
  );
  done();
};

export default usersRoutes;
