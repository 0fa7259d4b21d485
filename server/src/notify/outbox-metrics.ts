/** The outbox's Prometheus metrics (notify/outbox.ts), registered on the server's registry when given. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type OutboxMetrics = ReturnType<typeof outboxMetrics>;

export function outboxMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  return {
    pending: new Gauge({
      name: 'yizhan_outbox_pending',
      help: 'Notifications waiting to be delivered (pending or being sent), per channel',
      labelNames: ['channel'],
      registers,
    }),
    oldest: new Gauge({
      name: 'yizhan_outbox_oldest_pending_seconds',
      help: 'Age of the oldest notification not yet delivered, seconds (0: none)',
      registers,
    }),
    sent: new Counter({
      name: 'yizhan_outbox_sent_total',
      help: 'Notifications delivered, per channel',
      labelNames: ['channel'],
      registers,
    }),
    failed: new Counter({
      name: 'yizhan_outbox_failed_attempts_total',
      help: 'Delivery attempts that failed, per channel and code',
      labelNames: ['channel', 'code'],
      registers,
    }),
    dead: new Counter({
      name: 'yizhan_outbox_dead_total',
      help: 'Notifications given up on, per channel and reason: refused (the vendor answered with a non-retryable error) or expired (undelivered past the maximum age)',
      labelNames: ['channel', 'reason'],
      registers,
    }),
  };
}
