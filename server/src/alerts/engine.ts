/**
 * Alert engine: runs the rules over live observations, keeps firing alerts and a bounded history
 * of resolved ones in memory, and emits `alert` on every fire/resolve to announce (webhook, SSE)
 * and `record` on every fire/resolve to keep, restored ones included (the operations store, which
 * is the record that the API reads: alerts/repo.ts).
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { StationRegistry } from '../registry.js';
import type { Observation } from '../state/observation.js';
import type { ObservationListener } from '../ingest/ingest.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import type { StationConfig } from '@yizhan/station-config/schema';
import { DEFAULT_THRESHOLDS, type Thresholds } from '@yizhan/station-config/alert-rules';
import type { Alert, AlertDraft, AlertRule, LocalizedText, RuleContext } from './types.js';

export interface AlertEngineOptions {
  /** Resolved alerts kept in memory (list()); older ones are dropped (counted). The API reads the store. */
  historySize: number;
  /** At most one "observation ignored" log line per rule, station and reason in this many ms. */
  ignoredLogIntervalMs: number;
  /** One station's thresholds (alert-rules.yaml); the schema defaults when not given. */
  thresholdsOf: (stationId: string) => Thresholds;
}
export const DEFAULT_ALERT_ENGINE_OPTIONS: AlertEngineOptions = {
  historySize: 1000,
  ignoredLogIntervalMs: 60_000,
  thresholdsOf: () => DEFAULT_THRESHOLDS,
};

export type AlertFilter = 'firing' | 'resolved' | 'all';

export interface AlertEvents {
  /** A transition to announce (webhook, SSE); not for alerts restored after a restart. */
  alert: [Alert];
  /** Every transition, restored fires included: what the store keeps. */
  record: [Alert];
}

export class AlertEngine extends EventEmitter<AlertEvents> implements ObservationListener {
  private readonly firing = new Map<string, Alert>();
  /** Resolved alerts, oldest first. */
  private readonly history: Alert[] = [];
  private readonly opts: AlertEngineOptions;
  private readonly ignoredLog: LogThrottle;
  /** Observations being restored after a restart (see restore). */
  private restoring = false;

  constructor(
    private readonly registry: StationRegistry,
    private readonly rules: readonly AlertRule[],
    private readonly metrics: Metrics,
    private readonly log: FastifyBaseLogger,
    opts: Partial<AlertEngineOptions> = {},
  ) {
    super();
    this.setMaxListeners(0); // one listener per SSE client
    this.opts = { ...DEFAULT_ALERT_ENGINE_OPTIONS, ...opts };
    this.ignoredLog = new LogThrottle(this.opts.ignoredLogIntervalMs);
    const names = new Set<string>();
    for (const r of rules) {
      if (names.has(r.name)) throw new Error(`alert rule ${r.name} is registered twice`);
      names.add(r.name);
      metrics.alertsFiring.set({ rule: r.name }, 0);
    }
  }

  observe(stationId: string, observations: readonly Observation[]): void {
    for (const rule of this.rules) {
      const ctx = this.context(rule, stationId);
      if (!ctx) return;
      for (const o of observations) {
        try {
          rule.observe(ctx, o);
        } catch (e) {
          this.log.error(
            { rule: rule.name, station: stationId, err: (e as Error).stack },
            'alert rule failed',
          );
        }
      }
    }
  }

  /**
   * Observations restored after a server restart (faults still active in InfluxDB). Rules see them
   * as usual; an alert they fire was announced before the restart, so it is kept firing without a
   * new notification (no webhook, no SSE), with the id it had (ids derive from fingerprint and start).
   */
  restore(stationId: string, observations: readonly Observation[]): void {
    this.restoring = true;
    try {
      this.observe(stationId, observations);
    } finally {
      this.restoring = false;
    }
  }

  /**
   * Alerts the store holds as firing, from before a restart: they fire again without a new
   * notification, with their ids, so rules resolve them as usual and a fault restored from InfluxDB
   * does not fire them a second time. Alerts already firing here are left as they are.
   */
  adopt(alerts: readonly Alert[]): number {
    let n = 0;
    for (const a of alerts) {
      if (a.status !== 'firing' || this.firing.has(a.fingerprint)) continue;
      this.firing.set(a.fingerprint, a);
      this.metrics.alertsFiring.inc({ rule: a.rule });
      n++;
    }
    return n;
  }

  /** Let time-based rules act; call periodically with the wall clock. */
  tick(nowMs: number): void {
    for (const rule of this.rules) {
      if (!rule.tick) continue;
      try {
        rule.tick((id) => this.context(rule, id), nowMs);
      } catch (e) {
        this.log.error({ rule: rule.name, err: (e as Error).stack }, 'alert rule tick failed');
      }
    }
  }

  list(filter: AlertFilter = 'firing'): Alert[] {
    const firing = [...this.firing.values()].sort((a, b) => b.startsAt.localeCompare(a.startsAt));
    const resolved = [...this.history].reverse();
    return filter === 'firing' ? firing : filter === 'resolved' ? resolved : [...firing, ...resolved];
  }

  activeCount(stationId: string): number {
    let n = 0;
    for (const a of this.firing.values()) if (a.stationId === stationId) n++;
    return n;
  }

  private context(rule: AlertRule, stationId: string): RuleContext | undefined {
    const entry = this.registry.get(stationId);
    if (!entry) return undefined;
    return new StationRuleContext(this, rule, stationId, entry.config, this.opts.thresholdsOf(stationId));
  }

  /** @internal RuleContext.ignored of a rule and station. */
  noteIgnored(rule: AlertRule, stationId: string, reason: string, detail: Record<string, unknown>): void {
    this.metrics.alertObservationsIgnored.inc({ rule: rule.name, reason });
    const suppressed = this.ignoredLog.pass(`${rule.name}|${stationId}|${reason}`);
    if (suppressed === undefined) return;
    this.log.info(
      { rule: rule.name, station: stationId, reason, suppressed, ...detail },
      `alert rule ${rule.name} ignored an observation: ${reason}`,
    );
  }

  /** @internal RuleContext.isFiring: the alert with this fingerprint fires. */
  firingNow(fingerprint: string): boolean {
    return this.firing.has(fingerprint);
  }

  /** @internal RuleContext.fire of a rule and station. */
  fireAlert(
    rule: AlertRule,
    stationId: string,
    station: StationConfig,
    fingerprint: string,
    d: AlertDraft,
  ): void {
    if (this.firing.has(fingerprint)) return;
    const startsAt = new Date(d.at).toISOString();
    const alert: Alert = {
      id: alertId(fingerprint, startsAt),
      fingerprint,
      rule: rule.name,
      stationId,
      stationName: station.name,
      township: station.township,
      severity: d.severity,
      status: 'firing',
      startsAt,
      endsAt: null,
      message: d.message,
      resolvedMessage: null,
      evidence: d.evidence,
    };
    this.firing.set(fingerprint, alert);
    this.metrics.alertsFiring.inc({ rule: rule.name });
    this.emit('record', alert);
    if (this.restoring) {
      this.log.info({ alert: alert.id, fingerprint }, `alert still firing after restart: ${d.message.en}`);
      return;
    }
    this.metrics.alertTransitions.inc({ rule: rule.name, status: 'firing' });
    this.log.warn({ alert: alert.id, fingerprint, evidence: d.evidence }, `alert firing: ${d.message.en}`);
    this.emit('alert', alert);
  }

  /** @internal RuleContext.resolve of a rule. */
  resolveAlert(
    rule: AlertRule,
    fingerprint: string,
    at: number,
    note: LocalizedText,
    evidence: Record<string, unknown> | undefined,
  ): void {
    const cur = this.firing.get(fingerprint);
    if (!cur) return;
    this.firing.delete(fingerprint);
    const done: Alert = {
      ...cur,
      status: 'resolved',
      endsAt: new Date(Math.max(at, Date.parse(cur.startsAt))).toISOString(),
      resolvedMessage: note,
      evidence: evidence ? { ...cur.evidence, resolved: evidence } : cur.evidence,
    };
    this.history.push(done);
    if (this.history.length > this.opts.historySize) {
      this.history.splice(0, this.history.length - this.opts.historySize);
      this.metrics.alertHistoryDropped.inc();
    }
    this.metrics.alertsFiring.dec({ rule: rule.name });
    this.metrics.alertTransitions.inc({ rule: rule.name, status: 'resolved' });
    this.log.info({ alert: done.id, fingerprint }, `alert resolved: ${note.en}`);
    this.emit('record', done);
    this.emit('alert', done);
  }
}

/** The same firing (fingerprint and start) has the same id, also across server restarts; UUID-shaped. */
function alertId(fingerprint: string, startsAt: string): string {
  const h = createHash('sha256').update(`${fingerprint}|${startsAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * What a rule sees of one station: a small object per rule and message with its methods on the
 * prototype (a context of closures cost seven function objects per rule and message).
 */
class StationRuleContext implements RuleContext {
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
