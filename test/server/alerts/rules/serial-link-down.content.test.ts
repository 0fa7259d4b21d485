/**
 * What the serial_link_down alerts say (station, port, last frame age, hold; Chinese and English;
 * the webhook body), what the rule counts, its place in the default rule set, and the durations in
 * its messages. Which report sequences fire: serial-link-down.test.ts.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AlertEngine } from '../../../../server/src/alerts/engine.js';
import { defaultRules } from '../../../../server/src/alerts/rules/index.js';
import { webhookBody } from '../../../../server/src/alerts/webhook.js';
import type { Alert } from '../../../../server/src/alerts/types.js';
import { formatDuration } from '../../../../server/src/i18n.js';
import { createMetrics } from '../../../../server/src/metrics.js';
import { StationRegistry } from '../../../../server/src/registry.js';
import { metric } from '../../helpers.js';
import { BOOT_A, BOOT_B, PORT, S, T, run } from '../../serial-link-fixtures.js';
import { stationFixture } from '../../../helpers/station.js';

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
    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining(['dispenser_broken', 'serial_link_down', 'station_dark']),
    );
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
