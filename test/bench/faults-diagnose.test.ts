import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose } from '../../bench/faults-diagnose.js';
import type { Miss } from '../../bench/faults-count.js';

describe('faults-diagnose: what the processes said around missing readings', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));
  const T = 1_800_000_000_000;
  const stack = (logs: Record<string, object[]>): string => {
    const root = mkdtempSync(join(tmpdir(), 'yz-diag-'));
    roots.push(root);
    mkdirSync(join(root, 'logs'));
    for (const [name, lines] of Object.entries(logs))
      writeFileSync(
        join(root, 'logs', `${name}.log`),
        lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n',
      );
    return root;
  };
  const miss = (station: string, n: number, at: number): Miss => ({
    kill: 'broker',
    round: 1,
    station,
    n,
    at,
    afterKillMs: 700,
    sensors: ['p1', 'p2'],
  });

  it('shows the missing station’s link changes and the broker’s warnings in the span, nothing else', async () => {
    const root = stack({
      'agent-st-004': [
        { level: 30, time: T - 60_000, msg: 'mqtt connected', queued: 0 },
        { level: 40, time: T - 100, msg: 'mqtt connection lost', queued: 3, pid: 1, station: 'st-004' },
        { level: 30, time: T + 50, msg: 'reading mapped' },
        { level: 30, time: T + 4_600, msg: 'mqtt connected', queued: 39 },
      ],
      'agent-st-001': [{ level: 40, time: T, msg: 'mqtt connection lost' }],
      broker: [
        { level: 30, time: T + 3_000, msg: 'broker listening', port: 1883 },
        {
          level: 40,
          time: T + 4_700,
          msg: 'queue full: QoS 1/2 message dropped for this client',
          clientId: 'yizhan-server',
        },
      ],
    });
    const text = await diagnose({
      root,
      missing: [miss('st-004', 77, T), miss('st-004', 115, T + 4_600)],
      metricsUrls: {},
    });
    expect(text).toContain('agent st-004 (2 line(s)');
    expect(text).toContain('t=-100 ms WARN mqtt connection lost (queued=3)');
    expect(text).toContain('t=+4600 ms info mqtt connected (queued=39)');
    expect(text).toContain(
      't=+4700 ms WARN queue full: QoS 1/2 message dropped for this client (clientId=yizhan-server)',
    );
    expect(text).toContain('server (0 line(s)');
    // another station's log, lines outside the span and routine lines are left out
    expect(text).not.toContain('agent st-001');
    expect(text).not.toContain('reading mapped');
    expect(text).not.toMatch(/t=-60000/);
  });

  it('lists the drop and refusal counters of each process, not the others', async () => {
    const metrics = [
      '# HELP yizhan_broker_queue_dropped_total QoS 1/2 messages dropped',
      'yizhan_broker_queue_dropped_total 39',
      'yizhan_broker_connected_clients{role="station"} 6',
      'yizhan_ingest_rejected_total{reason="ts_future"} 2',
    ].join('\n');
    const text = await diagnose({
      root: stack({}),
      missing: [miss('st-004', 77, T)],
      metricsUrls: { broker: `data:text/plain,${encodeURIComponent(metrics)}`, server: undefined },
    });
    expect(text).toContain(
      'broker counters:\n  yizhan_broker_queue_dropped_total 39\n  yizhan_ingest_rejected_total{reason="ts_future"} 2',
    );
    expect(text).not.toContain('connected_clients');
    expect(text).not.toContain('server counters');
  });

  it('says nothing when nothing is missing', async () => {
    expect(await diagnose({ root: '/nonexistent', missing: [], metricsUrls: {} })).toBe('');
  });
});
