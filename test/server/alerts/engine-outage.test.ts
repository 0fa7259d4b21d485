/**
 * Inhibition and outage incidents: a station whose serial link is down or that is dark has its
 * sensor alerts recorded as suppressed; many stations dark together become one incident that
 * holds their dark alerts and resolves when the last one is back.
 */
import { describe, expect, it } from 'vitest';
import { stationDarkRule } from '../../../server/src/alerts/rules/station-dark.js';
import type { Observation } from '../../../server/src/state/observation.js';
import type { AlertRulesFile } from '@yizhan/station-config/alert-rules';
import { stationFixture } from '../../helpers/station.js';
import { MIN, T0, switchReading, switchRule, testEngine } from './engine-fixtures.js';

describe('inhibition', () => {
  const st = stationFixture('st-001');
  const run = (link: boolean, rule: string) => {
    const t = testEngine([st], [switchRule('serial_link_down'), switchRule(rule)]);
    if (link) t.engine.observe(st.id, switchReading('serial_link_down', 1, T0));
    t.engine.observe(st.id, switchReading(rule, 1, T0 + MIN));
    return { t, link: t.events.find((a) => a.rule === 'serial_link_down'), alert: t.events.find((a) => a.rule === rule) };
  };

  it.each([
    { why: 'a sensor alert while the serial link is down is suppressed by it', link: true, rule: 'door_stuck_open', suppressed: true },
    { why: 'a sensor alert without a link down is not', link: false, rule: 'door_stuck_open', suppressed: false },
    { why: "the agent's own health is never inhibited", link: true, rule: 'agent_health', suppressed: false },
  ])('$why', ({ link, rule, suppressed }) => {
    const r = run(link, rule);
    expect(r.alert?.suppressedBy).toBe(suppressed ? r.link?.id : undefined);
  });
});

/** Stations, a clock, the real station_dark rule; `dark(id)` delivers the agent's will now. */
function outage(n: { township: number; other: number }, file: AlertRulesFile = {}) {
  let now = T0;
  const ids = [
    ...Array.from({ length: n.township }, (_, i) => `st-${String(i + 1).padStart(3, '0')}`),
    ...Array.from({ length: n.other }, (_, i) => `st-${String(i + 101).padStart(3, '0')}`),
  ];
  const stations = ids.map((id) => stationFixture(id, { township: id < 'st-100' ? '城关镇' : '新塘镇' }));
  const code = (id: string) => (id < 'st-100' ? 'chengguan' : 'xintang');
  const t = testEngine(stations, [stationDarkRule({ now: () => now })], file, code);
  const status = (online: boolean, reason?: string): Observation[] => [
    { type: 'status', online, bootId: 'b1', ts: now, at: now, ...(reason ? { reason } : {}) },
  ];
  for (const id of ids) t.engine.observe(id, status(true));
  const advance = (ms: number) => {
    for (const end = now + ms; now < end; ) {
      now = Math.min(end, now + 5_000);
      t.engine.tick(now);
    }
  };
  return {
    ...t,
    ids,
    advance,
    dark: (id: string) => t.engine.observe(id, status(false, 'will')),
    back: (id: string) => {
      t.engine.observe(id, status(true));
      now += 30_000;
      t.engine.observe(id, [{ type: 'reading', sensor: 'door', kind: 'door', value: 0, ts: now, historical: false }]);
    },
  };
}

describe('outage incidents', () => {
  it('30 stations of one township dark within a minute: 1 incident, 30 suppressed dark alerts, resolved when all are back', () => {
    const o = outage({ township: 30, other: 0 }, { outage: { countyStations: 100 } });
    for (const id of o.ids) {
      o.dark(id);
      o.advance(2_000);
    }
    o.advance(2 * MIN);
    const firing = o.engine.list('firing');
    const incidents = firing.filter((a) => a.rule === 'outage');
    expect(incidents).toHaveLength(1);
    const inc = incidents[0]!;
    expect(inc).toMatchObject({ fingerprint: 'outage/township/chengguan', stationId: '', township: 'chengguan' });
    expect(inc.message['zh-CN']).toContain('城关镇');
    expect(inc.message['zh-CN']).toContain('30 个驿站');
    expect(inc.evidence.stations).toEqual(o.ids);
    const dark = firing.filter((a) => a.rule === 'station_dark');
    expect(dark).toHaveLength(30);
    expect(dark.every((a) => a.suppressedBy === inc.id)).toBe(true);
    // What would be notified: only the incident.
    expect(o.events.filter((a) => !a.suppressedBy).map((a) => a.rule)).toEqual(['outage']);

    for (const id of o.ids.slice(0, 29)) o.back(id);
    expect(o.engine.list('firing').map((a) => a.rule).sort()).toEqual(['outage', 'station_dark']);
    o.back(o.ids[29]!);
    expect(o.engine.list('firing')).toEqual([]);
    expect(o.events.at(-1)).toMatchObject({ rule: 'outage', status: 'resolved' });
  });

  it('12 stations dark across two townships: one county incident', () => {
    const o = outage({ township: 6, other: 6 });
    for (const id of o.ids) o.dark(id);
    o.advance(2 * MIN);
    const incidents = o.engine.list('firing').filter((a) => a.rule === 'outage');
    expect(incidents.map((a) => [a.fingerprint, a.township])).toEqual([['outage/county', '*']]);
  });

  it('2 stations dark: no incident, two ordinary dark alerts', () => {
    const o = outage({ township: 2, other: 0 });
    for (const id of o.ids) o.dark(id);
    o.advance(2 * MIN);
    expect(o.events.map((a) => [a.rule, a.suppressedBy])).toEqual([
      ['station_dark', undefined],
      ['station_dark', undefined],
    ]);
  });

  it('a station dark later joins the firing incident, suppressed', () => {
    const o = outage({ township: 4, other: 0 });
    for (const id of o.ids.slice(0, 3)) o.dark(id);
    o.advance(2 * MIN);
    o.dark(o.ids[3]!);
    o.advance(2 * MIN);
    const inc = o.engine.list('firing').find((a) => a.rule === 'outage');
    expect(inc?.evidence.stations).toEqual(o.ids);
    expect(o.engine.list('firing').find((a) => a.stationId === o.ids[3])?.suppressedBy).toBe(inc?.id);
  });

  it('an incident adopted after a restart keeps holding its stations', () => {
    const before = outage({ township: 3, other: 0 });
    for (const id of before.ids) before.dark(id);
    before.advance(2 * MIN);
    const stored = before.engine.list('firing');
    const after = outage({ township: 3, other: 0 });
    expect(after.engine.adopt(stored)).toBe(4);
    for (const id of after.ids) after.back(id);
    expect(after.events.map((a) => `${a.rule}:${a.status}`)).toEqual([
      'station_dark:resolved',
      'station_dark:resolved',
      'station_dark:resolved',
      'outage:resolved',
    ]);
  });

  it('after a restart a station that joined later (named by its suppressedBy) is held too', () => {
    const before = outage({ township: 4, other: 0 });
    for (const id of before.ids.slice(0, 3)) before.dark(id);
    before.advance(2 * MIN);
    const firstEvidence = before.engine.list('firing').find((a) => a.rule === 'outage')?.evidence;
    before.dark(before.ids[3]!);
    before.advance(2 * MIN);
    // The store keeps the incident as it first fired (a fire already stored is not rewritten).
    const stored = before.engine.list('firing').map((a) => (a.rule === 'outage' ? { ...a, evidence: firstEvidence ?? {} } : a));
    const after = outage({ township: 4, other: 0 });
    after.engine.adopt(stored);
    for (const id of after.ids.slice(0, 3)) after.back(id);
    expect(after.engine.list('firing').map((a) => a.rule).sort()).toEqual(['outage', 'station_dark']);
    after.back(after.ids[3]!);
    expect(after.events.at(-1)).toMatchObject({ rule: 'outage', status: 'resolved' });
  });
});
