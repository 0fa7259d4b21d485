/**
 * The serial_link_down rule in the engine: which sequences of health/status reports (with their
 * station times and arrival times) and engine ticks fire, which do not, and what resolves. Times
 * in the tables are seconds from T; a report arrives at its own time unless `arrive` says otherwise.
 * What the alerts say: serial-link-down.content.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  SerialLinkDownConfigError,
  serialLinkDownRule,
} from '../../../../server/src/alerts/rules/serial-link-down.js';
import { BOOT_B, run, type Step } from '../../serial-link-fixtures.js';

describe('serial_link_down (hold 1min)', () => {
  const cases: { name: string; steps: Step[]; want: string[] }[] = [
    {
      name: 'down reports for 60 s fire at the report that completes the hold, not before',
      steps: [
        ['down', 0],
        ['down', 30],
        ['down', 59],
        ['down', 60],
        ['down', 90],
      ],
      want: ['firing@60'],
    },
    {
      name: 'down 45 s, then up: nothing',
      steps: [
        ['down', 0],
        ['down', 30],
        ['up', 45],
        ['up', 75],
        ['up', 600],
      ],
      want: [],
    },
    {
      name: 'up all along: nothing',
      steps: [
        ['up', 0],
        ['up', 30],
        ['tick', 600],
      ],
      want: [],
    },
    {
      name: 'missed health reports delay the alert to the next report and never resolve it',
      steps: [
        ['down', 0],
        ['tick', 60],
        ['down', 90],
        ['tick', 150],
        ['down', 180],
        ['tick', 600],
      ],
      want: ['firing@90'],
    },
    {
      name: 'an agent that falls silent (no report, its offline status lost or late) raises nothing',
      steps: [
        ['down', 0],
        ['down', 30],
        ['tick', 60],
        ['tick', 600],
        ['tick', 6000],
      ],
      want: [],
    },
    {
      name: 'up resolves',
      steps: [
        ['down', 0],
        ['down', 60],
        ['down', 70],
        ['up', 75],
      ],
      want: ['firing@60', 'resolved@75'],
    },
    {
      name: 'down again after the resolve: a full hold again',
      steps: [
        ['down', 0],
        ['down', 60],
        ['up', 75],
        ['down', 80],
        ['down', 120],
        ['down', 140],
      ],
      want: ['firing@60', 'resolved@75', 'firing@140'],
    },
    {
      name: 'replayed reports (arriving more than 1min after their ts) never fire',
      steps: [
        ['down', 0, { arrive: 600 }],
        ['down', 30, { arrive: 600 }],
        ['down', 90, { arrive: 600 }],
        ['down', 300, { arrive: 600 }],
      ],
      want: [],
    },
    {
      name: 'a replayed up does not resolve; the next live report does',
      steps: [
        ['down', 0],
        ['down', 60],
        ['up', 70, { arrive: 300 }],
        ['down', 300],
        ['up', 310],
      ],
      want: ['firing@60', 'resolved@310'],
    },
    {
      name: 'reports 30 s late are still live; the hold runs on the station clock',
      steps: [
        ['down', 0, { arrive: 30 }],
        ['down', 59, { arrive: 89 }],
        ['down', 60, { arrive: 90 }],
      ],
      want: ['firing@90'],
    },
    {
      name: 'station offline during the hold: nothing fires',
      steps: [
        ['down', 0],
        ['offline', 20],
        ['tick', 120],
        ['tick', 6000],
      ],
      want: [],
    },
    {
      name: 'health seen while the station is dark is ignored',
      steps: [
        ['offline', 0],
        ['down', 1],
        ['down', 31],
        ['down', 61],
        ['down', 120],
      ],
      want: [],
    },
    {
      name: 'back online with the link still down: a new full hold from the first live report',
      steps: [
        ['down', 0],
        ['offline', 20],
        ['online', 100],
        ['down', 101],
        ['down', 160],
        ['down', 161],
      ],
      want: ['firing@161'],
    },
    {
      name: 'a firing alert stays while the station is dark, resolves on the first up after it returns',
      steps: [
        ['down', 0],
        ['down', 60],
        ['offline', 70],
        ['tick', 600],
        ['online', 700],
        ['down', 701],
        ['down', 800],
        ['up', 810],
      ],
      want: ['firing@60', 'resolved@810'],
    },
    {
      name: 'a new agent boot reporting the link up resolves',
      steps: [
        ['down', 0],
        ['down', 60],
        ['online', 100, BOOT_B],
        ['up', 101, { boot: BOOT_B }],
      ],
      want: ['firing@60', 'resolved@101'],
    },
    {
      name: 'a new agent boot reporting the link down keeps the alert, no second firing',
      steps: [
        ['down', 0],
        ['down', 60],
        ['online', 100, BOOT_B],
        ['down', 130, { boot: BOOT_B }],
        ['down', 300, { boot: BOOT_B }],
      ],
      want: ['firing@60'],
    },
    {
      name: 'a new boot during the hold starts it again',
      steps: [
        ['down', 0],
        ['online', 30, BOOT_B],
        ['down', 40, { boot: BOOT_B }],
        ['down', 70, { boot: BOOT_B }],
        ['down', 99, { boot: BOOT_B }],
        ['down', 100, { boot: BOOT_B }],
      ],
      want: ['firing@100'],
    },
    {
      name: "a late report of the previous boot does not disturb the new boot's hold",
      steps: [
        ['online', 0, BOOT_B],
        ['down', 1, { boot: BOOT_B }],
        ['up', -5, { arrive: 30 }],
        ['down', 31, { boot: BOOT_B }],
        ['down', 61, { boot: BOOT_B }],
      ],
      want: ['firing@61'],
    },
    {
      name: 'a health report of a new boot whose status was not seen also starts the hold again',
      steps: [
        ['down', 0],
        ['down', 40, { boot: BOOT_B }],
        ['down', 60, { boot: BOOT_B }],
        ['down', 100, { boot: BOOT_B }],
      ],
      want: ['firing@100'],
    },
  ];
  it.each(cases)('$name', ({ steps, want }) => {
    expect(run(steps).events).toEqual(want);
  });

  it('the hold is configurable, with its unit in the value', () => {
    const steps: Step[] = [
      ['down', 0],
      ['down', 4],
      ['down', 5],
    ];
    expect(run(steps, { hold: '5s' }).events).toEqual(['firing@5']);
    expect(run(steps, { hold: '2min' }).events).toEqual([]);
  });

  it('refuses a hold or report age without a unit, or of zero, naming the setting', () => {
    expect(() => serialLinkDownRule({ hold: '60' })).toThrow(SerialLinkDownConfigError);
    expect(() => serialLinkDownRule({ hold: '60' })).toThrow(/serial_link_down: hold "60"/);
    expect(() => serialLinkDownRule({ maxReportAge: '0s' })).toThrow(/maxReportAge must be above 0/);
  });
});
