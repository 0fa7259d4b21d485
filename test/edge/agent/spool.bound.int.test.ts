/**
 * The spool bound, end to end: a small disk spool, a fast controller on a real PTY and a broker
 * outage long enough to overflow it. The oldest messages are dropped; the count in health equals the
 * messages that never arrived (by seq), they are the oldest ones, and the rest arrive in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startAgent } from '@yizhan/edge/agent';
import { StationSimulator } from '@yizhan/edge/simulator';
import { startPtyPair } from '../../../scripts/lib/socat.js';
import { FAST_BACKOFF, memoryLogger, record, type Recorder } from '../helpers.js';
import { gatedBroker } from '../field-helpers.js';
import { WarpClock } from '../../helpers/clock.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

it('spool full during an outage: oldest dropped, dropped count = messages missing downstream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yz-bound-'));
  cleanup.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const pty = await startPtyPair(dir, 'b');
  cleanup.push(() => pty.stop());
  const broker = await gatedBroker(['rec-']);
  cleanup.push(() => broker.close());
  let rec: Recorder = await record(broker.url, 'yizhan/v1/stations/st-321/#');
  const station = stationFixture('st-321');
  const clock = new WarpClock();
  const sim = new StationSimulator(station, { speed: 200, seed: 9, clock, tickMs: 20 });
  await sim.attachToPath(pty.devicePath);
  cleanup.push(() => sim.stop());
  const { logger, lines } = memoryLogger();
  const agent = await startAgent({
    station,
    mqttUrl: broker.url,
    password: 'x',
    serialPath: pty.agentPath,
    stateDir: join(dir, 'state'),
    spoolMaxBytes: 32 * 1024,
    mqttBackoff: FAST_BACKOFF,
    serialBackoff: FAST_BACKOFF,
    healthIntervalMs: 500,
    logger,
  });
  cleanup.push(() => agent.stop());
  sim.start();
  await waitFor('live readings', () => rec.on('telemetry').length > 5);

  // The broker goes down before the recorder leaves: down() waits until the recorder has every
  // message the broker acknowledged to the agent, so nothing acknowledged goes unrecorded.
  const before = rec;
  await broker.down();
  await rec.close();
  await waitFor('spool overflowing', () => agent.health().outbox.dropped > 50, 40_000);
  clock.setRate(0);
  await new Promise((r) => setTimeout(r, 300));
  await broker.up();
  rec = await record(broker.url, 'yizhan/v1/stations/st-321/#');
  cleanup.push(() => rec.close());
  broker.open();
  const dropped = agent.health().outbox.dropped;
  const sent = agent.health().messages;
  // Every seq of this boot up to `sent`, from both recordings (before and during/after the outage).
  const seqs = (r: Recorder) =>
    r.messages
      .filter((m) => m.json.bootId === agent.bootId && typeof m.json.seq === 'number')
      .map((m) => m.json.seq as number);
  const missingNow = (): number[] => {
    const seen = new Set([...seqs(before), ...seqs(rec)]);
    const out: number[] = [];
    for (let q = 0; q < sent; q++) if (!seen.has(q)) out.push(q);
    return out;
  };
  // Wait for the replay to finish (or stall: then the comparison below shows what is missing).
  await waitFor(
    'spool drained and replay delivered',
    () => agent.health().outbox.depth === 0 && missingNow().length <= dropped,
    30_000,
  ).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const missing = missingNow();
  expect(dropped).toBeGreaterThan(50);
  // The oldest of what waited were dropped: one run, after which nothing is missing. Strays break
  // the run (lost or late); a failure names them.
  const strays = missing.filter((q, i) => i > 0 && q !== (missing[i - 1] ?? -2) + 1);
  const seen = `missing ${missing[0]}..${missing.at(-1)}, strays [${strays.join(', ')}], last before the outage ${Math.max(...seqs(before))}, depth ${agent.health().outbox.depth}`;
  expect(missing.length, seen).toBe(dropped);
  expect(strays, seen).toEqual([]);
  expect(Math.min(...missing)).toBeGreaterThan(Math.max(...seqs(before)) - 200);
  // The replay arrives in order.
  const replay = seqs(rec).filter((q) => q < sent);
  expect(replay).toEqual([...replay].sort((a, b) => a - b));
  // Health says so too.
  await waitFor('health reporting the drops', () =>
    rec.on('health').some((m) => (m.json.spool as { dropped: number } | undefined)?.dropped === dropped),
  );
  expect(lines.some((l) => l.msg === 'spool full: oldest segment dropped')).toBe(true);
}, 120_000);
