/**
 * The broker's state journal: torn tails are cut where the damage starts, durable appends of one
 * loop turn share one fdatasync, the journal is compacted past its bound, and a disk that fails
 * refuses acknowledgements (no PUBACK, connection closed, counted, /healthz degraded) until it
 * works again, without losing what was acknowledged before.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { frame, Journal, parseJournal, readJournal } from '../../broker/src/journal.js';
import { stationTopic } from '@yizhan/protocol';
import { closed, connect, inbox, metric, startTestBroker, tempDir, waitFor, type TestBroker } from './helpers.js';

const rec = (s: string): Buffer => Buffer.from(s);

describe('parseJournal', () => {
  const three = Buffer.concat([frame(rec('one')), frame(rec('two')), frame(rec('three'))]);

  it('reads intact records', () => {
    const p = parseJournal(three);
    expect(p.records.map(String)).toEqual(['one', 'two', 'three']);
    expect(p).toMatchObject({ validBytes: three.length, tornBytes: 0 });
  });

  it.each([
    ['a torn header', Buffer.concat([three, Buffer.from([5, 0, 0])])],
    ['a torn body', Buffer.concat([three, frame(rec('four-four')).subarray(0, 12)])],
    ['a record whose CRC does not match', Buffer.concat([three, Buffer.from(frame(rec('four')).map((b, i) => (i === 9 ? b ^ 1 : b)))])],
  ])('cuts %s off and keeps what precedes it', (_what, buf) => {
    const p = parseJournal(buf);
    expect(p.records.map(String)).toEqual(['one', 'two', 'three']);
    expect(p.tornBytes).toBe(buf.length - three.length);
    expect(p.tornReason).toBeTruthy();
  });
});

describe('Journal', () => {
  const dirs: (() => Promise<void>)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(dirs.splice(0).map((c) => c()));
  });
  const fileIn = async (): Promise<string> => {
    const { dir, cleanup } = await tempDir('yizhan-journal-');
    dirs.push(cleanup);
    return join(dir, 'journal');
  };
  const fileHandleProto = async (file: string): Promise<{ datasync(): Promise<void> }> => {
    const fh = await open(file, 'r');
    await fh.close();
    return Object.getPrototypeOf(fh) as { datasync(): Promise<void> };
  };

  it('durable appends of one loop turn share one fdatasync; non-durable ones ride along', async () => {
    const file = await fileIn();
    const j = await Journal.create({ file, snapshot: () => [rec('state')], compactBytes: 1 << 20, onError: () => {} });
    const sync = vi.spyOn(await fileHandleProto(file), 'datasync');
    const done = Array.from({ length: 500 }, (_, i) => j.appendDurable(rec(`m${i}`)));
    j.append(rec('clear'));
    await Promise.all(done);
    expect(sync).toHaveBeenCalledTimes(1);
    await j.close();
    expect((await readJournal(file)).records.map(String)).toEqual(['state', ...Array.from({ length: 500 }, (_, i) => `m${i}`), 'clear']);
  });

  it('is compacted to the snapshot once it outgrows its bound', async () => {
    const file = await fileIn();
    let state = ['a'];
    const j = await Journal.create({ file, snapshot: () => state.map(rec), compactBytes: 200, onError: () => {} });
    for (let i = 0; i < 20; i++) {
      state = [...state, `r${i}`].slice(-3);
      await j.appendDurable(rec(`r${i}`));
    }
    await j.close();
    const records = (await readJournal(file)).records.map(String);
    expect(records.length).toBeLessThan(20);
    expect(records.slice(-3)).toEqual(['r17', 'r18', 'r19']);
    expect((await readFile(file)).length).toBeLessThanOrEqual(200);
  });
});

describe('a failing disk under the broker', () => {
  let tb: TestBroker | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await tb?.stop();
    tb = undefined;
  });

  it('refuses the PUBACK while fdatasync fails (counted, /healthz degraded) and acknowledges again once it works', async () => {
    const { dir, cleanup } = await tempDir('yizhan-failing-');
    tb = await startTestBroker([{ username: 'st-001', role: 'station' }, { username: 'server', role: 'server' }], { stateDir: join(dir, 'state') });
    const { broker } = tb;
    const secret = (u: string): string => tb?.secret(u) ?? '';
    const topic = stationTopic('st-001', 'telemetry');
    const server = await connect(broker.url, 'server', secret('server'), { clientId: 'server-main', clean: false });
    await server.subscribeAsync(topic, { qos: 1 });
    await server.endAsync();
    const st = await connect(broker.url, 'st-001', secret('st-001'));
    await st.publishAsync(topic, 'before', { qos: 1 });

    const fh = await open(join(dir, 'state', 'journal'), 'r');
    const proto = Object.getPrototypeOf(fh) as { datasync(): Promise<void> };
    await fh.close();
    vi.spyOn(proto, 'datasync').mockRejectedValue(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    let acked = false;
    void st.publishAsync(topic, 'while-failing', { qos: 1 }).then(() => (acked = true), () => undefined);
    await closed(st);
    expect(acked).toBe(false);
    expect(await metric(broker.metrics, 'yizhan_broker_persistence_errors_total', { op: 'write' })).toBeGreaterThanOrEqual(1);
    expect(broker.health()).toMatchObject({ status: 'degraded', problems: [expect.stringContaining('journal')] });
    expect(tb.logs.some((l) => l.level >= 50 && l.msg.includes('journal write failed'))).toBe(true);

    vi.restoreAllMocks();
    // the broker tries again by itself (no traffic needed) and acknowledges again
    await waitFor(() => broker.health().status === 'ok', '/healthz ok once the disk works', 10_000);
    const again = await connect(broker.url, 'st-001', secret('st-001'));
    await again.publishAsync(topic, 'after', { qos: 1 });
    await again.endAsync();

    const back = await connect(broker.url, 'server', secret('server'), { clientId: 'server-main', clean: false });
    const box = inbox(back);
    expect((await box.next(topic)).payload).toBe('before');
    await waitFor(() => box.messages.some((m) => m.payload === 'after'), 'the message acknowledged after recovery');
    await back.endAsync(true);
    await cleanup();
  }, 30_000);
});
