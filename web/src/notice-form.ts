/**
 * The notices page's pure part (no Vue, unit-tested in test/web/notice-form.test.ts): where a notice
 * stands, the form's fields for a new or an existing notice, and the request a filled form makes:
 * the whole notice when posting, only the changed fields when saving a change. Times are typed and
 * shown in China Standard Time (format.ts), whatever zone the browser is set to.
 */
import type { NewNoticeRequest, Notice, NoticeChangeRequest, NoticeScope } from './api/types.js';
import { cstInputValue, parseCstInput } from './format.js';

export type NoticeKind = Notice['kind'];
export type NoticeSeverity = Notice['severity'];
export type ScopeKind = 'station' | 'township' | 'county';
export type NoticeState = 'current' | 'upcoming' | 'ended' | 'withdrawn';

export const NOTICE_KINDS: NoticeKind[] = ['weather', 'hours', 'event', 'other'];
export const NOTICE_SEVERITIES: NoticeSeverity[] = ['info', 'warning', 'critical'];
/** What a new notice offers to run for: a day, as most warnings and changes do. */
const DEFAULT_SPAN_MS = 24 * 3_600_000;

export function noticeState(n: Notice, now: number): NoticeState {
  if (n.withdrawnAt !== null) return 'withdrawn';
  if (n.endsAt <= now) return 'ended';
  return n.startsAt > now ? 'upcoming' : 'current';
}

export function scopeKind(scope: NoticeScope): ScopeKind {
  return 'stationId' in scope ? 'station' : 'township' in scope ? 'township' : 'county';
}

export interface NoticeDraft {
  scopeKind: ScopeKind;
  township: string;
  stationId: string;
  kind: NoticeKind;
  severity: NoticeSeverity;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  /** `<input type=datetime-local>` values in China Standard Time. */
  startsAt: string;
  endsAt: string;
}

/** The form's fields: those of `n` to change it, or a new notice for one of `townships` from now for a day. */
export function draftOf(n: Notice | null, now: number, township = ''): NoticeDraft {
  if (n)
    return {
      scopeKind: scopeKind(n.scope),
      township: 'township' in n.scope ? n.scope.township : '',
      stationId: 'stationId' in n.scope ? n.scope.stationId : '',
      kind: n.kind,
      severity: n.severity,
      titleZh: n.title['zh-CN'],
      titleEn: n.title.en ?? '',
      bodyZh: n.body['zh-CN'],
      bodyEn: n.body.en ?? '',
      startsAt: cstInputValue(n.startsAt),
      endsAt: cstInputValue(n.endsAt),
    };
  return {
    scopeKind: township ? 'township' : 'county',
    township,
    stationId: '',
    kind: 'weather',
    severity: 'warning',
    titleZh: '',
    titleEn: '',
    bodyZh: '',
    bodyEn: '',
    startsAt: cstInputValue(now),
    endsAt: cstInputValue(now + DEFAULT_SPAN_MS),
  };
}

/** A form that cannot become a request: the field to fix. */
export interface DraftProblem {
  field: 'startsAt' | 'endsAt';
}

const text = (zh: string, en: string) => ({ 'zh-CN': zh.trim(), ...(en.trim() ? { en: en.trim() } : {}) });

function times(d: NoticeDraft): { startsAt: number; endsAt: number } | DraftProblem {
  const startsAt = parseCstInput(d.startsAt);
  if (startsAt === null) return { field: 'startsAt' };
  const endsAt = parseCstInput(d.endsAt);
  if (endsAt === null) return { field: 'endsAt' };
  return { startsAt, endsAt };
}

function scopeOf(d: NoticeDraft): NoticeScope {
  if (d.scopeKind === 'station') return { stationId: d.stationId };
  if (d.scopeKind === 'township') return { township: d.township };
  return { county: true };
}

/** POST /api/v1/notices from the form; the server checks the rest (and names the field). */
export function newNoticeBody(d: NoticeDraft): NewNoticeRequest | DraftProblem {
  const t = times(d);
  if ('field' in t) return t;
  return {
    scope: scopeOf(d),
    kind: d.kind,
    severity: d.severity,
    title: text(d.titleZh, d.titleEn),
    body: text(d.bodyZh, d.bodyEn),
    ...t,
  };
}

/**
 * PATCH /api/v1/notices/:id: only what the form changed (null: nothing). A time left as it was
 * is not sent: the form has minutes, the notice may have seconds. English cleared is sent as null.
 */
export function noticeChange(n: Notice, d: NoticeDraft): NoticeChangeRequest | DraftProblem | null {
  const was = draftOf(n, 0);
  const change: NoticeChangeRequest = {};
  if (d.kind !== n.kind) change.kind = d.kind;
  if (d.severity !== n.severity) change.severity = d.severity;
  const changedText = (zh: string, en: string, wasZh: string, wasEn: string) =>
    zh.trim() !== wasZh || en.trim() !== wasEn ? { 'zh-CN': zh.trim(), en: en.trim() || null } : undefined;
  const title = changedText(d.titleZh, d.titleEn, was.titleZh, was.titleEn);
  if (title) change.title = title;
  const body = changedText(d.bodyZh, d.bodyEn, was.bodyZh, was.bodyEn);
  if (body) change.body = body;
  for (const f of ['startsAt', 'endsAt'] as const) {
    if (d[f] === was[f]) continue;
    const ms = parseCstInput(d[f]);
    if (ms === null) return { field: f };
    change[f] = ms;
  }
  return Object.keys(change).length ? change : null;
}
