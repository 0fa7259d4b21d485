/**
 * Notify plugin: the routing file (YIZHAN_NOTIFY_FILE), the channels, the durable outbox, the
 * notifier the alert repository calls inside each batch's transaction, the silences it consults,
 * and the escalation job.
 *
 * - The file is loaded at start; a problem in it (a missing `${ENV}`, an unknown channel or
 *   township) refuses the start with every problem named (secrets never printed). It is read
 *   again on change, SIGHUP or `POST /api/v1/notify/reload` (notify/reload.ts): a bad file then
 *   keeps the previous routing.
 * - YIZHAN_ALERT_WEBHOOK_URL becomes the outbox channel `alert-webhook` that gets every alert
 *   change with the JSON body it always had.
 * - The outbox and the escalation job start on ready and stop at shutdown order 40: after the
 *   alerts' write queue (30) has committed its last batch, before the store closes (90).
 * Rate limits are per process (the outbox's token bucket): two server processes on one
 * PostgreSQL store share the rows (no message twice) but each may send 20/min per channel.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SILENCE_REFRESH_MS, SilenceCache } from '../alerts/silences.js';
import type { Channel } from '../notify/channel.js';
import { WebhookChannel } from '../notify/channels/webhook.js';
import { buildChannel } from '../notify/build-channels.js';
import { emptyNotifyConfig, loadNotifyFile, redactSecrets, type NotifyConfig } from '../notify/config.js';
import { EscalationJob, type EscalationDeps } from '../notify/escalation.js';
import { Notifier } from '../notify/notifier.js';
import { Outbox, type OutboxLog } from '../notify/outbox.js';
import { People } from '../notify/people.js';
import { mergeMessages, type RenderContext } from '../notify/render.js';
import {
  NotifyReloader,
  type NotifyReloaderDeps,
  type NotifyReloadResult,
  type NotifyReloadTrigger,
} from '../notify/reload.js';
import { watchFile } from '../util/watch-file.js';
import { LEGACY_WEBHOOK_CHANNEL, Routing } from '../notify/routing.js';

declare module 'fastify' {
  interface FastifyInstance {
    notifier: Notifier;
    outbox: Outbox;
    silences: SilenceCache;
    escalation: EscalationJob;
    notifyConfig: NotifyConfig;
    reloadNotify(trigger: NotifyReloadTrigger): NotifyReloadResult;
  }
}

/** Shutdown order: after the alerts' queue (30), before the store (90). */
export const NOTIFY_SHUTDOWN_ORDER = 40;

/** A log that never shows a secret of the routing file (nor a URL's query or user info). */
function redactingLog(
  log: FastifyInstance['log'],
  secrets: ReadonlySet<string>,
): OutboxLog & { info(obj: object, msg: string): void } {
  const clean = (obj: object): object => {
    const text = JSON.stringify(obj, (_k, v: unknown) =>
      v instanceof Error ? { message: v.message, code: (v as NodeJS.ErrnoException).code } : v,
    );
    return JSON.parse(redactSecrets(text, [...secrets])) as object;
  };
  return {
    info: (obj, msg) => log.info(clean(obj), msg),
    warn: (obj, msg) => log.warn(clean(obj), msg),
    error: (obj, msg) => log.error(clean(obj), msg),
  };
}

function channelsOf(app: FastifyInstance, config: NotifyConfig): { channels: Channel[]; legacy?: string } {
  const o = app.serverOptions;
  const channels = [...config.channels.map(buildChannel), ...(o.notify?.channels ?? [])];
  const hook = o.alerts?.webhook;
  if (!hook) return { channels };
  const timeout = hook.timeoutMs !== undefined ? { timeoutMs: hook.timeoutMs } : {};
  channels.push(new WebhookChannel(LEGACY_WEBHOOK_CHANNEL, { url: hook.url, raw: true, ...timeout }));
  return { channels, legacy: LEGACY_WEBHOOK_CHANNEL };
}

/** The escalation job over the app's store, reading alerts as the API shows them. */
function escalationJob(
  app: FastifyInstance,
  d: Pick<EscalationDeps, 'routing' | 'people' | 'render' | 'enqueue' | 'log'>,
): EscalationJob {
  const now = app.serverOptions.notify?.now;
  return new EscalationJob({
    ...d,
    db: app.ops.db,
    alert: async (trx, id) => {
      const a = await app.alertRepo.get(id, trx);
      return a && { ...a, acked: a.acknowledged !== null };
    },
    ...(now ? { now } : {}),
  });
}

/** notify.yaml read again on change, SIGHUP and the API (app.reloadNotify); returns the stop. */
function reloading(
  app: FastifyInstance,
  d: Pick<NotifyReloaderDeps, 'routing' | 'outbox' | 'secrets' | 'townships' | 'log'>,
): () => void {
  const o = app.serverOptions.notify ?? {};
  // A config given in code (tests) has no file behind it.
  const file = o.config ? undefined : o.file;
  const reloader = new NotifyReloader({
    ...d,
    file,
    env: o.env,
    channelsOf: (c) => channelsOf(app, c).channels,
    registry: app.metrics.registry,
  });
  app.decorate('reloadNotify', (trigger: NotifyReloadTrigger) => reloader.reload(trigger));
  const stopWatch = watchFile(file, 'notify file', () => app.reloadNotify('watch'), app.log);
  const onHup = () => app.reloadNotify('signal');
  if (file) process.on('SIGHUP', onHup);
  return () => {
    stopWatch();
    process.off('SIGHUP', onHup);
  };
}

export default fp(
  function notify(app: FastifyInstance, _opts: unknown, done: (err?: Error) => void) {
    const o = app.serverOptions.notify ?? {};
    const log = app.log.child({ component: 'notify' });
    const townships = () => app.hierarchy.list().map((t) => t.code);
    let config: NotifyConfig;
    try {
      config = o.config ?? (o.file ? loadNotifyFile(o.file, townships(), o.env) : emptyNotifyConfig());
    } catch (e) {
      done(e as Error);
      return;
    }
    const secrets = new Set(config.secrets);
    const safeLog = redactingLog(log, secrets);
    const { channels, legacy } = channelsOf(app, config);
    const publicUrl = o.publicUrl ?? 'http://localhost';
    const outbox = new Outbox({
      store: app.ops,
      channels,
      registry: app.metrics.registry,
      log: safeLog,
      merge: (messages) => mergeMessages(publicUrl, messages),
      // A whole storm window's items in one claim, so they merge into one message per channel.
      batchSize: 1000,
      ...o.outbox,
    });
    const routing = new Routing(config, legacy);
    const people = new People(app.ops.db);
    const silences = new SilenceCache(app.ops.db, app.serverOptions.timeZone);
    const render: RenderContext = {
      publicUrl,
      timeZone: app.serverOptions.timeZone ?? 'Asia/Shanghai',
      stationAddress: (id) => app.registry.get(id)?.config.address,
    };
    const enqueue = outbox.enqueue.bind(outbox);
    const notifier = new Notifier({
      routing,
      people,
      enqueue,
      silences: () => silences,
      townshipCode: (id) => app.hierarchy.townshipOf(id),
      render,
      onSilenced: (rule) => app.metrics.alertsSilenced.inc({ rule }),
      ...(o.outbox?.now ? { now: o.outbox.now } : {}),
    });
    const escalation = escalationJob(app, { routing, people, render, enqueue, log: safeLog });
    app.decorate('notifier', notifier);
    app.decorate('outbox', outbox);
    app.decorate('silences', silences);
    app.decorate('escalation', escalation);
    app.decorate('notifyConfig', { getter: () => routing.config });
    const stopReload = reloading(app, { routing, outbox, secrets, townships, log: safeLog });
    if (!channels.length)
      log.info(
        'no notification channels (YIZHAN_NOTIFY_FILE, YIZHAN_ALERT_WEBHOOK_URL); alerts only in the API',
      );
    let stopSilenceRefresh = (): void => {};
    // Registered before the alerts plugin: its onReady (adopting alerts, ingest) runs after this.
    app.addHook('onReady', async () => {
      await people.init();
      await silences.refresh();
      stopSilenceRefresh = silences.every(DEFAULT_SILENCE_REFRESH_MS, (err) => {
        app.metrics.storeErrors.inc({ what: 'silences' });
        log.error({ err }, 'silences not reloaded; the alert path keeps the previous list');
      });
      outbox.start();
      escalation.start(o.escalationIntervalMs);
    });
    app.shutdown.add(NOTIFY_SHUTDOWN_ORDER, 'notify', async () => {
      stopReload();
      stopSilenceRefresh();
      await escalation.stop();
      await outbox.stop();
    });
    done();
  },
  { name: 'yizhan-notify', dependencies: ['yizhan-core', 'yizhan-ops-store'] },
);
