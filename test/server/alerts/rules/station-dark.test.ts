/**
 * station_dark: by the agent's will and by silence (server clock), after `for`; resolved by live
 * messages spanning `clearFor` (station time); historical (replayed) messages neither fire nor
 * resolve it. Defaults: silentFor 3min, for 1min, clearFor 30s.
 */
import { describe, expect, it } from 'vitest';
import { stationDarkRule } from '../../../../server/src/alerts/rules/station-dark.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import { stationFixture } from '../../../helpers/station.js';
import { MIN, T0, testEngine } from '../engine-fixtures.js';

type Step =
  | [seconds: number, 'online' | 'will' | 'goodbye' | 'reading' | 'replayed' | 'tick']
  | [seconds: number, 'health', lateBySeconds: number];

const st = stationFixture('st-001');

/** Server clock and station clock agree here; each step happens at T0 + seconds. */
function run(steps: Step[], file = {}) {
  let now = T0;
  const t = testEngine([st], [stationDarkRule({ now: () => now })], file);
  for (const [s, what, late] of steps) {
    now = T0 + s * 1000;
    const status = (online: boolean, reason?: string): Observation => ({
      type: 'status', online, bootId: 'b1', ts: now, at: now, ...(reason ? { reason } : {}),
    });
    const obs: Observation[] =
      what === 'online' ? [status(true)]
      : what === 'will' ? [status(false, 'will')]
      : what === 'goodbye' ? [status(false, 'shutdown')]
      : what === 'reading' || what === 'replayed'
        ? [{ type: 'reading', sensor: 'door', kind: 'door', value: 0, ts: now - (what === 'replayed' ? 3600_000 : 0), historical: what === 'replayed' }]
      : what === 'health'
        ? [{ type: 'health', ts: now - (late ?? 0) * 1000, health: {} as never }]
        : [];
    if (what === 'tick') t.engine.tick(now);
    else t.engine.observe(st.id, obs);
  }
  return t.events.map((a) => `${a.status}@${(Date.parse(a.status === 'firing' ? a.startsAt : a.endsAt!) - T0) / 1000}`);
}

describe('station_dark', () => {
  it.each<{ name: string; steps: Step[]; want: string[]; file?: object }>([
    { name: 'will, then dark for 1 min: fires, dated when the will arrived', steps: [[0, 'online'], [10, 'will'], [69, 'tick'], [70, 'tick']], want: ['firing@10'] },
    { name: 'will, back within the minute: nothing', steps: [[0, 'online'], [10, 'will'], [40, 'online'], [80, 'tick']], want: [] },
    { name: 'silent 3 min + 1 min: fires, dated when the silence passed silentFor', steps: [[0, 'online'], [5, 'reading'], [244, 'tick'], [245, 'tick']], want: ['firing@185'] },
    { name: 'messages every 2 min: never dark', steps: [[0, 'online'], [120, 'reading'], [240, 'reading'], [360, 'reading'], [480, 'tick']], want: [] },
    { name: 'a clean shutdown (no will) is not dark', steps: [[0, 'online'], [10, 'goodbye'], [600, 'tick']], want: [] },
    { name: 'never heard since the server started: not dark', steps: [[600, 'tick']], want: [] },
    {
      name: 'back: resolves once live messages span clearFor (30 s)',
      steps: [[0, 'online'], [10, 'will'], [70, 'tick'], [100, 'online'], [120, 'reading'], [130, 'reading']],
      want: ['firing@10', 'resolved@130'],
    },
    {
      name: 'replayed readings and late health neither keep it from firing nor resolve it',
      steps: [[0, 'online'], [10, 'will'], [30, 'replayed'], [40, 'health', 120], [70, 'tick'], [100, 'replayed'], [200, 'replayed'], [210, 'health', 600]],
      want: ['firing@10'],
    },
    {
      name: 'replayed readings do not keep a silent station from going dark',
      steps: [[0, 'online'], [100, 'replayed'], [200, 'replayed'], [240, 'tick']],
      want: ['firing@180'],
    },
    {
      name: 'replayed readings do not resolve a station dark by silence',
      steps: [[0, 'online'], [245, 'tick'], [300, 'replayed'], [340, 'replayed'], [400, 'replayed']],
      want: ['firing@180'],
    },
    {
      name: 'a station override: silentFor 10min, for 2min',
      file: { stations: { 'st-001': { station_dark: { silentFor: '10min', for: '2min' } } } },
      steps: [[0, 'online'], [300, 'tick'], [719, 'tick'], [720, 'tick']],
      want: ['firing@600'],
    },
    {
      name: 'disabled at the station: never fires',
      file: { stations: { 'st-001': { station_dark: { enabled: false } } } },
      steps: [[0, 'online'], [10, 'will'], [600, 'tick']],
      want: [],
    },
  ])('$name', ({ steps, want, file }) => {
    expect(run(steps, file)).toEqual(want);
  });

  it('says why in both languages; severity from the thresholds', () => {
    let now = T0;
    const t = testEngine([st], [stationDarkRule({ now: () => now })], {
      defaults: { station_dark: { severity: 'warning' } },
    });
    t.engine.observe(st.id, [{ type: 'status', online: true, bootId: 'b', ts: now }]);
    now += 5 * MIN;
    t.engine.tick(now);
    const a = t.events[0];
    expect(a?.severity).toBe('warning');
    expect(a?.message['zh-CN']).toBe('测试001号驿站（st-001）：驿站失联（超过 3 分钟未收到任何消息），请检查电源和网络');
    expect(a?.evidence).toMatchObject({ cause: 'silence', silentForMs: 180_000 });
  });
});
