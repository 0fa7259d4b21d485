/**
 * The notification outbox on both engines: deduplicated enqueue, delivery once, retries through an
 * hour-long outage, non-retryable failures, restart mid-way, two workers on one PostgreSQL store,
 * the rate limit and merging a storm. Time is an injected clock; the worker passes are driven by
 * tick() so each test decides what has happened.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, OutboundMessage, SendResult } from '../../../server/src/notify/channel.js';
import { Outbox, type OutboxItem, type OutboxOptions } from '../../../server/src/notify/outbox.js';
import { openStore, type Store } from '../../../server/src/store/open.js';
import { testEngines } from '../store/engines.js';

const T0 = 1_767_225_600_000;
const MIN = 60_000;

/** A channel that records what it was given and answers what `answer` says. */
class FakeChannel implements Channel {
  readonly kind = 'webhook' as const;
  readonly sent: OutboundMessage[] = [];
  calls = 0;
  answer: (m: OutboundMessage) => SendResult | Promise<SendResult> = () => ({
    ok: true,
    retryable: false,
    detail: '200',
  });
  constructor(readonly name = 'ops') {}
  async send(m: OutboundMessage): Promise<SendResult> {
    this.calls++;
    const r = await this.answer(m);
    if (r.ok) this.sent.push(m);
    return r;
  }
}

const item = (n: number, channel = 'ops', groupKey?: string): OutboxItem => ({
  dedupeKey: `a${n}:firing:${channel}`,
  channel,
  message: { title: `告警 ${n}`, markdown: `**告警 ${n}**`, text: `告警 ${n}` },
  ...(groupKey === undefined ? {} : { groupKey }),
});
const items = (n: number, channel = 'ops', groupKey?: string) =>
  Array.from({ length: n }, (_, i) => item(i, channel, groupKey));

describe.each(testEngines())('outbox on $name', (engine) => {
  beforeAll(() => engine.setup(), 120_000);
  afterAll(() => engine.teardown(), 60_000);

  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
  });
  async function open(loc?: Awaited<ReturnType<typeof engine.fresh>>) {
    const at = loc ?? (await engine.fresh());
    const store = await openStore(at);
    stores.push(store);
    return { store, at };
  }
  function outbox(store: Store, channel: Channel, clock: { t: number }, extra: Partial<OutboxOptions> = {}) {
    return new Outbox({ store, channels: [channel], now: () => clock.t, random: () => 0, ...extra });
  }

  it('enqueueing the same event twice keeps one row, and it is delivered once', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    const clock = { t: T0 };
    const box = outbox(store, ch, clock);
    expect(await box.enqueue([item(1)])).toBe(1);
    expect(await box.enqueue([item(1)])).toBe(0);
    await box.tick();
    clock.t += 10 * MIN;
    await box.enqueue([item(1)]);
    await box.tick();
    expect(ch.sent.map((m) => m.title)).toEqual(['告警 1']);
    const row = await box.item('a1:firing:ops');
    expect(row).toMatchObject({ state: 'sent', attempts: 1, sent_at: T0 });
    expect(row?.tries).toHaveLength(1);
  });

  it('an item enqueued in a transaction that rolls back is not there', async () => {
    const { store } = await open();
    const box = outbox(store, new FakeChannel(), { t: T0 });
    await expect(
      store.db.transaction().execute(async (trx) => {
        await box.enqueue([item(1)], trx);
        throw new Error('alert write failed');
      }),
    ).rejects.toThrow('alert write failed');
    expect(await box.item('a1:firing:ops')).toBeUndefined();
  });

  it('a channel down for an hour: retried with backoff, delivered when it is back, every attempt recorded', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    ch.answer = () => ({ ok: false, retryable: true, code: 'network', detail: 'ECONNREFUSED' });
    const clock = { t: T0 };
    const registry = new Registry();
    const box = outbox(store, ch, clock, { registry });
    await box.enqueue([item(1)]);
    for (; clock.t < T0 + 60 * MIN; clock.t += MIN) await box.tick();
    const during = await box.item('a1:firing:ops');
    expect(during?.state).toBe('pending');
    // Backoff 30 s doubling to 10 min: about 10 attempts in the hour, not 60.
    expect(during?.attempts).toBeGreaterThanOrEqual(5);
    expect(during?.attempts).toBeLessThanOrEqual(12);
    const pending = await registry.getSingleMetric('yizhan_outbox_pending')?.get();
    expect(pending?.values).toEqual([{ labels: { channel: 'ops' }, value: 1 }]);
    const oldest = await registry.getSingleMetric('yizhan_outbox_oldest_pending_seconds')?.get();
    expect(oldest?.values[0]?.value).toBeGreaterThanOrEqual(59 * 60);
    ch.answer = () => ({ ok: true, retryable: false, detail: '200' });
    for (let i = 0; i < 11; i++, clock.t += MIN) await box.tick();
    const after = await box.item('a1:firing:ops');
    expect(after?.state).toBe('sent');
    expect(ch.sent).toHaveLength(1);
    expect(after?.tries.length).toBe(after?.attempts);
    expect(after?.tries.at(-1)?.ok).toBe(1);
    expect(after?.tries.slice(0, -1).every((t) => t.ok === 0 && t.code === 'network')).toBe(true);
    const failed = await registry.getSingleMetric('yizhan_outbox_failed_attempts_total')?.get();
    expect(failed?.values[0]).toMatchObject({
      labels: { channel: 'ops', code: 'network' },
      value: after!.attempts - 1,
    });
    const dead = await registry.getSingleMetric('yizhan_outbox_dead_total')?.get();
    expect(dead?.values.reduce((s, v) => s + v.value, 0) ?? 0).toBe(0);
  });

  it('honours the channel’s retryAfterMs, and gives up as dead after the maximum age', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    ch.answer = () => ({
      ok: false,
      retryable: true,
      code: 'throttled',
      detail: '429',
      retryAfterMs: 5 * MIN,
    });
    const clock = { t: T0 };
    const registry = new Registry();
    const box = outbox(store, ch, clock, { registry, maxAgeMs: 20 * MIN });
    await box.enqueue([item(1)]);
    await box.tick();
    expect((await box.item('a1:firing:ops'))?.next_attempt_at).toBe(T0 + 5 * MIN);
    clock.t += 4 * MIN;
    await box.tick();
    expect(ch.calls).toBe(1);
    for (; clock.t < T0 + 30 * MIN; clock.t += MIN) await box.tick();
    expect((await box.item('a1:firing:ops'))?.state).toBe('dead');
    const dead = await registry.getSingleMetric('yizhan_outbox_dead_total')?.get();
    expect(dead?.values).toEqual([{ labels: { channel: 'ops', reason: 'expired' }, value: 1 }]);
  });

  it('a channel that throws is read by the shared retry decision: a refused connection is retried', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    ch.answer = () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    };
    const box = outbox(store, ch, { t: T0 });
    await box.enqueue([item(1)]);
    await box.tick();
    expect(await box.item('a1:firing:ops')).toMatchObject({
      state: 'pending',
      attempts: 1,
      next_attempt_at: T0 + 30_000,
      last_error: 'network: connect ECONNREFUSED 10.0.0.1:443',
    });
  });

  it('a non-retryable answer fails the item at once, visible with its error, and it is not retried', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    ch.answer = () => ({ ok: false, retryable: false, code: 'unauthorized', detail: 'bad webhook key' });
    const clock = { t: T0 };
    const registry = new Registry();
    const box = outbox(store, ch, clock, { registry });
    await box.enqueue([item(1)]);
    for (let i = 0; i < 5; i++, clock.t += 30 * MIN) await box.tick();
    expect(ch.calls).toBe(1);
    expect(await box.item('a1:firing:ops')).toMatchObject({
      state: 'failed',
      attempts: 1,
      last_error: 'unauthorized: bad webhook key',
    });
    const dead = await registry.getSingleMetric('yizhan_outbox_dead_total')?.get();
    expect(dead?.values).toEqual([{ labels: { channel: 'ops', reason: 'refused' }, value: 1 }]);
  });

  it('a restart mid-way: nothing lost, nothing that was sent is sent again', async () => {
    const { store, at } = await open();
    const first = new FakeChannel();
    // The fifth send never answers: the process dies while it is in flight.
    first.answer = () =>
      first.calls === 5
        ? new Promise<SendResult>(() => undefined)
        : { ok: true, retryable: false, detail: '200' };
    const clock = { t: T0 };
    const box1 = outbox(store, first, clock, { claimMs: 2 * MIN });
    await box1.enqueue(items(10));
    void box1.tick();
    await expect.poll(() => first.calls).toBe(5);
    await expect
      .poll(
        async () =>
          (await store.db.selectFrom('outbox').where('state', '=', 'sent').select('id').execute()).length,
      )
      .toBe(4);
    await store.close();

    const { store: reopened } = await open(at);
    const second = new FakeChannel();
    const box2 = outbox(reopened, second, clock);
    await box2.tick();
    // The claim of the interrupted pass still holds: nothing is taken over yet.
    expect(second.calls).toBe(0);
    clock.t += 3 * MIN;
    await box2.tick();
    const titles = [...first.sent, ...second.sent].map((m) => m.title).sort();
    expect(titles).toEqual(
      items(10)
        .map((i) => i.message.title)
        .sort(),
    );
    expect(second.sent).toHaveLength(6);
  });

  it('the rate limit makes items wait, never drops them', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    const clock = { t: T0 };
    const box = outbox(store, ch, clock, { ratePerMinute: 20 });
    await box.enqueue(items(50));
    await box.tick();
    expect(ch.sent).toHaveLength(20);
    await box.tick();
    expect(ch.sent).toHaveLength(20);
    clock.t += MIN;
    await box.tick();
    expect(ch.sent).toHaveLength(40);
    clock.t += MIN;
    await box.tick();
    expect(ch.sent).toHaveLength(50);
    const states = await store.db.selectFrom('outbox').select('state').distinct().execute();
    expect(states).toEqual([{ state: 'sent' }]);
    expect(new Set(ch.sent.map((m) => m.title)).size).toBe(50);
  });

  it('merge turns a storm of 1,000 items into at most 5 messages per channel', async () => {
    const { store } = await open();
    const a = new FakeChannel('wecom-ops');
    const b = new FakeChannel('dingtalk-ops');
    const clock = { t: T0 };
    const merge = (ms: OutboundMessage[]): OutboundMessage => ({
      title: `${ms.length} 条告警`,
      markdown: ms.map((m) => m.markdown).join('\n'),
      text: ms.map((m) => m.text).join('\n'),
    });
    const box = new Outbox({ store, channels: [a, b], now: () => clock.t, merge });
    await box.enqueue([...items(1000, 'wecom-ops', 'storm'), ...items(1000, 'dingtalk-ops', 'storm')]);
    await box.tick();
    for (const ch of [a, b]) {
      expect(ch.sent.length).toBeLessThanOrEqual(5);
      expect(ch.sent.reduce((s, m) => s + m.text.split('\n').length, 0)).toBe(1000);
    }
    const left = await store.db.selectFrom('outbox').where('state', '!=', 'sent').select('id').execute();
    expect(left).toHaveLength(0);
  });

  it('a merge that throws does not stall the outbox: the group is retried, then delivered', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    const clock = { t: T0 };
    let broken = true;
    const merge = (ms: OutboundMessage[]): OutboundMessage => {
      if (broken) throw new Error('模板错误');
      return { title: `${ms.length} 条告警`, markdown: '', text: '' };
    };
    const box = outbox(store, ch, clock, { merge });
    await box.enqueue(items(3, 'ops', 'g'));
    await box.tick();
    expect(ch.calls).toBe(0);
    expect(await box.item('a0:firing:ops')).toMatchObject({
      state: 'pending',
      last_error: 'prepare_failed: 模板错误',
    });
    broken = false;
    clock.t += MIN;
    await box.tick();
    expect(ch.sent.map((m) => m.title)).toEqual(['3 条告警']);
  });

  it('start() delivers without being driven, stop() ends the loop', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    const box = new Outbox({ store, channels: [ch], pollMs: 20 });
    box.start();
    await box.enqueue(items(3));
    await expect.poll(() => ch.sent.length).toBe(3);
    await box.stop();
  });

  it('nudge() after a commit sends at once, not at the next poll (also when it comes mid-pass)', async () => {
    const { store } = await open();
    const ch = new FakeChannel();
    const box = new Outbox({ store, channels: [ch], pollMs: 60_000 });
    box.start();
    await expect.poll(() => ch.calls).toBe(0);
    await box.enqueue(items(2));
    box.nudge();
    await expect.poll(() => ch.sent.length, { timeout: 5_000 }).toBe(2);
    // A nudge while a send is under way starts the next pass right after it.
    let release: () => void = () => undefined;
    ch.answer = () =>
      new Promise((r) => (release = () => r({ ok: true, retryable: false, detail: '200' })));
    await box.enqueue([item(10)]);
    box.nudge();
    await expect.poll(() => ch.calls).toBe(3);
    await box.enqueue([item(11)]);
    box.nudge();
    ch.answer = () => ({ ok: true, retryable: false, detail: '200' });
    release();
    await expect.poll(() => ch.sent.length, { timeout: 5_000 }).toBe(4);
    await box.stop();
  });

  it.runIf(engine.name === 'postgres')(
    'two workers on one store never send one item twice (200 items)',
    async () => {
      const { store, at } = await open();
      const { store: other } = await open(at);
      const ch = new FakeChannel();
      // Each send yields, so the two workers' passes interleave.
      ch.answer = async () => {
        await new Promise((r) => setImmediate(r));
        return { ok: true, retryable: false, detail: '200' };
      };
      const opts = { ratePerMinute: 10_000, batchSize: 20 };
      const w1 = new Outbox({ store, channels: [ch], workerId: 'w1', ...opts });
      const w2 = new Outbox({ store: other, channels: [ch], workerId: 'w2', ...opts });
      await w1.enqueue(items(200));
      const drain = async (w: Outbox) => {
        for (let i = 0; i < 20; i++) await w.tick();
      };
      await Promise.all([drain(w1), drain(w2)]);
      expect(ch.sent).toHaveLength(200);
      expect(new Set(ch.sent.map((m) => m.title)).size).toBe(200);
      const byWorker = await store.db.selectFrom('outbox_attempts').select('outbox_id').execute();
      expect(byWorker).toHaveLength(200);
    },
  );
});
