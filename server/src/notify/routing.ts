/**
 * Which channels hear about a township: its own route from notify.yaml, else the county route
 * (the fallback); escalation to the county always takes the county route. The legacy
 * YIZHAN_ALERT_WEBHOOK_URL channel hears every alert change, as it always has.
 */
import type { NotifyConfig, RouteConfig } from './config.js';

/** Name of the outbox channel YIZHAN_ALERT_WEBHOOK_URL becomes. */
export const LEGACY_WEBHOOK_CHANNEL = 'alert-webhook';

export class Routing {
  constructor(
    private cfg: NotifyConfig,
    /** The legacy webhook channel's name when YIZHAN_ALERT_WEBHOOK_URL is set. */
    readonly legacy: string | undefined,
  ) {}

  get config(): NotifyConfig {
    return this.cfg;
  }

  /** A reloaded notify.yaml: the next alert is routed by it. */
  replace(config: NotifyConfig): void {
    this.cfg = config;
  }

  /** The route of a township: its own, else the county's; undefined when neither is configured. */
  township(code: string): RouteConfig | undefined {
    return this.config.townships.get(code) ?? this.config.county;
  }

  county(): RouteConfig | undefined {
    return this.config.county;
  }
}
