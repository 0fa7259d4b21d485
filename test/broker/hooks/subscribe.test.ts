/**
 * The SUBSCRIBE hook (broker/src/hooks/subscribe.ts) in process: a refused filter gets 0x80 in
 * the SUBACK (aedes: `done(null, null)`), the connection stays, the refusal is counted.
 */
import type { Subscription } from 'aedes';
import { describe, expect, it } from 'vitest';
import { subscribeHook } from '../../../broker/src/hooks/subscribe.js';
import { counter, fakeClient, hookContext } from './helpers.js';

function authorize(hook: ReturnType<typeof subscribeHook>, client: Parameters<ReturnType<typeof subscribeHook>>[0], topic: string) {
  return new Promise<{ err: Error | null; sub: Subscription | null | undefined }>((resolve) =>
    hook(client, { topic, qos: 1 }, (err, sub) => resolve({ err, sub })),
  );
}

describe('authorizeSubscribe', () => {
  it("grants a station its own cmd and the server every station's telemetry", async () => {
    const { ctx, report } = hookContext();
    const hook = subscribeHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    const server = fakeClient(ctx, { username: 'server', role: 'server' });
    expect((await authorize(hook, st, 'yizhan/v1/stations/st-001/cmd')).sub?.topic).toBe('yizhan/v1/stations/st-001/cmd');
    expect((await authorize(hook, server, 'yizhan/v1/stations/+/telemetry')).sub?.topic).toBe('yizhan/v1/stations/+/telemetry');
  });

  it('answers 0x80 without an error for a refused filter, a too deep one and an unauthenticated client', async () => {
    const { ctx, report } = hookContext({ maxTopicLevels: 8 });
    const hook = subscribeHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    const server = fakeClient(ctx, { username: 'server', role: 'server' });
    for (const [client, topic] of [
      [st, 'yizhan/v1/stations/st-002/cmd'],
      [server, '#'],
      [server, 'yizhan/v1/stations/+/a/b/c/d/e/f'],
      [fakeClient(ctx), 'yizhan/v1/stations/st-001/cmd'],
    ] as const) {
      const { err, sub } = await authorize(hook, client, topic);
      expect(err).toBeNull();
      expect(sub).toBeNull();
    }
    expect(await counter(ctx, 'aclDenials', { action: 'subscribe' })).toBe(4);
    expect(await counter(ctx, 'aclDenials', { reason: 'too_many_levels' })).toBe(1);
  });
});
