/**
 * The serial_link_down rule in the engine: which sequences of health/status reports (with their
 * station times and arrival times) and engine ticks fire, which do not, and what resolves. Times
 * in the tables are seconds from T; a report arrives at its own time unless `arrive` says otherwise.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { HealthPayload } from '../../protocol/src/index.js';
import { AlertEngine } from '../../server/src/alerts/engine.js';
import { defaultRules } from '../../server/src/alerts/rules/index.js';
import {
  SerialLinkDownConfigError,
  serialLinkDownRule,
  type SerialLinkDownOptions,
} from '../../server/src/alerts/rules/serial-link-down.js';
import { webhookBody } from '../../server/src/alerts/webhook.js';
import type { Alert } from '../../server/src/alerts/types.js';
import { formatDuration } from '../../server/src/i18n.js';
import { createMetrics } from '../../server/src/metrics.js';
import { StationRegistry } from '../../server/src/registry.js';
import { metric, stationFixture } from './helpers.js';

const T = 1_700_000_000_000;
const S = 1000;
const PORT = '/dev/ttyUSB0';
const BOOT_A = 'bootAAAAAAAA';
const BOOT_B = 'bootBBBBBBBB';

interface ReportOpts {
  boot?: string;
  /** Arrival at the server, seconds from T (default: the report's own time). */
  arrive?: number;
  /** lastFrameAgeMs in the report, seconds (null: no frame since the agent started). Default 5. */
  frameAgeS?: number | null;
}
type Step =
  | [link: 'down' | 'up', at: number, opts?: ReportOpts]
  | [status: 'online' | 'offline', at: number, boot?: string]
  | [tick: 'tick', at: number];

function health(at: number, state: 'up' | 'down', o: ReportOpts, seq: number): HealthPayload {
  const frameAgeS = o.frameAgeS === undefined ? 5 : o.frameAgeS;
  return {
    v: 1,
    stationId: 'st-001',
    bootId: o.boot ?? BOOT_A,
    seq,
    ts: T + at * S,
    agentVersion: '0.1.0',
    uptimeS: 100 + at,
    rssBytes: 40e6,
    serial: {
      state,
      port: PORT,
      lastFrameAgeMs: frameAgeS === null ? null : frameAgeS * S,
      framesGood: 10,
      framesBad: {},
    },
  };
}

/** Run the steps through an engine holding only this rule; events as `status@second`. */
function run(steps: Step[], opts: Partial<SerialLinkDownOptions> = {}) {
  let clock = T;
  const station = stationFixture('st-001');
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = new AlertEngine(
    new StationRegistry([station]),
    [serialLinkDownRule({ ...opts, now: () => clock })],
    metrics,
    pino({ level: 'silent' }),
  );
  const alerts: Alert[] = [];
  const events: string[] = [];
  let at = 0;
  engine.on('alert', (a) => {
    alerts.push(a);
    events.push(`${a.status}@${at}`);
  });
  steps.forEach((step, seq) => {
    const t = step[1];
    switch (step[0]) {
      case 'tick':
        at = t;
        clock = T + t * S;
        engine.tick(clock);
        return;
      case 'online':
      case 'offline': {
        at = t;
        clock = T + t * S;
        const online = step[0] === 'online';
        engine.observe(station.id, [
          {
            type: 'status',
            online,
            bootId: step[2] ?? BOOT_A,
            ts: clock,
            ...(online ? {} : { reason: 'will' }),
          },
        ]);
        return;
      }
      case 'down':
      case 'up': {
        const o = step[2] ?? {};
        at = o.arrive ?? t;
        clock = T + at * S;
        engine.observe(station.id, [{ type: 'health', ts: T + t * S, health: health(t, step[0], o, seq) }]);
        return;
      }
    }
  });
  return { engine, events, alerts, metrics, station };
}

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

describe('serial_link_down alert content', () => {
  it('names the station (name and id), the port, the last frame age and the hold, in Chinese and English', async () => {
    const { alerts, metrics, engine } = run([
      ['down', 0, { frameAgeS: 2 }],
      ['down', 65, { frameAgeS: 67 }],
      ['up', 200],
    ]);
    const [fired, resolved] = alerts;
    expect(fired).toMatchObject({
      rule: 'serial_link_down',
      fingerprint: 'serial_link_down/st-001',
      stationId: 'st-001',
      stationName: '测试001号驿站',
      severity: 'warning',
      status: 'firing',
      startsAt: new Date(T).toISOString(),
      evidence: {
        port: PORT,
        lastFrameAgeMs: 67_000,
        downSince: new Date(T).toISOString(),
        downForMs: 65_000,
        holdMs: 60_000,
        bootId: BOOT_A,
      },
    });
    expect(fired?.message).toEqual({
      'zh-CN': `测试001号驿站（st-001）：传感器控制器串口连接中断已超过 1 分钟（串口 ${PORT}，最后一帧在 1 分 7 秒前），请检查串口线和控制器电源`,
      en: `Test Station 001 (st-001): serial link to the sensor controller down for more than 1 min (port ${PORT}, last frame 1 min 7 s ago); check the cable and the controller's power`,
    });
    expect(resolved).toMatchObject({
      id: fired?.id,
      status: 'resolved',
      endsAt: new Date(T + 200 * S).toISOString(),
    });
    expect(resolved?.resolvedMessage).toEqual({
      'zh-CN': '测试001号驿站（st-001）：串口连接已恢复（控制器数据帧恢复，中断约 3 分 20 秒）',
      en: 'Test Station 001 (st-001): serial link back up (frames from the controller arrive again; it was down for about 3 min 20 s)',
    });
    expect(engine.list('firing')).toEqual([]);

    // The webhook body: labels to route on, both languages in the annotations.
    const body = webhookBody(fired as Alert);
    expect(body).toMatchObject({ status: 'firing', groupKey: 'serial_link_down/st-001' });
    expect(body.alert.labels).toEqual({
      alertname: 'serial_link_down',
      station: 'st-001',
      township: '城关镇',
      severity: 'warning',
    });
    expect(body.alert.annotations.summary).toBe(fired?.message['zh-CN']);
    expect(body.alert.annotations.summary_en).toBe(fired?.message.en);
    expect(webhookBody(resolved as Alert).alert.annotations.resolved_en).toContain('serial link back up');

    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_alerts_total', { rule: 'serial_link_down', status: 'firing' })).toBe(1);
    expect(metric(text, 'yizhan_alerts_total', { rule: 'serial_link_down', status: 'resolved' })).toBe(1);
    expect(metric(text, 'yizhan_alerts_firing', { rule: 'serial_link_down' })).toBe(0);
  });

  it('no frame since the agent started, and a restarted agent that resolves, are said so', () => {
    const { alerts } = run([
      ['down', 0, { frameAgeS: null }],
      ['down', 60, { frameAgeS: null }],
      ['online', 90, BOOT_B],
      ['up', 91, { boot: BOOT_B }],
    ]);
    expect(alerts[0]?.message['zh-CN']).toContain('代理启动后未收到过数据帧');
    expect(alerts[0]?.message.en).toContain('no frame since the agent started');
    expect(alerts[0]?.evidence.lastFrameAgeMs).toBeNull();
    expect(alerts[1]?.resolvedMessage?.['zh-CN']).toContain('重启后的边缘代理报告串口正常');
    expect(alerts[1]?.resolvedMessage?.en).toContain('the restarted edge agent reports the link up');
    expect(alerts[1]?.evidence.resolved).toMatchObject({ newBoot: true, bootId: BOOT_B });
  });

  it('what it ignores is counted by reason', async () => {
    const { metrics, events } = run([
      ['down', 0, { arrive: 120 }],
      ['down', 30, { arrive: 120 }],
      ['offline', 130],
      ['down', 131],
      ['online', 140, BOOT_B],
      ['up', 135, { arrive: 141 }],
    ]);
    expect(events).toEqual([]);
    const text = await metrics.registry.metrics();
    const ignored = (reason: string) =>
      metric(text, 'yizhan_alert_observations_ignored_total', { rule: 'serial_link_down', reason });
    expect(ignored('historical')).toBe(2);
    expect(ignored('offline')).toBe(1);
    expect(ignored('old_boot')).toBe(1);
  });

  it('is in the default rule set, with its firing gauge at 0 from the start', async () => {
    const rules = defaultRules({ serialLinkDown: { hold: '30s' } });
    expect(rules.map((r) => r.name)).toEqual(['dispenser_broken', 'serial_link_down']);
    const metrics = createMetrics({ defaultMetrics: false });
    new AlertEngine(
      new StationRegistry([stationFixture('st-001')]),
      rules,
      metrics,
      pino({ level: 'silent' }),
    );
    expect(
      metric(await metrics.registry.metrics(), 'yizhan_alerts_firing', { rule: 'serial_link_down' }),
    ).toBe(0);
  });
});

describe('formatDuration', () => {
  const cases: [ms: number, zh: string, en: string][] = [
    [0, '0 秒', '0 s'],
    [-5, '0 秒', '0 s'],
    [45_900, '45 秒', '45 s'],
    [60_000, '1 分钟', '1 min'],
    [90_000, '1 分 30 秒', '1 min 30 s'],
    [12 * 60_000 + 5_000, '12 分钟', '12 min'],
    [2 * 3_600_000 + 5 * 60_000, '2 小时 5 分钟', '2 h 5 min'],
    [3_600_000, '1 小时', '1 h'],
    [3 * 86_400_000 + 4 * 3_600_000 + 1, '3 天 4 小时', '3 d 4 h'],
  ];
  it.each(cases)('%d ms → %s / %s', (ms, zh, en) => {
    expect(formatDuration(ms, 'zh-CN')).toBe(zh);
    expect(formatDuration(ms, 'en')).toBe(en);
  });
});
