/**
 * The silence matcher: matchers (each kind, combined), the validity span, early end, and recurring
 * windows in the county's local time (Asia/Shanghai, UTC+8), including ones crossing midnight.
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../server/src/store/open.js';
import { addTestSilence } from '../full-app.js';
import { waitFor } from '../../helpers/wait.js';
import {
  SilenceCache,
  silencedBy,
  type Silence,
  type SilenceTarget,
} from '../../../server/src/alerts/silences.js';

/** Local Shanghai wall time → Unix ms (the zone has no DST: UTC+8). */
const local = (iso: string): number => Date.parse(`${iso}+08:00`);

const alert: SilenceTarget = {
  stationId: 'st-001',
  townshipCode: 'T01',
  rule: 'dispenser_broken',
  severity: 'critical',
};

function silence(over: Partial<Silence> = {}): Silence {
  return {
    id: 1,
    matchers: {},
    startsAt: local('2026-11-01T00:00:00'),
    endsAt: local('2027-01-01T00:00:00'),
    window: null,
    reason: '检修',
    createdBy: null,
    createdAt: 0,
    endedAt: null,
    endedBy: null,
    ...over,
  };
}

// 2026-12-02 is a Wednesday (ISO 3).
const WED = '2026-12-02';
const THU = '2026-12-03';

describe('silencedBy: matchers', () => {
  const at = local(`${WED}T12:00:00`);
  it.each<[string, Silence['matchers'], boolean]>([
    ['no matcher: everything', {}, true],
    ['same station', { stationId: 'st-001' }, true],
    ['other station', { stationId: 'st-002' }, false],
    ['same township', { township: 'T01' }, true],
    ['other township', { township: 'T02' }, false],
    ['same rule', { rule: 'dispenser_broken' }, true],
    ['other rule', { rule: 'serial_link_down' }, false],
    ['same severity', { severity: 'critical' }, true],
    ['other severity', { severity: 'warning' }, false],
    ['township and rule both match', { township: 'T01', rule: 'dispenser_broken' }, true],
    ['township matches, rule does not', { township: 'T01', rule: 'serial_link_down' }, false],
    [
      'all four match',
      { stationId: 'st-001', township: 'T01', rule: 'dispenser_broken', severity: 'critical' },
      true,
    ],
    [
      'all but severity match',
      { stationId: 'st-001', township: 'T01', rule: 'dispenser_broken', severity: 'info' },
      false,
    ],
  ])('%s', (_name, matchers, expected) => {
    const s = silence({ matchers });
    expect(silencedBy(alert, [s], at)).toBe(expected ? s : null);
  });

  it('returns the first matching silence of several', () => {
    const other = silence({ id: 2, matchers: { township: 'T02' } });
    const mine = silence({ id: 3, matchers: { rule: 'dispenser_broken' } });
    expect(silencedBy(alert, [other, mine], at)?.id).toBe(3);
  });
});

describe('silencedBy: span, expiry and early end', () => {
  const s = silence({ startsAt: local(`${WED}T08:00:00`), endsAt: local(`${WED}T10:00:00`) });
  it.each<[string, number, boolean]>([
    ['before it starts', local(`${WED}T07:59:59`), false],
    ['at its start', local(`${WED}T08:00:00`), true],
    ['inside', local(`${WED}T09:30:00`), true],
    ['at its expiry', local(`${WED}T10:00:00`), false],
    ['after it expired', local(`${WED}T11:00:00`), false],
  ])('%s', (_name, at, expected) => {
    expect(silencedBy(alert, [s], at) !== null).toBe(expected);
  });

  it('an ended silence no longer silences, but did before it was ended', () => {
    const ended = silence({ ...s, endedAt: local(`${WED}T09:00:00`) });
    expect(silencedBy(alert, [ended], local(`${WED}T08:30:00`))).not.toBeNull();
    expect(silencedBy(alert, [ended], local(`${WED}T09:00:00`))).toBeNull();
  });
});

describe('silencedBy: recurring windows in local time', () => {
  it.each<[string, Silence['window'], string, boolean]>([
    [
      '02:00–03:00 every day, at 02:30',
      { days: [1, 2, 3, 4, 5, 6, 7], from: '02:00', to: '03:00' },
      `${WED}T02:30:00`,
      true,
    ],
    ['02:00–03:00, at 02:00 sharp', { days: [3], from: '02:00', to: '03:00' }, `${WED}T02:00:00`, true],
    [
      '02:00–03:00, at 03:00 (end excluded)',
      { days: [3], from: '02:00', to: '03:00' },
      `${WED}T03:00:00`,
      false,
    ],
    ['02:00–03:00, at 01:59', { days: [3], from: '02:00', to: '03:00' }, `${WED}T01:59:00`, false],
    // 02:30 Shanghai is 18:30 UTC the day before: the window is local time, not UTC.
    [
      '02:00–03:00 Wednesday only, at 02:30 Wednesday',
      { days: [3], from: '02:00', to: '03:00' },
      `${WED}T02:30:00`,
      true,
    ],
    [
      '02:00–03:00 Tuesday only, at 02:30 Wednesday',
      { days: [2], from: '02:00', to: '03:00' },
      `${WED}T02:30:00`,
      false,
    ],
    [
      'weekdays 09:00–17:00, Wednesday noon',
      { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' },
      `${WED}T12:00:00`,
      true,
    ],
    [
      'weekdays 09:00–17:00, Saturday noon',
      { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' },
      '2026-12-05T12:00:00',
      false,
    ],
    [
      '23:00–01:00 Wednesday, at 23:30 Wednesday',
      { days: [3], from: '23:00', to: '01:00' },
      `${WED}T23:30:00`,
      true,
    ],
    [
      '23:00–01:00 Wednesday, at 00:30 Thursday',
      { days: [3], from: '23:00', to: '01:00' },
      `${THU}T00:30:00`,
      true,
    ],
    [
      '23:00–01:00 Wednesday, at 00:30 Wednesday',
      { days: [3], from: '23:00', to: '01:00' },
      `${WED}T00:30:00`,
      false,
    ],
    [
      '23:00–01:00 Wednesday, at 01:00 Thursday',
      { days: [3], from: '23:00', to: '01:00' },
      `${THU}T01:00:00`,
      false,
    ],
    [
      '23:00–01:00 Sunday, at 00:30 Monday (week wraps)',
      { days: [7], from: '23:00', to: '01:00' },
      '2026-12-07T00:30:00',
      true,
    ],
    [
      '23:00–01:00 Wednesday, at 22:59 Wednesday',
      { days: [3], from: '23:00', to: '01:00' },
      `${WED}T22:59:00`,
      false,
    ],
  ])('%s', (_name, window, at, expected) => {
    const s = silence({ window });
    expect(silencedBy(alert, [s], local(at)) !== null).toBe(expected);
  });

  it('a window outside the validity span does not silence', () => {
    const s = silence({
      window: { days: [3], from: '02:00', to: '03:00' },
      endsAt: local(`${WED}T00:00:00`),
    });
    expect(silencedBy(alert, [s], local(`${WED}T02:30:00`))).toBeNull();
  });

  it('the zone is a parameter: 02:30 in Shanghai is not 02:30 in UTC', () => {
    const s = silence({ window: { days: [3], from: '02:00', to: '03:00' } });
    const at = Date.parse(`${WED}T02:30:00Z`);
    expect(silencedBy(alert, [s], at, 'UTC')).not.toBeNull();
    expect(silencedBy(alert, [s], at, 'Asia/Shanghai')).toBeNull();
  });
});

describe('SilenceCache', () => {
  it('reads again, at its interval, a silence another process wrote to the store', async () => {
    const store = await openStore({ dataDir: undefined });
    const cache = new SilenceCache(store.db);
    const errors: unknown[] = [];
    const stop = cache.every(20, (e) => errors.push(e));
    try {
      await cache.refresh();
      expect(cache.active).toEqual([]);
      const id = await addTestSilence({ ops: store }, 'chengguan');
      await waitFor('silence read again', () => cache.active.some((s) => s.id === id));
      expect(errors).toEqual([]);
    } finally {
      stop();
      await store.close();
    }
  });

  it('refuses an unknown time zone at start, naming the setting', () => {
    expect(() => new SilenceCache({} as never, 'Mars/Olympus_Mons')).toThrow(
      /YIZHAN_TIMEZONE.*Mars\/Olympus_Mons/,
    );
  });
});
