/**
 * A plugin-level app serving one single-page app's files (server/src/routes/spa.ts): core with
 * `webDir`, the operations store and auth (the routes declare their access), and the app's route
 * plugin (web.ts at /app/, phone.ts at /m/). Log lines go to `logLines`.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import pino from 'pino';
import core from '../../../server/src/plugins/core.js';
import opsStore from '../../../server/src/plugins/ops-store.js';
import auth from '../../../server/src/plugins/auth.js';

export async function spaApp(route: FastifyPluginCallbackTypebox, webDir: string, logLines: string[] = []) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'warn' }, sink) });
  await app.register(core, {
    server: {
      stations: [],
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      influx: { url: 'http://127.0.0.1:1', api: 'v1', db: 'yizhan', rp: 'autogen' },
      defaultMetrics: false,
      webDir,
    },
  });
  await app.register(opsStore);
  await app.register(auth);
  await app.register(route);
  await app.ready();
  return app;
}
