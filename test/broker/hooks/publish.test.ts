/**
 * The PUBLISH hook (broker/src/hooks/publish.ts) in process: what a station may publish, what
 * closes its connection (MQTT-3.3.5-2), and the retain flag removed on never-retained topics.
 */
import type { PublishPacket } from 'aedes';
import { describe, expect, it } from 'vitest';
import { publishHook } from '../../../broker/src/hooks/publish.js';
import { counter, fakeClient, hookContext } from './helpers.js';

const packet = (topic: string, retain = false): PublishPacket =>
  ({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, retain, dup: false, messageId: 1 });

function authorize(hook: ReturnType<typeof publishHook>, client: Parameters<ReturnType<typeof publishHook>>[0], p: PublishPacket): Promise<Error | null | undefined> {
  return new Promise((resolve) => hook(client, p, (err) => resolve(err)));
}

describe('authorizePublish', () => {
  it('accepts a station publishing its own telemetry and counts it', async () => {
    const { ctx, report } = hookContext();
    const hook = publishHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    expect(await authorize(hook, st, packet('yizhan/v1/stations/st-001/telemetry'))).toBeNull();
    expect(await counter(ctx, 'messagesIn', { qos: '1' })).toBe(1);
  });

  it("refuses another station's topic and a client that did not authenticate, counting each refusal", async () => {
    const { ctx, report } = hookContext();
    const hook = publishHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    expect(await authorize(hook, st, packet('yizhan/v1/stations/st-002/telemetry'))).toBeInstanceOf(Error);
    expect(await authorize(hook, fakeClient(ctx), packet('yizhan/v1/stations/st-001/telemetry'))).toBeInstanceOf(Error);
    expect(await counter(ctx, 'aclDenials', { action: 'publish' })).toBe(2);
    expect(await counter(ctx, 'messagesIn')).toBe(0);
  });

  it('removes the retain flag of a reading and delivers it', async () => {
    const { ctx, report } = hookContext();
    const hook = publishHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    const p = packet('yizhan/v1/stations/st-001/telemetry', true);
    expect(await authorize(hook, st, p)).toBeNull();
    expect(p.retain).toBe(false);
    expect(await counter(ctx, 'retainStripped')).toBe(1);
    const status = packet('yizhan/v1/stations/st-001/status', true);
    expect(await authorize(hook, st, status)).toBeNull();
    expect(status.retain).toBe(true);
  });

  it('closes a station publishing far above its rate', async () => {
    const { ctx, report } = hookContext({ publishRate: { station: { perSecond: 1, burst: 1 } }, publishMaxDelayMs: 50 });
    const hook = publishHook(ctx, report);
    const st = fakeClient(ctx, { username: 'st-001', role: 'station' });
    const results: (Error | null | undefined)[] = [];
    for (let i = 0; i < 5; i++) hook(st, packet('yizhan/v1/stations/st-001/telemetry'), (err) => results.push(err));
    await expect.poll(() => results.filter((r) => r instanceof Error).length).toBeGreaterThan(0);
    expect(await counter(ctx, 'aclDenials', { reason: 'rate_limit' })).toBeGreaterThan(0);
  });
});
