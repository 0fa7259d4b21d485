/**
 * Messages people read on a phone's lock screen: Chinese first, short.
 *
 * - Fire: title `【严重】城关人民路驿站 饮水机故障`; body: station and address, what is wrong, since
 *   when (local time, YIZHAN_TIMEZONE), the link `${publicUrl}/app/alerts/<id>` (acknowledge there
 *   after login).
 * - Resolve: title `【已恢复】…`. Flapping: `【反复】…` saying a person must look.
 * - Reminders and escalations say how long the alert has been open and unacknowledged.
 * - {@link mergeMessages}: the outbox's merge for a group (one township, one transition): one
 *   message "城关镇 12 个新告警" with the first few lines and a link to the list, within the
 *   vendors' size limits (WeCom text 2048 bytes is the smallest).
 */
import type { OutboundMessage } from './channel.js';
import type { Alert } from '../alerts/types.js';
import { cutBytes } from './channels/wecom.js';

const SEVERITY_ZH: Record<string, string> = { critical: '严重', warning: '警告', info: '提示' };

/** Lines of a merged message that name alerts; the rest are counted. */
const MERGE_LINES = 8;
/** Bytes of a merged body: under WeCom's 2048-byte text limit with title and link beside it. */
const MERGE_MAX_BYTES = 1500;

export interface RenderContext {
  publicUrl: string;
  timeZone: string;
  stationAddress(stationId: string): string | undefined;
}

export type Transition = 'fired' | 'resolved' | 'flapping';
export type EscalationLevel = 'remind' | 'township' | 'county';

/** `12-02 16:05` in the county's time zone. */
export function localTimeText(atMs: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(atMs)) p[x.type] = x.value;
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function alertLink(ctx: RenderContext, id: string): string {
  return `${ctx.publicUrl.replace(/\/$/, '')}/app/alerts/${encodeURIComponent(id)}`;
}

function duration(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  return min < 60 ? `${min} 分钟` : `${Math.floor(min / 60)} 小时${min % 60 ? ` ${min % 60} 分钟` : ''}`;
}

function message(title: string, lines: string[], link: string): OutboundMessage {
  return {
    title,
    markdown: lines.map((l) => `> ${l}`).join('\n'),
    text: lines.join('\n'),
    link,
  };
}

/** The message of one alert's fire, resolve or flapping. */
export function renderTransition(ctx: RenderContext, a: Alert, t: Transition): OutboundMessage {
  const what = a.message['zh-CN'];
  const tag =
    t === 'resolved' ? '已恢复' : t === 'flapping' ? '反复' : (SEVERITY_ZH[a.severity] ?? a.severity);
  const title = `【${tag}】${a.stationName} ${t === 'resolved' ? (a.resolvedMessage?.['zh-CN'] ?? what) : what}`;
  const address = ctx.stationAddress(a.stationId);
  const lines = [`驿站：${a.stationName}（${a.township}）`];
  if (address) lines.push(`地址：${address}`);
  lines.push(`问题：${what}`, `开始：${localTimeText(Date.parse(a.startsAt), ctx.timeZone)}`);
  if (t === 'resolved' && a.endsAt) lines.push(`恢复：${localTimeText(Date.parse(a.endsAt), ctx.timeZone)}`);
  if (t === 'flapping')
    lines.push('该告警反复触发和恢复，已暂停逐条通知，请派人现场查看 / flapping: a person must look');
  const noun = t === 'resolved' ? '告警已恢复' : t === 'flapping' ? '告警反复触发' : '新告警';
  return { ...message(title, lines, alertLink(ctx, a.id)), township: a.township, groupNoun: noun };
}

/** A reminder or an escalation of an alert open and unacknowledged for `openMs`. */
export function renderEscalation(
  ctx: RenderContext,
  a: Alert,
  level: EscalationLevel,
  openMs: number,
): OutboundMessage {
  const tag = level === 'remind' ? '提醒' : level === 'township' ? '升级' : '升级到县';
  const title = `【${tag}】${a.stationName} ${a.message['zh-CN']}`;
  const lines = [
    `驿站：${a.stationName}（${a.township}）`,
    `问题：${a.message['zh-CN']}`,
    `已持续 ${duration(openMs)} 无人确认，请尽快处理并在页面上确认`,
  ];
  const noun = level === 'remind' ? '告警待确认' : '告警无人确认，已升级';
  return { ...message(title, lines, alertLink(ctx, a.id)), township: a.township, groupNoun: noun };
}

/**
 * One message for a group of messages due together on one channel (one township, one transition):
 * a count, the first titles, a link to the list; mentions are the union (each once).
 */
export function mergeMessages(publicUrl: string, messages: OutboundMessage[]): OutboundMessage {
  const first = messages[0]!;
  if (messages.length === 1) return first;
  // One group is one township and one transition: the first message names both.
  const resolved = first.groupNoun === '告警已恢复';
  const title = `${first.township ?? ''} ${messages.length} 个${first.groupNoun ?? '告警'}`.trim();
  const shown = messages.slice(0, MERGE_LINES).map((m) => `- ${m.title}`);
  const rest = messages.length - shown.length;
  if (rest > 0) shown.push(`- 另有 ${rest} 个，见列表`);
  const body = cutBytes(shown.join('\n'), MERGE_MAX_BYTES);
  const mobiles = [...new Set(messages.flatMap((m) => m.mentionMobiles ?? []))];
  const link = `${publicUrl.replace(/\/$/, '')}/app/alerts?state=${resolved ? 'resolved' : 'firing'}`;
  return {
    title,
    markdown: body,
    text: body,
    link,
    ...(mobiles.length ? { mentionMobiles: mobiles } : {}),
    ...(first.township ? { township: first.township } : {}),
    ...(first.groupNoun ? { groupNoun: first.groupNoun } : {}),
  };
}
