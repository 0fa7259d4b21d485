/**
 * Rule `serial_link_down`: a station's edge agent has not been hearing its sensor controller for
 * longer than the hold time (`serial_link_down.for` in alert-rules.yaml, per station). The cable was pulled or the controller went silent, so the station's
 * screen and data have gone stale. Severity `warning`.
 *
 * The agent reports the link in its `health` message (`serial.state` up/down, `port`,
 * `lastFrameAgeMs`). It sends one every 30 s and one at once on every link change. The `status`
 * message does not carry the link state, so the rule reads status only for online/offline and
 * for the boot.
 *
 * | what the server sees                                     | what the rule does                                  |
 * | -------------------------------------------------------- | --------------------------------------------------- |
 * | a live health `down`                                     | the hold starts at its `ts`, unless already running |
 * | a live health `down` at least `hold` after the first one | **fires**; `startsAt` = the first down report       |
 * | a live health `up`                                       | hold cancelled; a firing alert **resolves**         |
 * | one health report missing or late                        | nothing: the next report decides (no flapping)      |
 * | no more reports at all (agent dead, network gone)        | nothing fires: a silent agent is a dark station     |
 * | health older than `maxReportAge` on arrival (spool       | ignored, counted `historical` in                    |
 * | replay, broker backlog after a server restart)           | `yizhan_alert_observations_ignored_total`           |
 * | status offline (will or shutdown): the station is dark   | hold cancelled; health seen while dark is ignored   |
 * |                                                          | (counted `offline`)                                 |
 * | the station goes dark while the alert fires              | it **stays firing**: no false all-clear (being dark |
 * |                                                          | is a separate problem); the first live health after |
 * |                                                          | the station returns resolves it or keeps it         |
 * | a new agent boot (a status or health with a new bootId)  | the old boot's hold is dropped; the new boot's      |
 * |                                                          | first health resolves (up) or starts a hold (down)  |
 * | health of an earlier boot, stamped before the current    | ignored, counted `old_boot`                         |
 * | boot's online status                                     |                                                     |
 *
 * Only live reports fire. The hold is measured on the station's clock, between the first and the
 * latest down report. With the agent's 30 s health period the alert fires between `hold` and
 * `hold` + 30 s after the link went down. The rule has no timer of its own. Firing without a new
 * report would mean firing for an agent that has gone quiet, which is a dark station. That holds
 * even when the offline status is lost or late. The server clock is used in one place: a report
 * is live when it arrives at most `maxReportAge` after its `ts`, because health has no
 * `historical` flag. A station clock running more than that behind makes every report look
 * historical. The alert then never fires, and the ignored counter grows.
 */
import { parseDuration, type HealthPayload } from '@yizhan/protocol';
import { formatDuration } from '../../i18n.js';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, LocalizedText, RuleContext } from '../types.js';

export const SERIAL_LINK_DOWN = 'serial_link_down';

export interface SerialLinkDownOptions {
  /**
   * Deprecated: the hold for every station, a duration with its unit (e.g. `"1min"`). Without it
   * the hold is each station's `serial_link_down.for` in alert-rules.yaml (the server turns
   * YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD into that file's default).
   */
  hold?: string;
  /**
   * Health reports arriving later than this after their own `ts` are historical (replayed): a
   * duration with its unit, e.g. `"1min"`. Allows for network delay and the station's clock error.
   */
  maxReportAge: string;
  /** Server clock, Unix ms, read when a report arrives. Default `Date.now`. */
  now?: () => number;
}

/** Reports live up to `1min` after their ts; the hold comes from the thresholds. */
export const DEFAULT_SERIAL_LINK_DOWN_OPTIONS: Readonly<SerialLinkDownOptions> = {
  maxReportAge: '1min',
};

/** The rule's settings cannot work; fix the configuration (retrying does not help). */
export class SerialLinkDownConfigError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SerialLinkDownConfigError';
  }
}

interface Report {
  /** Station time of the report. */
  ts: number;
  port: string;
  lastFrameAgeMs: number | null;
  bootId: string;
}

interface StationMemory {
  /** The latest status said offline: nothing fires until it is online again. */
  dark: boolean;
  /** Boot of the latest status or live health. */
  bootId: string | null;
  /** Time of the online status that announced that boot (null: learnt from a health report). */
  bootSince: number | null;
  /** Station time of the first live down report of the current outage; null = link up or unknown. */
  downSince: number | null;
  /** While firing: the outage's start and the boot that reported it, for the resolve note. */
  firing: { since: number; bootId: string } | null;
}

function ms(name: keyof SerialLinkDownOptions, value: string): number {
  const d = parseDuration(value);
  if (!d.ok) throw new SerialLinkDownConfigError(`${SERIAL_LINK_DOWN}: ${name} "${value}": ${d.message}`);
  if (d.ms <= 0)
    throw new SerialLinkDownConfigError(`${SERIAL_LINK_DOWN}: ${name} must be above 0, got "${value}"`);
  return d.ms;
}

/** `Name（id）` / `Name (id)` as the alert texts name a station. */
function names(ctx: RuleContext): { zh: string; en: string } {
  const s = ctx.station;
  return { zh: `${s.name}（${s.id}）`, en: `${s.nameEn ?? s.name} (${s.id})` };
}

function firingMessage(n: { zh: string; en: string }, r: Report, holdMs: number): LocalizedText {
  const hold = { zh: formatDuration(holdMs, 'zh-CN'), en: formatDuration(holdMs, 'en') };
  const age = r.lastFrameAgeMs;
  const tail =
    age === null
      ? {
          zh: `串口 ${r.port}，代理启动后未收到过数据帧`,
          en: `port ${r.port}, no frame since the agent started`,
        }
      : {
          zh: `串口 ${r.port}，最后一帧在 ${formatDuration(age, 'zh-CN')}前`,
          en: `port ${r.port}, last frame ${formatDuration(age, 'en')} ago`,
        };
  return {
    'zh-CN': `${n.zh}：传感器控制器串口连接中断已超过 ${hold.zh}（${tail.zh}），请检查串口线和控制器电源`,
    en: `${n.en}: serial link to the sensor controller down for more than ${hold.en} (${tail.en}); check the cable and the controller's power`,
  };
}

function resolvedMessage(
  n: { zh: string; en: string },
  r: Report,
  since: number | null,
  newBoot: boolean,
): LocalizedText {
  const lasted =
    since === null
      ? null
      : { zh: formatDuration(r.ts - since, 'zh-CN'), en: formatDuration(r.ts - since, 'en') };
  const why: LocalizedText = newBoot
    ? { 'zh-CN': '重启后的边缘代理报告串口正常', en: 'the restarted edge agent reports the link up' }
    : { 'zh-CN': '控制器数据帧恢复', en: 'frames from the controller arrive again' };
  return {
    'zh-CN': `${n.zh}：串口连接已恢复（${why['zh-CN']}${lasted ? `，中断约 ${lasted.zh}` : ''}）`,
    en: `${n.en}: serial link back up (${why.en}${lasted ? `; it was down for about ${lasted.en}` : ''})`,
  };
}

export function serialLinkDownRule(opts: Partial<SerialLinkDownOptions> = {}): AlertRule {
  return new SerialLinkDownRule({ ...DEFAULT_SERIAL_LINK_DOWN_OPTIONS, ...opts });
}

class SerialLinkDownRule implements AlertRule {
  readonly name = SERIAL_LINK_DOWN;
  /** The deprecated fixed hold; undefined: each station's thresholds. */
  private readonly holdMs: number | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly mem = new Map<string, StationMemory>();

  constructor(o: SerialLinkDownOptions) {
    this.holdMs = o.hold === undefined ? undefined : ms('hold', o.hold);
    this.maxAgeMs = ms('maxReportAge', o.maxReportAge);
    this.now = o.now ?? Date.now;
  }

  observe(ctx: RuleContext, obs: Observation): void {
    const m = this.memoryOf(ctx.station.id);
    switch (obs.type) {
      case 'status':
        if (!obs.online) {
          m.dark = true;
          m.downSince = null;
          return;
        }
        m.dark = false;
        if (m.bootId !== obs.bootId) {
          m.downSince = null;
          m.bootSince = obs.ts;
        }
        m.bootId = obs.bootId;
        return;
      case 'health':
        this.onHealth(ctx, m, obs.ts, obs.health);
        return;
      case 'reading':
      case 'fault':
      case 'hello':
      case 'config':
        return;
    }
  }

  private memoryOf(id: string): StationMemory {
    let m = this.mem.get(id);
    if (!m) {
      m = { dark: false, bootId: null, bootSince: null, downSince: null, firing: null };
      this.mem.set(id, m);
    }
    return m;
  }

  private onHealth(ctx: RuleContext, m: StationMemory, ts: number, h: HealthPayload): void {
    const arrived = this.now();
    const lateBy = arrived - ts;
    if (lateBy > this.maxAgeMs) {
      ctx.ignored('historical', { ts: new Date(ts).toISOString(), lateByMs: lateBy, state: h.serial.state });
      return;
    }
    if (m.dark) {
      ctx.ignored('offline', { ts: new Date(ts).toISOString(), state: h.serial.state });
      return;
    }
    if (m.bootId !== null && m.bootId !== h.bootId) {
      // Sent by an earlier boot before the current one came online (e.g. left in its spool).
      if (m.bootSince !== null && ts < m.bootSince) {
        ctx.ignored('old_boot', { ts: new Date(ts).toISOString(), bootId: h.bootId });
        return;
      }
      // A boot whose status was not seen: the old boot's outage is not this boot's.
      m.downSince = null;
      m.bootSince = null;
    }
    m.bootId = h.bootId;
    const r: Report = { ts, port: h.serial.port, lastFrameAgeMs: h.serial.lastFrameAgeMs, bootId: h.bootId };
    if (h.serial.state === 'up') {
      m.downSince = null;
      this.resolve(ctx, m, r);
      return;
    }
    m.downSince ??= ts;
    this.check(ctx, m, r);
  }

  /** Fire when the latest down report `r` is at least `hold` after the first one. */
  private check(ctx: RuleContext, m: StationMemory, r: Report): void {
    if (m.downSince === null || ctx.isFiring()) return;
    const downFor = r.ts - m.downSince;
    const holdMs = this.holdMs ?? ctx.thresholds.serial_link_down.forMs;
    if (downFor < holdMs) return;
    m.firing = { since: m.downSince, bootId: r.bootId };
    ctx.fire({
      severity: ctx.thresholds.serial_link_down.severity,
      at: m.downSince,
      evidence: {
        port: r.port,
        lastFrameAgeMs: r.lastFrameAgeMs,
        downSince: new Date(m.downSince).toISOString(),
        downForMs: downFor,
        holdMs,
        bootId: r.bootId,
        lastReportAt: new Date(r.ts).toISOString(),
      },
      message: firingMessage(names(ctx), r, holdMs),
    });
  }

  private resolve(ctx: RuleContext, m: StationMemory, r: Report): void {
    const f = m.firing;
    m.firing = null;
    if (!ctx.isFiring()) return;
    const newBoot = f !== null && f.bootId !== r.bootId;
    ctx.resolve(r.ts, resolvedMessage(names(ctx), r, f?.since ?? null, newBoot), undefined, {
      port: r.port,
      bootId: r.bootId,
      newBoot,
      at: new Date(r.ts).toISOString(),
    });
  }
}
