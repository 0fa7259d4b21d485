/**
 * The body of the legacy alert webhook (YIZHAN_ALERT_WEBHOOK_URL): one POST of JSON per fire and
 * per resolve, Alertmanager-like:
 *
 * ```json
 * { "version": "1", "status": "firing", "receiver": "yizhan", "groupKey": "dispenser_broken/st-001",
 *   "alert": { "id": "…", "rule": "dispenser_broken", "labels": {…}, "annotations": {…}, "message": {…}, … } }
 * ```
 *
 * Every rule (`dispenser_broken`, `serial_link_down`; see rules/index.ts) has the same body:
 * `labels` {alertname, station, township, severity} to route on, `annotations` summary (zh-CN) and
 * summary_en, plus resolved/resolved_en once resolved; `evidence` holds the rule's own facts.
 *
 * It is delivered as the outbox channel `alert-webhook` (plugins/notify.ts,
 * notify/channels/webhook.ts): durable, retried with the outbox's backoff, every attempt recorded
 * in outbox_attempts and counted in `yizhan_outbox_*{channel="alert-webhook"}`.
 */
import type { Alert } from './types.js';

export interface WebhookOptions {
  url: string;
  /** Per-request timeout, ms. Default {@link DEFAULT_WEBHOOK_TIMEOUT_MS}. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;

export interface WebhookBody {
  version: '1';
  status: Alert['status'];
  receiver: 'yizhan';
  groupKey: string;
  alert: Alert & {
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
}

export function webhookBody(a: Alert): WebhookBody {
  return {
    version: '1',
    status: a.status,
    receiver: 'yizhan',
    groupKey: a.fingerprint,
    alert: {
      ...a,
      labels: { alertname: a.rule, station: a.stationId, township: a.township, severity: a.severity },
      annotations: {
        summary: a.message['zh-CN'],
        summary_en: a.message.en,
        ...(a.resolvedMessage
          ? { resolved: a.resolvedMessage['zh-CN'], resolved_en: a.resolvedMessage.en }
          : {}),
      },
    },
  };
}
