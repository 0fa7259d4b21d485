/**
 * The notices page's pure part (web/src/notice-form.ts): which group a notice is in, the request a
 * filled form makes (times typed as the county's clock reads them), and a change that sends only
 * what was changed.
 */
import { describe, expect, it } from 'vitest';
import type { Notice } from '../../web/src/api/types.js';
import { draftOf, newNoticeBody, noticeChange, noticeState } from '../../web/src/notice-form.js';

const H = 3_600_000;
// 2026-12-02 18:00 and 2026-12-03 06:00 in Beijing.
const SIX_PM = Date.UTC(2026, 11, 2, 10, 0);
const SIX_AM = SIX_PM + 12 * H;

const notice = (over: Partial<Notice> = {}): Notice => ({
  id: 7,
  scope: { township: 'chengguan' },
  kind: 'weather',
  severity: 'warning',
  title: { 'zh-CN': '暴雨橙色预警', en: 'Orange rainstorm warning' },
  body: { 'zh-CN': '今晚有暴雨，可在驿站避雨。', en: null },
  startsAt: SIX_PM + 17_000,
  endsAt: SIX_AM,
  createdBy: { id: 1, displayName: '王经理' },
  createdAt: SIX_PM - H,
  updatedAt: SIX_PM - H,
  withdrawnAt: null,
  withdrawnBy: null,
  ...over,
});

describe('noticeState', () => {
  it.each([
    { name: 'before its start', now: SIX_PM - 1, over: {}, state: 'upcoming' },
    { name: 'between start and end', now: SIX_PM + H, over: {}, state: 'current' },
    { name: 'at its end', now: SIX_AM, over: {}, state: 'ended' },
    { name: 'withdrawn while showing', now: SIX_PM + H, over: { withdrawnAt: SIX_PM + 60_000 }, state: 'withdrawn' },
  ])('$name: $state', ({ now, over, state }) => {
    expect(noticeState(notice(over), now)).toBe(state);
  });
});

describe('a new notice from the form', () => {
  it('sends the times typed as China Standard Time, texts trimmed, English left out when empty', () => {
    const d = {
      ...draftOf(null, SIX_PM, 'chengguan'),
      scopeKind: 'station' as const,
      stationId: 'st-001',
      titleZh: '  今晚闭站检修 ',
      bodyZh: '请到二号驿站。',
      startsAt: '2026-12-02T18:00',
      endsAt: '2026-12-03T06:00',
    };
    expect(newNoticeBody(d)).toEqual({
      scope: { stationId: 'st-001' },
      kind: 'weather',
      severity: 'warning',
      title: { 'zh-CN': '今晚闭站检修' },
      body: { 'zh-CN': '请到二号驿站。' },
      startsAt: SIX_PM,
      endsAt: SIX_AM,
    });
  });
  it('starts now and runs for a day by default, in the township given', () => {
    const d = draftOf(null, SIX_PM, 'chengguan');
    expect(d).toMatchObject({ scopeKind: 'township', township: 'chengguan', startsAt: '2026-12-02T18:00', endsAt: '2026-12-03T18:00' });
    expect(draftOf(null, SIX_PM).scopeKind).toBe('county');
  });
  it('names the time field that is not a full date and time', () => {
    expect(newNoticeBody({ ...draftOf(null, SIX_PM), endsAt: '2026-12-03' })).toEqual({ field: 'endsAt' });
  });
});

describe('a change from the form', () => {
  it('sends nothing when nothing changed, though the notice has seconds the form cannot show', () => {
    const n = notice();
    expect(noticeChange(n, draftOf(n, 0))).toBeNull();
  });
  it('sends only the changed fields: the new end, and English cleared as null', () => {
    const n = notice();
    const d = { ...draftOf(n, 0), endsAt: '2026-12-03T08:30', titleEn: '' };
    expect(noticeChange(n, d)).toEqual({
      endsAt: SIX_AM + 2.5 * H,
      title: { 'zh-CN': '暴雨橙色预警', en: null },
    });
  });
  it('sends a changed kind and urgency', () => {
    const n = notice();
    expect(noticeChange(n, { ...draftOf(n, 0), kind: 'hours', severity: 'critical' })).toEqual({
      kind: 'hours',
      severity: 'critical',
    });
  });
});
