/**
 * The outbox's item, log and options shapes and their defaults (units in the names and comments).
 */
import type { BackoffOptions } from '@yizhan/common/backoff';
import type { Registry } from 'prom-client';
import type { Store } from '../store/open.js';
import type { Channel, OutboundMessage } from './channel.js';

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'dead';

export interface OutboxItem {
  /** Unique per event and channel, e.g. `${alertId}:${transition}:${channel}`. */
  dedupeKey: string;
  /** The Channel's name. */
  channel: string;
  message: OutboundMessage;
  /** Items with the same key due together on one channel may be merged into one message. */
  groupKey?: string;
  /** Not sent before this time, ms (a storm's items held to be merged); default now. */
  notBefore?: number;
}

export interface OutboxLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxOptions {
  store: Store;
  channels: Channel[];
  registry?: Registry;
  log?: OutboxLog;
  /** Names this process in claimed_by. */
  workerId?: string;
  now?: () => number;
  /** For the backoff's jitter (tests pin it). */
  random?: () => number;
  /** Messages per channel per minute (token bucket; bursts up to this many). */
  ratePerMinute?: number;
  /** Items claimed per channel per pass. */
  batchSize?: number;
  /** How long a claim holds before another worker may take the item over, ms. */
  claimMs?: number;
  /** Undelivered this long after enqueueing: dead, ms. */
  maxAgeMs?: number;
  /** Worker loop: wait between passes, ms. */
  pollMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Merges the messages of one group into one; without it every item is its own message. */
  merge?: (messages: OutboundMessage[]) => OutboundMessage;
}

export const OUTBOX_DEFAULTS = {
  ratePerMinute: 20,
  batchSize: 200,
  claimMs: 120_000,
  maxAgeMs: 24 * 3600_000,
  pollMs: 1000,
  backoff: { initialMs: 30_000, maxMs: 600_000, factor: 2, jitter: 0.5 },
} as const;
