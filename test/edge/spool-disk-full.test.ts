/**
 * A board whose disk refuses writes (full SD card, I/O error): the spool's write() fails, here by
 * an injected ENOSPC, either thrown after a partial write or as a short write. The agent keeps
 * running, counts it (health spool.writeErrors), logs it once per episode, holds the messages in
 * memory (bounded, drops counted) and publishes them; once the disk takes writes again they go to
 * disk in order, with no torn line left in the segment.
 */
import type * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Agent } from '@yizhan/edge/agent';
import { agentOnSimulator } from './sim-helpers.js';
import { GuardedSpool } from '../../edge/src/agent/spool-guard.js';
import { DiskSpool } from '../../edge/src/agent/spool.js';
import type { OutboxMessage } from '../../edge/src/agent/outbox.js';
import { Cleanups } from '../helpers/cleanups.js';
import { stationFixture } from './fixtures.js';
import { FAST_BACKOFF, memoryLogger, record, startTestBroker, waitFor, type Recorder } from './helpers.js';

type DiskFault = 'off' | 'throw' | 'short';
const disk: { fault: DiskFault } = vi.hoisted(() => ({ fault: 'off' }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (disk.fault !== 'off' && Buffer.isBuffer(data)) {
      // A full disk takes a few bytes, then refuses: short counts down to 0, or ENOSPC.
      const [off = 0, len = data.length] = rest as [number?, number?];
      const n = len > 7 ? actual.writeSync(fd, data, off, 7) : 0;
      if (disk.fault === 'short') return n;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        syscall: 'write',
      });
    }
    return (actual.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof actual.writeSync;
  return { ...actual, writeSync, default: { ...actual, writeSync } };
});

const msg = (n: number): OutboxMessage => ({
  topic: 'yizhan/v1/stations/st-001/telemetry',
  leaf: 'telemetry',
  payload: Buffer.from(JSON.stringify({ n })),
  retain: false,
  enqueuedAt: 1000 + n,
});
const numberOf = (m: OutboxMessage | undefined): number =>
  (JSON.parse(String(m?.payload)) as { n: number }).n;

describe('GuardedSpool on a real folder with a disk that refuses writes', () => {
  const cleanups = new Cleanups();
  afterAll(() => cleanups.run());

  it.each(['throw', 'short'] as const)(
    'write failure (%s): held in memory in order, bounded, written once the disk takes writes; no torn line',
    (fault) => {
      const dir = mkdtempSync(join(tmpdir(), 'yz-diskfull-'));
      cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
      const { logger, lines } = memoryLogger();
      const spool = new GuardedSpool(new DiskSpool({ dir, fsync: 'never', logger }), {
        logger,
        maxHeld: 5,
        retryMs: 60_000,
      });
      for (let n = 0; n < 3; n++) spool.push(msg(n));
      disk.fault = fault;
      try {
        for (let n = 3; n < 10; n++) spool.push(msg(n)); // 7 refused, 5 held: 3 and 4 dropped
      } finally {
        disk.fault = 'off';
      }
      expect(spool.writeErrors).toBe(7);
      expect(spool.dropped).toBe(2);
      expect(spool.depth).toBe(8);
      expect(lines.filter((l) => /cannot write the spool/.test(l.msg))).toHaveLength(1);
      expect(lines.filter((l) => /memory hold full/.test(l.msg))).toHaveLength(1);

      spool.push(msg(10)); // the disk takes writes again: held ones first
      expect(spool.heldCount).toBe(0);
      expect(
        lines.some((l) => /spool writable again/.test(l.msg) && l.writeErrors === 7 && l.dropped === 2),
      ).toBe(true);
      spool.close();

      const seg = readdirSync(dir).filter((f) => f.endsWith('.log'));
      const text = seg.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
      for (const line of text.split('\n').filter(Boolean))
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      const again = new DiskSpool({ dir, fsync: 'never' });
      const out: number[] = [];
      for (let m = again.shift(); m; m = again.shift()) out.push(numberOf(m));
      again.close();
      expect(again.corrupt).toBe(0);
      expect(out).toEqual([0, 1, 2, 5, 6, 7, 8, 9, 10]);
    },
  );

  it('held messages are handed out after what is on disk, and a requeue puts them back in front', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-diskfull-'));
    cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
    const { logger } = memoryLogger();
    const spool = new GuardedSpool(new DiskSpool({ dir, fsync: 'never' }), { logger, retryMs: 60_000 });
    spool.push(msg(0));
    disk.fault = 'throw';
    try {
      spool.push(msg(1));
      spool.push(msg(2));
      const a = spool.shift();
      const b = spool.shift();
      expect([numberOf(a), numberOf(b)]).toEqual([0, 1]);
      spool.requeue([a, b].filter((m): m is OutboxMessage => m !== undefined));
      const order: number[] = [];
      for (let m = spool.shift(); m; m = spool.shift()) order.push(numberOf(m));
      expect(order).toEqual([0, 1, 2]);
    } finally {
      disk.fault = 'off';
      spool.close();
    }
  });
});

describe('agent on a board whose disk fills up', () => {
  const station = stationFixture({ id: 'st-331' });
  const cleanups = new Cleanups();
  const { logger, lines } = memoryLogger();
  let rec: Recorder;
  let agent: Agent;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-diskfull-agent-'));
    cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
    const broker = await startTestBroker();
    cleanups.add('broker', () => broker.close());
    rec = await record(broker.url);
    cleanups.add('recorder', () => rec.close());
    ({ agent } = await agentOnSimulator(station, broker.url, cleanups, {
      sim: { speed: 50, seed: 4, tickMs: 20 },
      agent: { mqttBackoff: FAST_BACKOFF, healthIntervalMs: 300, stateDir: join(dir, 'state'), logger },
    }));
  });
  afterAll(async () => {
    disk.fault = 'off';
    await cleanups.run();
  });

  it('keeps reading and publishing, counts the refused writes in health, and nothing is lost', async () => {
    const telemetry = () => rec.on('telemetry').length;
    await waitFor('readings flowing', () => telemetry() > 3);
    disk.fault = 'throw';
    const during = telemetry();
    await waitFor('readings still published while the disk refuses writes', () => telemetry() > during + 5);
    await waitFor('health says spool.writeErrors > 0', () =>
      rec.on('health').some((m) => ((m.json.spool as { writeErrors?: number }).writeErrors ?? 0) > 0),
    );
    expect(agent.health().serial.state).toBe('up');
    expect(lines.filter((l) => /cannot write the spool/.test(l.msg))).toHaveLength(1);
    disk.fault = 'off';
    await waitFor('recovery logged', () => lines.some((l) => /spool writable again/.test(l.msg)));
    const after = telemetry();
    await waitFor('readings after recovery', () => telemetry() > after + 3);
    await waitFor('everything delivered', () => agent.health().outbox.depth === 0);
    const seqs = rec.messages
      .filter((m) => m.json.bootId === agent.bootId && typeof m.json.seq === 'number')
      .map((m) => m.json.seq as number);
    const max = Math.max(...seqs);
    expect(new Set(seqs).size).toBe(max + 1); // every seq 0..max arrived: none lost
    expect(agent.health().outbox.dropped).toBe(0);
  });
});
