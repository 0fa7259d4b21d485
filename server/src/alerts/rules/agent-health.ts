/**
 * Rule `agent_health`: the edge agent's own health, from its `health` reports (every 30 s). Three
 * alerts per station, by key:
 *
 * | key     | fires when                                                         | resolves when                 |
 * | ------- | ------------------------------------------------------------------ | ----------------------------- |
 * | `spool` | spool.depth ≥ `spoolDepth` or spool.oldestAgeMs ≥ `spoolOldest`,    | both under again for          |
 * |         | for `for` (the spool nears full: the agent will start dropping)    | `clearFor`                    |
 * | `disk`  | spool.writeErrors rose by ≥ `diskErrors` since the previous report | no new errors for `clearFor`  |
 * |         | of the same boot: at once (the disk refused messages)              |                               |
 * | `clock` | the report's `ts` is off by more than `clockSkew` from when the    | within `clockSkew` again for  |
 * |         | server received it, for `for`                                      | `clearFor`                    |
 *
 * spool and disk are judged on the reports' own `ts`. The clock cannot be: it is the station clock
 * being judged, so the clock hold runs on the server's receive time (`receivedAt`, set by ingest);
 * a backlog of old reports delivered at once after an outage is over in seconds and does not last
 * the `for` hold. A new agent boot restarts its writeErrors counter (not a drop in errors).
 */
import type { HealthPayload } from '@yizhan/protocol';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { duration, HoldBook, iso, say } from './support.js';

export const AGENT_HEALTH = 'agent_health';

interface Agent {
  bootId: string;
  writeErrors: number | null;
}

export function agentHealthRule(): AlertRule {
  return new AgentHealthRule();
}

class AgentHealthRule implements AlertRule {
  readonly name = AGENT_HEALTH;
  private readonly agents = new Map<string, Agent>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    if (o.type !== 'health' || !ctx.thresholds.agent_health.enabled) return;
    this.spool(ctx, o.ts, o.health);
    this.disk(ctx, o.ts, o.health);
    if (o.receivedAt !== undefined) this.clock(ctx, o.ts, o.receivedAt);
  }

  private spool(ctx: RuleContext, ts: number, h: HealthPayload): void {
    const t = ctx.thresholds.agent_health;
    const depth = h.spool?.depth ?? 0;
    const oldest = h.spool?.oldestAgeMs ?? 0;
    const bad = depth >= t.spoolDepth || oldest >= t.spoolOldestMs;
    this.holds.judge(
      ctx,
      'spool',
      ts,
      { forMs: t.forMs, clearForMs: t.clearForMs },
      { bad, clear: !bad },
      {
        fire: () => ({
          severity: t.severity,
          message: say(
            ctx,
            `边缘代理缓存积压：${depth} 条，最早一条已 ${duration(oldest).zh}未发出（上限 ${t.spoolDepth} 条 / ${duration(t.spoolOldestMs).zh}）`,
            `edge agent spool backing up: ${depth} messages, the oldest unsent for ${duration(oldest).en} (limits ${t.spoolDepth} / ${duration(t.spoolOldestMs).en})`,
          ),
          evidence: {
            depth,
            oldestAgeMs: oldest,
            dropped: h.spool?.dropped ?? 0,
            spoolDepth: t.spoolDepth,
            spoolOldestMs: t.spoolOldestMs,
            reportAt: iso(ts),
          },
        }),
        resolve: () => ({
          note: say(
            ctx,
            `边缘代理缓存已恢复（${depth} 条）`,
            `edge agent spool back to normal (${depth} messages)`,
          ),
          evidence: { depth, oldestAgeMs: oldest },
        }),
      },
    );
  }

  private disk(ctx: RuleContext, ts: number, h: HealthPayload): void {
    const t = ctx.thresholds.agent_health;
    const errors = h.spool?.writeErrors;
    let a = this.agents.get(ctx.station.id);
    if (!a || a.bootId !== h.bootId) {
      a = { bootId: h.bootId, writeErrors: null };
      this.agents.set(ctx.station.id, a);
    }
    const rise = errors === undefined || a.writeErrors === null ? 0 : Math.max(0, errors - a.writeErrors);
    if (errors !== undefined) a.writeErrors = errors;
    const bad = rise >= t.diskErrors;
    this.holds.judge(
      ctx,
      'disk',
      ts,
      { forMs: 0, clearForMs: t.clearForMs },
      { bad, clear: rise === 0 },
      {
        fire: () => ({
          severity: t.severity,
          message: say(
            ctx,
            `边缘代理磁盘写入失败：新增 ${rise} 次（累计 ${errors}），缓存只能暂存内存`,
            `edge agent disk write errors: ${rise} new (${errors} in all); the spool is held in memory`,
          ),
          evidence: {
            writeErrors: errors,
            rise,
            diskErrors: t.diskErrors,
            bootId: h.bootId,
            reportAt: iso(ts),
          },
        }),
        resolve: () => ({
          note: say(ctx, '边缘代理磁盘写入恢复正常', 'edge agent disk writes back to normal'),
          evidence: { writeErrors: errors },
        }),
      },
    );
  }

  private clock(ctx: RuleContext, ts: number, receivedAt: number): void {
    const t = ctx.thresholds.agent_health;
    const skew = ts - receivedAt;
    const bad = Math.abs(skew) > t.clockSkewMs;
    const off = duration(Math.abs(skew));
    this.holds.judge(
      ctx,
      'clock',
      receivedAt,
      { forMs: t.forMs, clearForMs: t.clearForMs },
      { bad, clear: !bad },
      {
        fire: () => ({
          severity: t.severity,
          message: say(
            ctx,
            `边缘代理时钟${skew > 0 ? '快' : '慢'}了 ${off.zh}（允许 ${duration(t.clockSkewMs).zh}），数据时间不可信`,
            `edge agent clock ${off.en} ${skew > 0 ? 'ahead' : 'behind'} (allowed ${duration(t.clockSkewMs).en}); reading times cannot be trusted`,
          ),
          evidence: {
            skewMs: skew,
            clockSkewMs: t.clockSkewMs,
            reportTs: iso(ts),
            receivedAt: iso(receivedAt),
          },
        }),
        resolve: () => ({
          note: say(ctx, '边缘代理时钟已校准', 'edge agent clock back in step'),
          evidence: { skewMs: skew },
        }),
      },
    );
  }
}
