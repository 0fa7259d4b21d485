/**
 * The engine applies alert-rules.yaml per station: a rule fires with the file's severity, a rule
 * disabled at a station never fires there, and one disabled while it fires (a reload) resolves at
 * the station's next message with the note "rule disabled".
 */
import { describe, expect, it } from 'vitest';
import { resolveThresholds, type AlertRulesFile } from '@yizhan/station-config/alert-rules';
import { stationFixture } from '../../helpers/station.js';
import { dispenserBrokenRule } from '../../../server/src/alerts/rules/dispenser-broken.js';
import { MIN, T0, switchReading, switchRule, testEngine } from './engine-fixtures.js';

const RULE = 'door_stuck_open';
const stations = [stationFixture('st-001'), stationFixture('st-002')];
const resolveFor = (file: AlertRulesFile) => resolveThresholds(file, 'st-001', undefined);

describe('thresholds per station in the engine', () => {
  it('severity from the file, station over township over defaults; a rule disabled at one station', () => {
    const three = [...stations, stationFixture('st-003')];
    const file: AlertRulesFile = {
      defaults: { dispenser_broken: { severity: 'warning' } },
      townships: { [three[2]!.township]: { dispenser_broken: { severity: 'info' } } },
      stations: {
        'st-002': { dispenser_broken: { enabled: false } },
        'st-003': { dispenser_broken: { severity: 'critical' } },
      },
    };
    const t = testEngine(three, [dispenserBrokenRule()], file);
    for (const s of three)
      t.engine.observe(s.id, [
        { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true, ts: T0, historical: false },
      ]);
    expect(t.events.map((a) => [a.stationId, a.severity])).toEqual([
      ['st-001', 'info'],
      ['st-003', 'critical'],
    ]);
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
