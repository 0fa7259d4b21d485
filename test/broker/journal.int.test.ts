/**
 * The broker's state journal under a running broker: a disk that fails refuses acknowledgements
 * (no PUBACK, connection closed, counted, /healthz degraded) until it works again, without losing
 * what was acknowledged before.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import {
  closed,
  connect,
  connectInbox,
  metric,
  startTestBroker,
  tempDir,
  type TestBroker,
} from './helpers.js';
import { waitFor } from '../helpers/wait.js';

describe('a failing disk under the broker', () => {
  let tb: TestBroker | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await tb?.stop();
    tb = undefined;
  });

  it('refuses the PUBACK while fdatasync fails (counted, /healthz degraded) and acknowledges again once it works', async () => {
    const { dir, cleanup } = await tempDir('yizhan-failing-');
    tb = await startTestBroker(
      [
        { username: 'st-001', role: 'station' },
        { username: 'server', role: 'server' },
      ],
      { stateDir: join(dir, 'state') },
    );
    const { broker } = tb;
    const secret = (u: string): string => tb?.secret(u) ?? '';
    const topic = stationTopic('st-001', 'telemetry');
    const server = await connect(broker.url, 'server', secret('server'), {
      clientId: 'server-main',
      clean: false,
    });
    await server.subscribeAsync(topic, { qos: 1 });
    await server.endAsync();
    const st = await connect(broker.url, 'st-001', secret('st-001'));
    await st.publishAsync(topic, 'before', { qos: 1 });

    const fh = await open(join(dir, 'state', 'journal'), 'r');
    const proto = Object.getPrototypeOf(fh) as { datasync(): Promise<void> };
    await fh.close();
    vi.spyOn(proto, 'datasync').mockRejectedValue(
      Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
    );
    let acked = false;
    void st.publishAsync(topic, 'while-failing', { qos: 1 }).then(
      () => (acked = true),
      () => undefined,
    );
    await closed(st);
    expect(acked).toBe(false);
    expect(
      await metric(broker.metrics, 'yizhan_broker_persistence_errors_total', { op: 'write' }),
    ).toBeGreaterThanOrEqual(1);
    expect(broker.health()).toMatchObject({
      status: 'degraded',
      problems: [expect.stringContaining('journal')],
    });
    expect(tb.logs.some((l) => l.level >= 50 && l.msg.includes('journal write failed'))).toBe(true);

    vi.restoreAllMocks();
    // the broker tries again by itself (no traffic needed) and acknowledges again
    await waitFor('/healthz ok once the disk works', () => broker.health().status === 'ok', 10_000);
    const again = await connect(broker.url, 'st-001', secret('st-001'));
    await again.publishAsync(topic, 'after', { qos: 1 });
    await again.endAsync();

    const { client: back, box } = await connectInbox(broker.url, 'server', secret('server'), {
      clientId: 'server-main',
      clean: false,
    });
    expect((await box.next(topic)).payload).toBe('before');
    await waitFor('the message acknowledged after recovery', () =>
      box.messages.some((m) => m.payload === 'after'),
    );
    await back.endAsync(true);
    await cleanup();
  }, 30_000);
});
