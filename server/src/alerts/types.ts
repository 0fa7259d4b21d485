/**
 * Alerts: the contract shared by the rule engine, `GET /api/v1/alerts`, the SSE stream and the
 * webhook. Times are RFC 3339 strings of the station's reading time.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { Thresholds } from '@yizhan/station-config/alert-rules';
import type { Observation } from '../state/observation.js';

/** An alert rule's name: dispenser_broken, serial_link_down … */
export const RULE_NAME_PATTERN = '^[a-z][a-z0-9_]{0,63}$';

export const Severity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')]);
export type Severity = Static<typeof Severity>;

export const LocalizedText = Type.Object(
  { 'zh-CN': Type.String(), en: Type.String() },
  { additionalProperties: false, description: 'The same text in Simplified Chinese and English' },
);
export type LocalizedText = Static<typeof LocalizedText>;

/**
 * What an alert's history records (alert_events.kind): the rule engine's fired/resolved, people's
 * acknowledged/unacknowledged/commented/assigned/closed, the notifier's silenced/suppressed/
 * flapping/notified, the escalation job's reminded/escalated. The API schema and the store's
 * readers and writers all take it from here.
 */
export const AlertEventKind = Type.Union([
  Type.Literal('fired'),
  Type.Literal('resolved'),
  Type.Literal('acknowledged'),
  Type.Literal('unacknowledged'),
  Type.Literal('commented'),
  Type.Literal('silenced'),
  Type.Literal('suppressed'),
  Type.Literal('flapping'),
  Type.Literal('assigned'),
  Type.Literal('closed'),
  Type.Literal('notified'),
  Type.Literal('reminded'),
  Type.Literal('escalated'),
]);
export type AlertEventKind = Static<typeof AlertEventKind>;

export const Alert = Type.Object(
  {
    id: Type.String({
      description:
        'Unique per firing (a new id when the same problem fires again); derived from fingerprint and startsAt, so it survives a server restart',
    }),
    fingerprint: Type.String({
      description: 'rule/station[/key]: the same problem has the same fingerprint',
    }),
    rule: Type.String({ description: 'Rule name: dispenser_broken, serial_link_down' }),
    stationId: Type.String(),
    stationName: Type.String(),
    township: Type.String(),
    severity: Severity,
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    message: LocalizedText,
    resolvedMessage: Type.Union([LocalizedText, Type.Null()]),
    evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'The facts the rule decided on' }),
    suppressedBy: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description:
          'Id of the alert that inhibits this one (the station is dark or its serial link is down, or an outage incident holds it): recorded and shown, not notified',
      }),
    ),
    flapping: Type.Optional(
      Type.Boolean({
        description: 'Changed state too often in the flapping window: notified once as flapping, then left to a person',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Alert = Static<typeof Alert>;

/** What a rule passes to fire an alert. */
export interface AlertDraft {
  /** Distinguishes several alerts of one rule at one station (e.g. per socket); default ''. */
  key?: string;
  severity: Severity;
  message: LocalizedText;
  evidence: Record<string, unknown>;
  /** Station time (ms) the condition started. */
  at: number;
}

/** The engine's handle for one rule at one station. */
export interface RuleContext {
  readonly station: StationConfig;
  /** This station's thresholds (defaults ← township ← station, alert-rules.yaml); may change on reload. */
  readonly thresholds: Thresholds;
  fire(draft: AlertDraft): void;
  /** Resolve the alert for `key` (default '') if it fires; `at` is station time in ms. */
  resolve(at: number, note: LocalizedText, key?: string, evidence?: Record<string, unknown>): void;
  isFiring(key?: string): boolean;
  /**
   * The rule chose not to act on an observation (e.g. a report too old to be live): counted in
   * `yizhan_alert_observations_ignored_total{rule,reason}` and logged, at most once a minute per
   * station and reason.
   */
  ignored(reason: string, detail?: Record<string, unknown>): void;
}

/**
 * A rule: sees every live observation of every station (in station-time order per sensor) and
 * decides to fire or resolve. Rules keep their own per-station memory. Time-based rules that must
 * act without new messages (e.g. "dark station") implement `tick`, called every few seconds.
 */
export interface AlertRule {
  readonly name: string;
  observe(ctx: RuleContext, o: Observation): void;
  tick?(ctxFor: (stationId: string) => RuleContext | undefined, nowMs: number): void;
}
