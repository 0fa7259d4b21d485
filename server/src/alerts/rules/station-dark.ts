/**
 * Rule `station_dark`: the station stopped talking. "Dark" is the one definition of the fleet
 * figures (org/fleet.ts stationState): the agent's will arrived (the broker saw its connection
 * die), or it says online but nothing arrived for `silentFor`.
 *
 * | what the server sees                                   | what the rule does                                   |
 * | ------------------------------------------------------ | ---------------------------------------------------- |
 * | the will (status offline, reason will)                 | dark since the will arrived                          |
 * | online, then no live message for `silentFor`           | dark since the last live message + `silentFor`        |
 * | dark for `for`                                         | **fires** (tick); `startsAt` = when dark began       |
 * | live messages again, spanning `clearFor`               | **resolves**                                         |
 * | a live message before `for` ran out                    | nothing fires                                        |
 * | historical (replayed) readings, late health reports    | ignored (`historical`): they neither fire nor clear  |
 * | a clean shutdown (status offline, no will)             | not dark (the station said goodbye); a firing alert  |
 * |                                                        | stays until the station talks again                  |
 *
 * Clocks: silence has no reading to carry a time, so the dark state and its `for` are measured on
 * the server clock, from when the last live message arrived (or the will arrived). The return is
 * judged on station time: live messages whose own timestamps span `clearFor`. A health report is
 * live when it arrives at most `maxReportAgeMs` after its ts (health has no historical flag).
 *
 * The rule also tells the engine which stations are dark and since when (DarkStations), fired or
 * not, so an outage incident counts every station dark at the same time.
 */
import { stationState } from '../../org/fleet.js';
import type { FleetFacts } from '../../state/store.js';
import { formatDuration } from '../../i18n.js';
import type { Observation } from '../../state/observation.js';
import type { DarkStations } from '../engine-outage.js';
import type { AlertRule, LocalizedText, RuleContext } from '../types.js';

export const STATION_DARK_RULE = 'station_dark';

export interface StationDarkOptions {
  /** A health report arriving later than this after its ts is historical, ms. */
  maxReportAgeMs: number;
  /** Server clock, Unix ms. Default Date.now. */
  now?: () => number;
}

interface Memory {
  facts: FleetFacts;
  /** When the current will arrived (server clock); null without one. */
  willAt: number | null;
  /** When the current dark began (server clock); null while not dark. */
  darkSince: number | null;
  /** Station time of the first live message since the station came back, while the alert fires. */
  backSince: number | null;
  /** silentFor of the station at its last judgement. */
  silentForMs: number;
}

function names(ctx: RuleContext): { zh: string; en: string } {
  const s = ctx.station;
  return { zh: `${s.name}（${s.id}）`, en: `${s.nameEn ?? s.name} (${s.id})` };
}

function firingMessage(ctx: RuleContext, will: boolean, silentForMs: number): LocalizedText {
  const n = names(ctx);
  return will
    ? {
        'zh-CN': `${n.zh}：驿站失联（连接中断，收到遗嘱消息），请检查电源和网络`,
        en: `${n.en}: station dark (its connection died, the will arrived); check power and network`,
      }
    : {
        'zh-CN': `${n.zh}：驿站失联（超过 ${formatDuration(silentForMs, 'zh-CN')}未收到任何消息），请检查电源和网络`,
        en: `${n.en}: station dark (nothing heard for more than ${formatDuration(silentForMs, 'en')}); check power and network`,
      };
}

function backMessage(ctx: RuleContext, darkMs: number): LocalizedText {
  const n = names(ctx);
  return {
    'zh-CN': `${n.zh}：驿站已恢复联系（失联约 ${formatDuration(darkMs, 'zh-CN')}）`,
    en: `${n.en}: station talking again (dark for about ${formatDuration(darkMs, 'en')})`,
  };
}

export function stationDarkRule(opts: Partial<StationDarkOptions> = {}): AlertRule & DarkStations {
  return new StationDarkRule({ maxReportAgeMs: 60_000, ...opts });
}

class StationDarkRule implements AlertRule, DarkStations {
  readonly name = STATION_DARK_RULE;
  private readonly mem = new Map<string, Memory>();
  private readonly now: () => number;
  /** Server time of the latest judgement (darkStations answers for it). */
  private lastNow = 0;

  constructor(private readonly opts: StationDarkOptions) {
    this.now = opts.now ?? Date.now;
  }

  observe(ctx: RuleContext, o: Observation): void {
    const now = this.now();
    const m = this.memoryOf(ctx.station.id);
    if (!this.live(ctx, o, now)) return;
    m.facts.heardAt = now;
    if (o.type === 'status') {
      m.facts.online = o.online;
      m.facts.offlineReason = o.online ? null : (o.reason ?? null);
      m.willAt = !o.online && o.reason === 'will' ? (o.at ?? now) : null;
    } else if (m.facts.online === null) m.facts.online = true;
    this.judge(ctx, m, now, o.ts);
  }

  tick(ctxFor: (stationId: string) => RuleContext | undefined, nowMs: number): void {
    for (const [id, m] of this.mem) {
      const ctx = ctxFor(id);
      if (ctx) this.judge(ctx, m, nowMs, null);
    }
  }

  *darkStations(): Iterable<readonly [string, number]> {
    for (const [id, m] of this.mem) {
      const since = m.darkSince ?? this.darkStart(m, this.lastNow);
      if (since !== null) yield [id, since];
    }
  }

  /** Historical readings and late health reports do not count as the station talking. */
  private live(ctx: RuleContext, o: Observation, now: number): boolean {
    const historical =
      ((o.type === 'reading' || o.type === 'fault') && o.historical) ||
      (o.type === 'health' && now - o.ts > this.opts.maxReportAgeMs);
    if (historical) ctx.ignored('historical', { ts: new Date(o.ts).toISOString(), type: o.type });
    return !historical;
  }

  private memoryOf(id: string): Memory {
    let m = this.mem.get(id);
    if (!m) {
      const facts = {
        online: null,
        offlineReason: null,
        heardAt: null,
        agentVersion: null,
        serialUp: null,
        config: null,
      };
      m = { facts, willAt: null, darkSince: null, backSince: null, silentForMs: 0 };
      this.mem.set(id, m);
    }
    return m;
  }

  /** When the station's current dark began (server clock), or null when it is not dark at `now`. */
  private darkStart(m: Memory, now: number): number | null {
    if (stationState(m.facts, now, m.silentForMs) !== 'dark') return null;
    if (m.facts.online === false) return m.willAt ?? now;
    return (m.facts.heardAt ?? now) + m.silentForMs;
  }

  /** `ts`: station time of the live message judged now; null on a tick. */
  private judge(ctx: RuleContext, m: Memory, now: number, ts: number | null): void {
    this.lastNow = now;
    const t = ctx.thresholds.station_dark;
    m.silentForMs = t.silentForMs;
    const since = this.darkStart(m, now);
    if (since !== null) {
      m.darkSince ??= since;
      m.backSince = null;
      if (!ctx.isFiring() && now - m.darkSince >= t.forMs) this.fire(ctx, m, m.darkSince);
      return;
    }
    if (!ctx.isFiring()) {
      m.darkSince = null;
      return;
    }
    if (ts === null || m.facts.online !== true) return;
    m.backSince ??= ts;
    if (ts - m.backSince < t.clearForMs) return;
    const darkMs = Math.max(0, m.backSince - (m.darkSince ?? m.backSince));
    ctx.resolve(ts, backMessage(ctx, darkMs), undefined, { backSince: new Date(m.backSince).toISOString() });
    m.darkSince = null;
    m.backSince = null;
  }

  private fire(ctx: RuleContext, m: Memory, since: number): void {
    const will = m.facts.online === false;
    ctx.fire({
      severity: ctx.thresholds.station_dark.severity,
      at: since,
      message: firingMessage(ctx, will, m.silentForMs),
      evidence: {
        cause: will ? 'will' : 'silence',
        darkSince: new Date(since).toISOString(),
        lastHeardAt: m.facts.heardAt === null ? null : new Date(m.facts.heardAt).toISOString(),
        silentForMs: m.silentForMs,
        forMs: ctx.thresholds.station_dark.forMs,
      },
    });
  }
}
