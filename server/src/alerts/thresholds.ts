/**
 * The alert rules' thresholds the server runs with: alert-rules.yaml loaded and resolved per
 * station (cached; the cache is rebuilt on reload, so rules see new thresholds at their next
 * observation). A reload that finds problems keeps the previous thresholds and returns the
 * problems (`file:line path: message`).
 *
 * `base` sits under the file's own defaults: the deprecated YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD
 * becomes `serial_link_down.for` there, so the file overrides it where it says otherwise.
 */
import { Counter, type Registry } from 'prom-client';
import {
  RULE_NAMES,
  RuleSettingsSchemas,
  resolveFlapping,
  resolveOutage,
  resolveThresholds,
  type AlertRulesFile,
  type FlappingThresholds,
  type OutageThresholds,
  type RuleOverrides,
  type Thresholds,
} from '@yizhan/station-config/alert-rules';
import { loadAlertRulesFile, type AlertRulesLoadOptions } from '@yizhan/station-config/alert-rules-load';
import { formatIssue, type ConfigIssue } from '@yizhan/station-config/load';

export type ThresholdLevel = 'default' | 'township' | 'station';

export interface AlertThresholdsOptions {
  /** The file; undefined: the schema defaults (and reload has nothing to read). */
  file: string | undefined;
  /** Overrides under the file's defaults (deprecated settings). */
  base?: RuleOverrides;
  /** A station's township code. */
  townshipOf: (stationId: string) => string | undefined;
  /** What township codes and station ids in the file are checked against. */
  names: () => AlertRulesLoadOptions;
  registry?: Registry;
}

export type ReloadResult = { ok: true; file: string | undefined } | { ok: false; issues: ConfigIssue[] };

export class AlertThresholds {
  private rules: AlertRulesFile;
  private readonly cache = new Map<string, Thresholds>();
  private flappingNow: FlappingThresholds;
  private outageNow: OutageThresholds;
  private readonly reloads: Counter<'result'>;

  constructor(
    private readonly opts: AlertThresholdsOptions,
    initial: AlertRulesFile,
  ) {
    this.rules = this.withBase(initial);
    this.flappingNow = resolveFlapping(this.rules);
    this.outageNow = resolveOutage(this.rules);
    this.reloads = new Counter({
      name: 'yizhan_alert_rules_reloads_total',
      help: 'Reloads of alert-rules.yaml, by result (ok, error: the previous thresholds stay)',
      labelNames: ['result'] as const,
      registers: opts.registry ? [opts.registry] : [],
    });
    for (const result of ['ok', 'error']) this.reloads.inc({ result }, 0);
  }

  get file(): string | undefined {
    return this.opts.file;
  }

  of(stationId: string): Thresholds {
    let t = this.cache.get(stationId);
    if (!t) {
      t = resolveThresholds(this.rules, stationId, this.opts.townshipOf(stationId));
      this.cache.set(stationId, t);
    }
    return t;
  }

  get flapping(): FlappingThresholds {
    return this.flappingNow;
  }

  get outage(): OutageThresholds {
    return this.outageNow;
  }

  /** Per rule and setting, the level that set the station's value. */
  sources(stationId: string): Record<string, Record<string, ThresholdLevel>> {
    const code = this.opts.townshipOf(stationId);
    const t = code === undefined ? undefined : this.rules.townships?.[code];
    const s = this.rules.stations?.[stationId];
    const out: Record<string, Record<string, ThresholdLevel>> = {};
    for (const rule of RULE_NAMES) {
      const fields: Record<string, ThresholdLevel> = {};
      for (const k of Object.keys(RuleSettingsSchemas[rule].properties)) {
        const set = (o: RuleOverrides | undefined) =>
          (o?.[rule] as Record<string, unknown> | undefined)?.[k] !== undefined;
        fields[k] = set(s) ? 'station' : set(t) ? 'township' : 'default';
      }
      out[rule] = fields;
    }
    return out;
  }

  /** Read the file again; on any problem the previous thresholds stay. */
  reload(): ReloadResult {
    if (this.opts.file === undefined) {
      this.reloads.inc({ result: 'ok' });
      return { ok: true, file: undefined };
    }
    const r = loadAlertRulesFile(this.opts.file, this.opts.names());
    if (!r.rules) {
      this.reloads.inc({ result: 'error' });
      return { ok: false, issues: r.issues };
    }
    this.rules = this.withBase(r.rules);
    this.flappingNow = resolveFlapping(this.rules);
    this.outageNow = resolveOutage(this.rules);
    this.cache.clear();
    this.reloads.inc({ result: 'ok' });
    return { ok: true, file: this.opts.file };
  }

  private withBase(f: AlertRulesFile): AlertRulesFile {
    const base = this.opts.base;
    if (!base) return f;
    const defaults: Record<string, object> = { ...base };
    for (const [k, v] of Object.entries(f.defaults ?? {})) defaults[k] = { ...defaults[k], ...v };
    return { ...f, defaults };
  }
}

/** Problems one per line, for logs and start-up refusals. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${formatIssue(i)}`).join('\n');
}
