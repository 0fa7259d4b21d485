/** The people routes: login and session (session.ts), accounts (users.ts), personal tokens (tokens.ts). */
import type { FastifyPluginAsync } from 'fastify';
import sessionRoutes from './session.js';
import usersRoutes from './users.js';
import tokensRoutes from './tokens.js';
import { answerKnown } from './errors.js';

const authRoutes: FastifyPluginAsync = async (app) => {
  app.setErrorHandler(answerKnown);
  await app.register(sessionRoutes);
  await app.register(usersRoutes);
  await app.register(tokensRoutes);
};

export default authRoutes;
