/**
 * Live data while a backlog replays (issue 3), end to end with a real broker (in-test aedes) and a
 * real mqtt.js subscriber: with thousands of spooled messages replaying at the configured pace,
 * readings made after the reconnect reach the broker within a second, and at the end every message
 * arrived once, in order within its lane, with `historical: true` on the backlog only.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { MqttLink } from '../../../edge/src/agent/mqtt-link.js';
import { FAST_BACKOFF, memoryLogger } from '../helpers.js';
import { startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { msg, spoolScratch, TOPIC } from '../spool-helpers.js';

const { tmp, open, cleanup } = spoolScratch();

describe('live data during a replay, through a real broker', () => {
  it('new readings arrive within 1 s while 4 000 spooled messages replay; all arrive once', async () => {
    const BACKLOG = 4000;
    const LIVE = 10;
    const RATE = 1000; // publishes per second: the replay takes about 4 s
    const dir = tmp();
    const spool = open(dir);
    const outageStart = Date.now() - 120_000;
    for (let i = 0; i < BACKLOG; i++) spool.push(msg(i, outageStart + i));

    const broker = await startPlainBroker();
    cleanup.push(() => broker.close());
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'rec-lanes' });
    cleanup.push(() => sub.endAsync(true));
    const got: { seq: number; historical: boolean; at: number }[] = [];
    sub.on('message', (_t, payload) => {
      const j = JSON.parse(payload.toString('utf8')) as { seq: number; historical?: boolean };
      got.push({ seq: j.seq, historical: j.historical === true, at: Date.now() });
    });
    await sub.subscribeAsync(TOPIC, { qos: 1 });

    const { logger } = memoryLogger();
    const link = new MqttLink({
      url: broker.url,
      clientId: 'st-901',
      username: 'st-901',
      password: 'x',
      statusTopic: 'yizhan/v1/stations/st-901/status',
      onlinePayload: () => Buffer.from('{"online":true}'),
      willPayload: () => Buffer.from('{"online":false}'),
      outbox: spool,
      maxInflight: 32,
      maxPublishRatePerS: RATE,
      backoff: FAST_BACKOFF,
      connectTimeoutMs: 2000,
      keepaliveS: 30,
      historicalAfterMs: 30_000,
      now: () => Date.now(),
      logger,
    });
    cleanup.push(() => link.stop(Buffer.from('{"online":false}'), 2000));
    link.start();
    await waitFor('replay under way', () => got.length > 300);

    const latencies: number[] = [];
    const backlogAtLive: number[] = [];
    for (let k = 0; k < LIVE; k++) {
      const seq = BACKLOG + k;
      const sentAt = Date.now();
      link.enqueue(msg(seq, sentAt));
      const arrived = await waitFor(`live reading ${seq}`, () => got.find((g) => g.seq === seq), 1000);
      latencies.push(arrived.at - sentAt);
      backlogAtLive.push(got.filter((g) => g.seq < BACKLOG).length);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every live reading arrived within 1 s, and the backlog was still replaying when the last did.
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(backlogAtLive[LIVE - 1]).toBeLessThan(BACKLOG);

    await waitFor('backlog replayed', () => got.length >= BACKLOG + LIVE, 15_000);
    await waitFor('spool acknowledged', () => spool.depth === 0);
    await new Promise((r) => setTimeout(r, 200)); // any duplicate would show up by now
    const seqs = got.map((g) => g.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // each once
    expect(seqs.length).toBe(BACKLOG + LIVE);
    const backlog = got.filter((g) => g.seq < BACKLOG);
    const live = got.filter((g) => g.seq >= BACKLOG);
    expect(backlog.map((g) => g.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i));
    expect(live.map((g) => g.seq)).toEqual(Array.from({ length: LIVE }, (_, k) => BACKLOG + k));
    expect(backlog.every((g) => g.historical)).toBe(true);
    expect(live.some((g) => g.historical)).toBe(false);
    // Interleaved, not queued behind: live readings arrived before the backlog's tail.
    const lastBacklogAt = Math.max(...backlog.map((g) => g.at));
    expect(live.every((g) => g.at < lastBacklogAt)).toBe(true);
  }, 30_000);
});
