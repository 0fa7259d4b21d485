/**
 * Alerts to people through the routing file, the outbox and fake WeCom/DingTalk/Feishu robots
 * that check signatures, on both engines: a fire @-mentions the township's crew on every channel,
 * its resolve mentions nobody; a suppressed alert is recorded, not sent; a storm of 1,000 fires
 * in one township is a few merged messages that account for all of them; a restart in the middle
 * of a storm sends every alert once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { alertsApp } from '../alerts/alerts-app.js';
import { testEngines, tempDir, type StoreLocation } from '../store/engines.js';
import { firingAlert } from '../../helpers/alert.js';
import type { Alert } from '../../../server/src/alerts/types.js';
import {
  addPeople,
  alertsCounted,
  MOBILES,
  startFakes,
  writeNotifyFile,
  type NotifyFakes,
} from './notify-setup.js';

const PUBLIC = 'https://yz.example.cn';

describe.each(testEngines())('notifications on $name', (engine) => {
  let fakes: NotifyFakes;
  let notify: { file: string; env: NodeJS.ProcessEnv };
  const dir = tempDir('yizhan-notify-');
  const clock = { t: Date.now() };
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    await engine.setup();
    fakes = await startFakes();
    notify = writeNotifyFile(dir.dir, fakes);
  }, 120_000);
  afterAll(async () => {
    for (const a of apps) await a.close();
    await fakes.close();
    await engine.teardown();
    dir.remove();
  }, 60_000);

  async function start(at: StoreLocation, people = true): Promise<FastifyInstance> {
    const app = await alertsApp({
      dataDir: at.dataDir,
      ...(at.url ? { dbUrl: at.url } : {}),
      notify: {
        ...notify,
        publicUrl: PUBLIC,
        outbox: { now: () => clock.t },
        escalationIntervalMs: 3_600_000,
      },
    });
    apps.push(app);
    if (people) await addPeople(app);
    return app;
  }

  async function outboxRows(app: FastifyInstance, channel: string) {
    return app.ops.db.selectFrom('outbox').selectAll().where('channel', '=', channel).execute();
  }

  it('a fire @-mentions the crew on WeCom, DingTalk (signed) and Feishu (signed); its resolve mentions nobody', async () => {
    const app = await start(await engine.fresh());
    const a = {
      ...firingAlert('st-001', { startMs: clock.t, severity: 'critical' }),
      stationName: '城关人民路驿站',
    };
    app.alertRepo.record(a);
    await vi.waitFor(() => {
      expect(fakes.cgWecom.received.filter((r) => r.code === 0)).toHaveLength(1);
      expect(fakes.cgDing.received.filter((r) => r.code === 0)).toHaveLength(1);
      expect(fakes.cgFeishu.received.filter((r) => r.code === 0)).toHaveLength(1);
    });
    const [wecom] = fakes.cgWecom.received;
    expect(wecom!.mentions).toEqual([MOBILES.crew]);
    expect(wecom!.text).toContain('【严重】城关人民路驿站 st-001 热水器故障');
    expect(wecom!.text).toContain(`${PUBLIC}/app/alerts/${a.id}`);
    expect(fakes.cgDing.received[0]!.mentions).toEqual([MOBILES.crew]);
    expect(fakes.cgFeishu.received[0]!.text).toContain('城关镇');
    // The other township's and the county's robots heard nothing.
    expect(fakes.xtWecom.received).toHaveLength(0);
    expect(fakes.countyWecom.received).toHaveLength(0);
    const events = await app.alertRepo.events(a.id);
    expect(events.map((e) => [e.kind, e.text])).toEqual([
      ['fired', null],
      ['notified', 'channels:cg-wecom,cg-dingtalk,cg-feishu'],
    ]);

    const ends = new Date(clock.t + 60_000).toISOString();
    app.alertRepo.record({
      ...a,
      status: 'resolved',
      endsAt: ends,
      resolvedMessage: { 'zh-CN': '热水器恢复', en: 'ok' },
    });
    await vi.waitFor(() => expect(fakes.cgWecom.received.filter((r) => r.code === 0)).toHaveLength(2));
    expect(fakes.cgWecom.received[1]!.mentions).toEqual([]);
    expect(fakes.cgWecom.received[1]!.text).toContain('【已恢复】');
    await app.close();
  });

  it('a suppressed alert is recorded as suppressed and sent nowhere', async () => {
    const app = await start(await engine.fresh());
    const a: Alert = { ...firingAlert('st-001', { startMs: clock.t + 5 }), suppressedBy: 'dark-alert-1' };
    app.alertRepo.record(a);
    await app.alertRepo.flushed();
    expect((await app.alertRepo.events(a.id)).map((e) => [e.kind, e.text])).toEqual([
      ['fired', null],
      ['suppressed', 'by:dark-alert-1'],
    ]);
    const rows = await app.ops.db.selectFrom('outbox').select('dedupe_key').execute();
    expect(rows.filter((r) => r.dedupe_key.startsWith(a.id))).toEqual([]);
    await app.close();
  });

  it('a flapping alert is sent once as flapping; its resolve is not sent', async () => {
    const app = await start(await engine.fresh());
    const before = fakes.xtWecom.received.length;
    const a: Alert = {
      ...firingAlert('st-002', { township: '新塘镇', startMs: clock.t + 7 }),
      flapping: true,
    };
    app.alertRepo.record(a);
    await vi.waitFor(() => expect(fakes.xtWecom.received.length).toBe(before + 1));
    expect(fakes.xtWecom.received[before]!.text).toContain('【反复】');
    expect(fakes.xtWecom.received[before]!.text).toContain('请派人现场查看');
    app.alertRepo.record({ ...a, status: 'resolved', endsAt: new Date(clock.t + 60_000).toISOString() });
    await app.alertRepo.flushed();
    const rows = await outboxRows(app, 'xt-wecom');
    expect(rows.map((r) => r.dedupe_key)).toEqual([`${a.id}:fired:xt-wecom`]);
    await app.close();
  });

  it('1,000 fires in one township within a minute: at most 5 messages per channel, every alert counted', async () => {
    const app = await start(await engine.fresh());
    const before = fakes.xtWecom.received.length;
    const t0 = clock.t;
    // 40 bursts of 25 over a minute, as a power cut reaches stations one after another; the outbox
    // worker has a pass between bursts (what is due by then is sent).
    for (let burst = 0; burst < 40; burst++) {
      for (let i = 0; i < 25; i++)
        app.alertRepo.record(firingAlert('st-002', { township: '新塘镇', startMs: t0 + burst * 1500 + i }));
      await app.alertRepo.flushed();
      await vi.waitFor(
        async () => {
          const due = (await outboxRows(app, 'xt-wecom')).filter(
            (r) => r.state !== 'sent' && r.next_attempt_at <= clock.t,
          );
          expect(due).toEqual([]);
        },
        { timeout: 10_000 },
      );
      clock.t += 1500;
    }
    clock.t += 30_000;
    await vi.waitFor(
      async () =>
        expect((await outboxRows(app, 'xt-wecom')).filter((r) => r.state === 'sent')).toHaveLength(1000),
      { timeout: 20_000 },
    );
    const got = { ...fakes.xtWecom, received: fakes.xtWecom.received.slice(before) };
    expect(got.received.length).toBeLessThanOrEqual(5);
    expect(alertsCounted(got)).toBe(1000);
    expect(got.received[got.received.length - 1]!.text).toMatch(/新塘镇 \d+ 个新告警/);
    await app.close();
  }, 120_000);

  it('faults a quarter minute apart in one township each go at once, not held for a storm', async () => {
    const app = await start(await engine.fresh());
    const before = fakes.xtWecom.received.length;
    for (let k = 0; k < 4; k++) {
      clock.t += 16_000;
      app.alertRepo.record(firingAlert('st-002', { township: '新塘镇', startMs: clock.t + k }));
      // The clock stands still while waiting: a held item (due 20 s ahead) would never go.
      await vi.waitFor(() => expect(fakes.xtWecom.received.length).toBe(before + k + 1), { timeout: 10_000 });
    }
    await app.close();
  });

  it('a restart in the middle of a storm: every alert notified, none twice', async () => {
    const at = await engine.fresh();
    const first = await start(at);
    const before = fakes.xtWecom.received.length;
    const t0 = clock.t + 1_000_000;
    const storm = Array.from({ length: 300 }, (_, i) =>
      firingAlert('st-002', { township: '新塘镇', startMs: t0 + i, rule: 'water_low' }),
    );
    for (const a of storm.slice(0, 200)) first.alertRepo.record(a);
    await first.alertRepo.flushed();
    // The first went at once; the rest wait for the storm window when the server stops.
    await vi.waitFor(async () =>
      expect((await outboxRows(first, 'xt-wecom')).some((r) => r.state === 'sent')).toBe(true),
    );
    await first.close();

    const second = await start(at, false);
    // The engine re-records what it restored (already stored: not notified again) and the rest.
    for (const a of storm) second.alertRepo.record(a);
    await second.alertRepo.flushed();
    clock.t += 60_000;
    await vi.waitFor(
      async () =>
        expect((await outboxRows(second, 'xt-wecom')).filter((r) => r.state === 'sent')).toHaveLength(300),
      { timeout: 20_000 },
    );
    const rows = await outboxRows(second, 'xt-wecom');
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const got = { ...fakes.xtWecom, received: fakes.xtWecom.received.slice(before) };
    expect(alertsCounted(got)).toBe(300);
    await second.close();
  }, 60_000);
});
