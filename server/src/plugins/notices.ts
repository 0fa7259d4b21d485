/**
 * Notices plugin: the notice board (`app.notices`, notices/board.ts) loaded from the store when the
 * app is ready and every `reloadMs` after (notices written through another server process on the
 * same PostgreSQL store reach this one's screens within that time). The routes call `changed()`
 * after each write. `yizhan_notices_active` counts the notices showing now.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { NoticeBoard } from '../notices/board.js';
import { readNotices } from '../notices/repo.js';

export const DEFAULT_NOTICE_RELOAD_MS = 30_000;

export interface Notices {
  board: NoticeBoard;
  /** Reload after a write through this process; a failed reload is logged and counted, not thrown. */
  changed(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    notices: Notices;
  }
}

export default fp(
  function notices(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const log = app.log.child({ component: 'notices' });
    const board = new NoticeBoard({
      load: (now) => readNotices(app.ops.db, { current: true, now }),
      townshipOf: (id) => app.hierarchy.townshipOf(id),
      stationsOf: (scope) => {
        if ('stationId' in scope) return [scope.stationId];
        if ('township' in scope) return app.hierarchy.get(scope.township)?.stationIds ?? [];
        return app.registry.all().map((e) => e.config.id);
      },
    });
    board.on('change', (stations) => log.info({ stations: stations.size }, 'notices changed on station screens'));
    new Gauge({
      name: 'yizhan_notices_active',
      help: 'Notices of the union showing on station screens now (every scope)',
      registers: [app.metrics.registry],
      collect() {
        this.set(board.activeCount);
      },
    });
    const changed = async (): Promise<void> => {
      try {
        await board.reload();
      } catch (err) {
        app.metrics.storeErrors.inc({ what: 'notices' });
        log.error({ err }, 'notices not reloaded from the store; screens keep the previous notices');
      }
    };
    app.decorate('notices', { board, changed });
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      await changed();
      timer = setInterval(() => void changed(), app.serverOptions.notices?.reloadMs ?? DEFAULT_NOTICE_RELOAD_MS);
      timer.unref();
    });
    app.shutdown.add(25, 'notices', () => {
      clearInterval(timer);
      board.stop();
      return Promise.resolve();
    });
    done();
  },
  { name: 'yizhan-notices', dependencies: ['yizhan-core', 'yizhan-ops-store'] },
);
