/**
 * Reloading notify.yaml without a restart (file change, SIGHUP, `POST /api/v1/notify/reload`):
 * the file is read and checked as at start; a good file replaces the routing and the outbox's
 * channels at once (the next alert is routed by it, items already queued keep their channel
 * name); a bad file changes nothing, and its problems are logged and answered, secrets never shown.
 */
import { Counter, type Registry } from 'prom-client';
import type { Channel } from './channel.js';
import { loadNotifyFile, type NotifyConfig } from './config.js';
import type { Outbox, OutboxLog } from './outbox.js';
import type { Routing } from './routing.js';

export type NotifyReloadTrigger = 'api' | 'signal' | 'watch';
export type NotifyReloadResult =
  | { ok: true; file: string; channels: string[] }
  | { ok: false; file: string | undefined; message: string };

export interface NotifyReloaderDeps {
  /** YIZHAN_NOTIFY_FILE; undefined: nothing to reload. */
  file: string | undefined;
  townships: () => readonly string[];
  env: NodeJS.ProcessEnv | undefined;
  routing: Routing;
  outbox: Outbox;
  /** The outbox channels a config gives (its own and the legacy webhook). */
  channelsOf: (config: NotifyConfig) => Channel[];
  /** Every secret of every file loaded so far: the redacting log keeps hiding the old ones. */
  secrets: Set<string>;
  log: OutboxLog & { info(obj: object, msg: string): void };
  registry?: Registry;
}

export class NotifyReloader {
  private readonly reloads: Counter<'result'>;

  constructor(private readonly d: NotifyReloaderDeps) {
    this.reloads = new Counter({
      name: 'yizhan_notify_reloads_total',
      help: 'Reloads of notify.yaml, by result (ok, error: the previous routing stays)',
      labelNames: ['result'] as const,
      registers: d.registry ? [d.registry] : [],
    });
    for (const result of ['ok', 'error']) this.reloads.inc({ result }, 0);
  }

  reload(trigger: NotifyReloadTrigger): NotifyReloadResult {
    const { file } = this.d;
    if (file === undefined) {
      this.reloads.inc({ result: 'error' });
      return { ok: false, file, message: 'no notify file (YIZHAN_NOTIFY_FILE) to reload' };
    }
    let next: NotifyConfig;
    try {
      next = loadNotifyFile(file, this.d.townships(), this.d.env);
    } catch (e) {
      this.reloads.inc({ result: 'error' });
      const message = (e as Error).message;
      this.d.log.error({ file, trigger, err: message }, 'notify file not reloaded, the previous routing stays');
      return { ok: false, file, message };
    }
    for (const s of next.secrets) this.d.secrets.add(s);
    const channels = this.d.channelsOf(next);
    this.d.routing.replace(next);
    this.d.outbox.setChannels(channels);
    this.reloads.inc({ result: 'ok' });
    const names = channels.map((c) => c.name);
    this.d.log.info({ file, trigger, channels: names }, 'notify file reloaded');
    return { ok: true, file, channels: names };
  }
}
