/**
 * The organisation routes on their own: core, the operations store (SQLite in memory), auth, the
 * org plugin and routes, with the alert engine and the desired configs replaced by stand-ins the
 * test fills (the firing alerts, the desired versions).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import core from '../../../../server/src/plugins/core.js';
import opsStore from '../../../../server/src/plugins/ops-store.js';
import auth from '../../../../server/src/plugins/auth.js';
import org from '../../../../server/src/plugins/org.js';
import orgRoutes from '../../../../server/src/routes/org/index.js';
import type { ServerOptions } from '../../../../server/src/options.js';
import { stationFixture } from '../../../helpers/station.js';

export interface OrgStandIns {
  firing: { rule: string; stationId: string }[];
  desired: Map<string, number>;
}

export const TOWNSHIPS = [
  { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
  { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
  { code: 'baisha', name: '白沙镇', nameEn: 'Baisha' },
];

export async function orgApp(
  extra: Partial<ServerOptions> = {},
): Promise<{ app: FastifyInstance; standIns: OrgStandIns }> {
  const standIns: OrgStandIns = { firing: [], desired: new Map() };
  const app: FastifyInstance = Fastify({ logger: false });
  await app.register(core, {
    server: {
      stations: [
        stationFixture('st-001', { township: '城关镇' }),
        stationFixture('st-002', { township: '城关镇' }),
        stationFixture('st-003', { township: '新塘镇' }),
        stationFixture('st-004', { township: '白沙镇' }),
      ],
      townships: TOWNSHIPS,
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      influx: { url: 'http://127.0.0.1:1', api: 'v1', db: 'yizhan', rp: 'raw' },
      defaultMetrics: false,
      ...extra,
    },
  });
  await app.register(opsStore);
  await app.register(auth);
  await app.register(
    fp(
      (a, _o, done) => {
        a.decorate('alerts', { list: () => standIns.firing } as unknown as FastifyInstance['alerts']);
        done();
      },
      { name: 'yizhan-alerts' },
    ),
  );
  await app.register(
    fp(
      (a, _o, done) => {
        const desired = {
          ready: true,
          open: () => Promise.resolve(),
          get: (id: string) => {
            const version = standIns.desired.get(id);
            return version === undefined ? undefined : { v: 1, version, ts: 1, config: {} };
          },
        };
        a.decorate('desiredConfigs', desired as unknown as FastifyInstance['desiredConfigs']);
        done();
      },
      { name: 'yizhan-config-api' },
    ),
  );
  await app.register(org);
  await app.register(orgRoutes);
  await app.ready();
  return { app, standIns };
}
