/**
 * The engine applies alert-rules.yaml per station: a rule's severity is the file's, a rule
 * disabled at a station never fires there, and one disabled while it fires (a reload) resolves at
 * the station's next message with the note "rule disabled".
 */
import { describe, expect, it } from 'vitest';
import { resolveThresholds, type AlertRulesFile } from '@yizhan/station-config/alert-rules';
import { stationFixture } from '../../helpers/station.js';
import { MIN, T0, switchReading, switchRule, testEngine } from './engine-fixtures.js';

const RULE = 'door_stuck_open';
const stations = [stationFixture('st-001'), stationFixture('st-002')];
const resolveFor = (file: AlertRulesFile) => resolveThresholds(file, 'st-001', undefined);

describe('thresholds per station in the engine', () => {
  it('severity from the file, station over township over defaults; a rule disabled at one station', () => {
    const file: AlertRulesFile = {
      defaults: { door_stuck_open: { severity: 'critical' } },
      stations: { 'st-002': { door_stuck_open: { enabled: false } } },
    };
    const t = testEngine(stations, [switchRule(RULE)], file);
    for (const s of stations) t.engine.observe(s.id, switchReading(RULE, 1, T0));
    expect(t.events.map((a) => [a.stationId, a.severity])).toEqual([['st-001', 'critical']]);
  });

  it('a rule disabled while it fires resolves at the next message, "rule disabled"', () => {
    let file: AlertRulesFile = {};
    const t = testEngine(stations, [switchRule(RULE)], {}, undefined, {
      thresholdsOf: () => resolveFor(file),
    });
    t.engine.observe('st-001', switchReading(RULE, 1, T0));
    file = { defaults: { door_stuck_open: { enabled: false } } };
    t.engine.observe('st-001', switchReading(RULE, 1, T0 + MIN));
    expect(t.events.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(t.events[1]).toMatchObject({
      endsAt: new Date(T0 + MIN).toISOString(),
      resolvedMessage: { 'zh-CN': '规则已停用', en: 'rule disabled' },
    });
  });
});
