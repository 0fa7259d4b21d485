/**
 * Alert engine: runs the rules over live observations, keeps firing alerts and a bounded history
 * of resolved ones in memory, and emits `alert` on every fire/resolve to announce (webhook, SSE)
 * and `record` on every fire/resolve to keep, restored ones included (the operations store, which
 * is the record that the API reads: alerts/repo.ts).
 *
 * Per station it applies alert-rules.yaml (thresholdsOf): a rule disabled there gets no context
 * (its firing alerts resolve, "rule disabled"); rules take their severity from the file. Flapping
 * damping is in engine-flapping.ts; outage incidents and inhibition (suppressedBy) in
 * engine-outage.ts.
 */
import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { StationRegistry } from '../registry.js';
import type { Observation } from '../state/observation.js';
import type { ObservationListener } from '../ingest/ingest.js';
import { LogThrottle } from '@yizhan/common/log-throttle';
import type { StationConfig } from '@yizhan/station-config/schema';
import {
  DEFAULT_THRESHOLDS,
  RULE_NAMES,
  resolveFlapping,
  resolveOutage,
  type FlappingThresholds,
  type OutageThresholds,
  type RuleName,
  type Thresholds,
} from '@yizhan/station-config/alert-rules';
import type { Alert, AlertDraft, AlertRule, LocalizedText, RuleContext } from './types.js';
import { FlapTracker } from './engine-flapping.js';
import { StationRuleContext } from './engine-context.js';
import {
  OUTAGE,
  OutageIncidents,
  STATION_DARK,
  alertId,
  inhibitorOf,
  isDarkStations,
  type IncidentHost,
} from './engine-outage.js';

export interface AlertEngineOptions {
  /** Resolved alerts kept in memory (list()); older ones are dropped (counted). The API reads the store. */
  historySize: number;
  /** At most one "observation ignored" log line per rule, station and reason in this many ms. */
  ignoredLogIntervalMs: number;
  /** One station's thresholds (alert-rules.yaml); the schema defaults when not given. Read at every observation. */
  thresholdsOf: (stationId: string) => Thresholds;
  /** Flapping damping settings (alert-rules.yaml `flapping`); read at every change. */
  flapping: () => FlappingThresholds;
  /** Outage incident settings (alert-rules.yaml `outage`). */
  outage: () => OutageThresholds;
  /** A station's township code (role grants, incidents); default: the station file's township. */
  townshipOf?: (stationId: string) => string | undefined;
}
const DEFAULT_FLAPPING = resolveFlapping({});
const DEFAULT_OUTAGE = resolveOutage({});
export const DEFAULT_ALERT_ENGINE_OPTIONS: AlertEngineOptions = {
  historySize: 1000,
  ignoredLogIntervalMs: 60_000,
  thresholdsOf: () => DEFAULT_THRESHOLDS,
  flapping: () => DEFAULT_FLAPPING,
  outage: () => DEFAULT_OUTAGE,
};

const RULE_DISABLED: LocalizedText = { 'zh-CN': '规则已停用', en: 'rule disabled' };
const NOT_FLAPPING: LocalizedText = { 'zh-CN': '已不再抖动', en: 'no longer flapping' };
const REVIEWED: LocalizedText = { 'zh-CN': '已由人员复核', en: 'reviewed by a person' };
const isRuleName = (n: string): n is RuleName => (RULE_NAMES as string[]).includes(n);

export type AlertFilter = 'firing' | 'resolved' | 'all';

export interface AlertEvents {
  /** A transition to announce (webhook, SSE); not for alerts restored after a restart. */
  alert: [Alert];
  /** Every transition, restored fires included: what the store keeps. */
  record: [Alert];
}

export class AlertEngine extends EventEmitter<AlertEvents> implements ObservationListener, IncidentHost {
  private readonly firing = new Map<string, Alert>();
  private readonly flaps: FlapTracker;
  private readonly incidents: OutageIncidents;
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
    metrics.alertsFiring.set({ rule: OUTAGE }, 0);
    this.flaps = new FlapTracker(() => this.opts.flapping());
    const dark = rules.find((r) => r.name === STATION_DARK);
    this.incidents = new OutageIncidents(
      this,
      () => this.opts.outage(),
      () => (isDarkStations(dark) ? dark : undefined),
    );
  }

  observe(stationId: string, observations: readonly Observation[]): void {
    const entry = this.registry.get(stationId);
    if (!entry) return;
    const thresholds = this.opts.thresholdsOf(stationId);
    let latest = -Infinity;
    for (const o of observations) if (o.ts > latest) latest = o.ts;
    for (const rule of this.rules) {
      if (!this.enabled(thresholds, rule.name)) {
        this.resolveDisabled(rule.name, stationId, latest);
        continue;
      }
      const ctx = new StationRuleContext(this, rule, stationId, entry.config, thresholds);
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
    this.settleFlapping(latest, stationId);
  }

  /**
   * Observations restored after a server restart (faults still active in InfluxDB). Rules see them
   * as usual; an alert they fire is recorded with the id it had (ids derive from fingerprint and
   * start) but not announced (no SSE, no log line): the store notifies it only if it never held it.
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
      if (a.flapping) this.flaps.held.set(a.fingerprint, { stationId: a.stationId, ruleFiring: true, clearSince: null });
      n++;
    }
    this.incidents.adopt(alerts);
    return n;
  }

  /**
   * A person reviewed a flapping alert (the lifecycle's close): the engine stops holding it. If the
   * rule's condition is clear it resolves now; otherwise it keeps firing as an ordinary alert.
   * False when the engine holds no flapping alert with this fingerprint.
   */
  review(fingerprint: string, at: number = Date.now()): boolean {
    const h = this.flaps.held.get(fingerprint);
    if (!h) return false;
    this.flaps.held.delete(fingerprint);
    this.flaps.forget(fingerprint);
    if (!h.ruleFiring) this.commitResolve(fingerprint, Math.max(at, h.clearSince ?? at), REVIEWED);
    return true;
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
    this.settleFlapping(nowMs);
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
    const thresholds = this.opts.thresholdsOf(stationId);
    if (!this.enabled(thresholds, rule.name)) return undefined;
    return new StationRuleContext(this, rule, stationId, entry.config, thresholds);
  }

  private enabled(t: Thresholds, rule: string): boolean {
    return !isRuleName(rule) || t[rule].enabled;
  }

  /** A rule disabled at a station: its firing alerts there resolve (at station time `at`). */
  private resolveDisabled(rule: string, stationId: string, at: number): void {
    const prefix = `${rule}/${stationId}`;
    for (const fp of [...this.firing.keys()])
      if (fp === prefix || fp.startsWith(`${prefix}/`)) {
        this.flaps.held.delete(fp);
        this.commitResolve(fp, Number.isFinite(at) ? at : Date.now(), RULE_DISABLED);
      }
  }

  /** Held flapping alerts (of one station, or all) whose condition stayed clear a whole window. */
  private settleFlapping(now: number, stationId?: string): void {
    if (this.flaps.held.size === 0 || !Number.isFinite(now)) return;
    for (const { fp, at } of this.flaps.settled(now, stationId)) {
      this.flaps.held.delete(fp);
      this.flaps.forget(fp);
      this.commitResolve(fp, at, NOT_FLAPPING);
    }
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

  /** @internal RuleContext.isFiring: the alert with this fingerprint fires, as far as its rule knows. */
  firingNow(fingerprint: string): boolean {
    const h = this.flaps.held.get(fingerprint);
    return h ? h.ruleFiring : this.firing.has(fingerprint);
  }

  /** @internal IncidentHost */
  firingAlert(fp: string): Alert | undefined {
    return this.firing.get(fp);
  }

  /** @internal IncidentHost */
  townshipOf(stationId: string): string {
    return this.opts.townshipOf?.(stationId) ?? this.registry.get(stationId)?.config.township ?? '';
  }

  /** @internal IncidentHost */
  townshipNameOf(stationId: string): string {
    return this.registry.get(stationId)?.config.township ?? '';
  }

  /** @internal RuleContext.fire of a rule and station. */
  fireAlert(
    rule: AlertRule,
    stationId: string,
    station: StationConfig,
    fingerprint: string,
    d: AlertDraft,
  ): void {
    const held = this.flaps.held.get(fingerprint);
    if (held) {
      held.ruleFiring = true;
      held.clearSince = null;
      return;
    }
    if (this.firing.has(fingerprint)) return;
    const startsAt = new Date(d.at).toISOString();
    // The rule decides (it reads its thresholds' severity; water_low raises an empty tank to critical).
    const severity = d.severity;
    const alert: Alert = {
      id: alertId(fingerprint, startsAt),
      fingerprint,
      rule: rule.name,
      stationId,
      stationName: station.name,
      township: station.township,
      severity,
      status: 'firing',
      startsAt,
      endsAt: null,
      message: d.message,
      resolvedMessage: null,
      evidence: d.evidence,
    };
    if (!this.restoring && this.flaps.note(fingerprint, d.at)) {
      alert.flapping = true;
      this.flaps.held.set(fingerprint, { stationId, ruleFiring: true, clearSince: null });
    }
    const by =
      rule.name === STATION_DARK
        ? this.incidents.onDark(stationId, d.at)
        : inhibitorOf(this, rule.name, stationId);
    if (by !== undefined) alert.suppressedBy = by;
    this.commitFire(alert);
  }

  /** @internal IncidentHost: a new alert fires; recorded, and announced unless restoring. */
  commitFire(alert: Alert): void {
    this.firing.set(alert.fingerprint, alert);
    this.metrics.alertsFiring.inc({ rule: alert.rule });
    this.emit('record', alert);
    const { id, fingerprint } = alert;
    if (this.restoring) {
      this.log.info({ alert: id, fingerprint }, `alert still firing after restart: ${alert.message.en}`);
      return;
    }
    this.metrics.alertTransitions.inc({ rule: alert.rule, status: 'firing' });
    const { evidence, suppressedBy, flapping } = alert;
    this.log.warn(
      { alert: id, fingerprint, evidence, suppressedBy, flapping },
      `alert firing: ${alert.message.en}`,
    );
    this.emit('alert', alert);
  }

  /** @internal IncidentHost: a firing alert changed (suppressedBy, an incident's stations); recorded only. */
  commitUpdate(alert: Alert): void {
    if (!this.firing.has(alert.fingerprint)) return;
    this.firing.set(alert.fingerprint, alert);
    this.emit('record', alert);
  }

  /** @internal RuleContext.resolve of a rule. */
  resolveAlert(
    _rule: AlertRule,
    fingerprint: string,
    at: number,
    note: LocalizedText,
    evidence: Record<string, unknown> | undefined,
  ): void {
    const held = this.flaps.held.get(fingerprint);
    if (held) {
      if (held.ruleFiring) held.clearSince = at;
      held.ruleFiring = false;
      return;
    }
    if (!this.firing.has(fingerprint)) return;
    if (!this.restoring) this.flaps.note(fingerprint, at);
    this.commitResolve(fingerprint, at, note, evidence);
  }

  /** @internal IncidentHost: resolve the firing alert `fp` at station time `at`. */
  commitResolve(fp: string, at: number, note: LocalizedText, evidence?: Record<string, unknown>): void {
    const cur = this.firing.get(fp);
    if (!cur) return;
    this.firing.delete(fp);
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
    this.metrics.alertsFiring.dec({ rule: cur.rule });
    this.metrics.alertTransitions.inc({ rule: cur.rule, status: 'resolved' });
    this.log.info({ alert: done.id, fingerprint: fp }, `alert resolved: ${note.en}`);
    this.emit('record', done);
    this.emit('alert', done);
    if (cur.rule === STATION_DARK) this.incidents.onBack(cur.stationId, at);
  }
}
