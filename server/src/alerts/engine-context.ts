/** The RuleContext the engine gives a rule for one station. */
import type { StationConfig } from '@yizhan/station-config/schema';
import type { Thresholds } from '@yizhan/station-config/alert-rules';
import type { AlertDraft, AlertRule, LocalizedText, RuleContext } from './types.js';
import type { AlertEngine } from './engine.js';

/**
 * What a rule sees of one station: a small object per rule and message with its methods on the
 * prototype (a context of closures cost seven function objects per rule and message).
 */
export class StationRuleContext implements RuleContext {
  constructor(
    private readonly engine: AlertEngine,
    private readonly rule: AlertRule,
    private readonly stationId: string,
    readonly station: StationConfig,
    readonly thresholds: Thresholds,
  ) {}

  private fp(key = ''): string {
    return key ? `${this.rule.name}/${this.stationId}/${key}` : `${this.rule.name}/${this.stationId}`;
  }

  isFiring(key?: string): boolean {
    return this.engine.firingNow(this.fp(key));
  }

  ignored(reason: string, detail: Record<string, unknown> = {}): void {
    this.engine.noteIgnored(this.rule, this.stationId, reason, detail);
  }

  fire(d: AlertDraft): void {
    this.engine.fireAlert(this.rule, this.stationId, this.station, this.fp(d.key), d);
  }

  resolve(at: number, note: LocalizedText, key?: string, evidence?: Record<string, unknown>): void {
    this.engine.resolveAlert(this.rule, this.fp(key), at, note, evidence);
  }
}
