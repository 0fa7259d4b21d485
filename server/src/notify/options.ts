/** What ServerOptions.notify holds (plugins/notify.ts). */
import type { Channel } from './channel.js';
import type { NotifyConfig } from './config.js';
import type { OutboxOptions } from './outbox.js';

export interface NotifyOptions {
  /** The routing file (YIZHAN_NOTIFY_FILE); absent: no routes (only the legacy webhook, if set). */
  file?: string;
  /** A built config instead of the file (tests). */
  config?: NotifyConfig;
  /** Prefix of the links in messages; default http://localhost. */
  publicUrl?: string;
  /** Extra channels (tests' fakes), beside the file's. */
  channels?: Channel[];
  /** Outbox knobs (poll, rate, backoff, clock). */
  outbox?: Partial<Omit<OutboxOptions, 'store' | 'channels' | 'registry' | 'log' | 'merge'>>;
  /** How often the escalation job runs, ms (default 30 s). */
  escalationIntervalMs?: number;
  /** Clock of the escalation job (tests). */
  now?: () => number;
  /** Environment the file's ${ENV_NAME} secrets are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}
