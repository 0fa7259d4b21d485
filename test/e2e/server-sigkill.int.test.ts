/**
 * kill -9 of the server, three times, mid-stream: nothing it acknowledged may be lost. Real
 * processes throughout (bench/faults-run.ts: counting controllers on socat PTYs, one edge agent
 * each, the broker, server/src/main.ts and influxd); the server is killed after 2 s of steady
 * load each round and restarted on its data folder. Every reading the controllers sent must be in
 * InfluxDB with the value sent.
 *
 * The server acknowledges a QoS 1 message only once its lines are in the write-ahead spool and
 * fsynced (server/src/ingest/ack-gate.ts, server/src/influx/spool.ts): whatever a kill takes from
 * memory is either on disk (delivered at the next start) or not acknowledged (the broker sends it
 * again). Before that, each kill lost the lines still in the writer's memory (~0.5 s of readings).
 */
import { expect, it } from 'vitest';
import { describeMissing } from '../../bench/faults-count.js';
import { runFaults } from '../../bench/faults-run.js';

it(
  'three SIGKILLs of the server under load: every reading sent is in InfluxDB, with its value',
  { timeout: 240_000 },
  async () => {
    const report = await runFaults({
      stations: 4,
      intervalMs: 50,
      rounds: 3,
      kills: ['server'],
      loadMs: 2000,
      restartDelayMs: [200, 800],
      // Then polled until InfluxDB holds everything sent (bench/faults-settle.ts).
      settleMs: 500,
      maxSettleMs: 20_000,
      log: (l) => process.stdout.write(`[server-sigkill] ${l}\n`),
    });
    const table = report.rows
      .map((r) => `${r.kill}: sent ${r.sent}, stored ${r.stored}, lost ${r.lost}, wrong ${r.wrongValue}`)
      .join('\n');
    process.stdout.write(`[server-sigkill] ${table.replace(/\n/g, ' | ')}\n`);
    expect(report.rows.map((r) => r.kill)).toEqual(['server', 'server', 'server']);
    for (const r of report.rows)
      expect(r.sent, `readings were sent in each window\n${table}`).toBeGreaterThan(0);
    expect(report.wrong, `wrong values:\n${report.wrong.join('\n')}\n${table}`).toEqual([]);
    expect(report.missing.length, `lost readings:\n${describeMissing(report.missing)}\n${table}`).toBe(0);
    for (const r of report.rows) {
      expect(r.lost, `lost\n${table}`).toBe(0);
      expect(r.stored, `stored = sent (no agent was killed: nothing unheard)\n${table}`).toBe(r.sent);
    }
  },
);
