/**
 * The will sweep's judgement, with a held clock and an aedes stand-in: which wills of which nodes
 * are published, dropped or kept, heartbeat by heartbeat.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Aedes } from 'aedes';
import { parseWillKey, sweepWillsOfDeadNodes } from '../../../broker/src/aedes-patches/cluster-wills.js';

const HB = 1_000;
const SELF = 'node-self';

/** An aedes with wills in "Redis", a clock, and what it published. */
function setup(wills: [brokerId: string, clientId: string][], connectedHere: string[] = []) {
  let t = 0;
  const list = new Map(wills.map(([b, c]) => [`will:${b}:${encodeURIComponent(c)}`, { topic: `yizhan/v1/stations/${c}/status`, payload: Buffer.from('offline'), qos: 1, retain: true }]));
  const listeners: ((p: { payload: string }, done: () => void) => void)[] = [];
  const published: string[] = [];
  const aedes = {
    id: SELF,
    clients: Object.fromEntries(connectedHere.map((c) => [c, {}])),
    persistence: {
      delWill: ({ id, brokerId }: { id: string; brokerId: string }) => {
        const key = `will:${brokerId}:${encodeURIComponent(id)}`;
        const w = list.get(key) ?? null;
        list.delete(key);
        return Promise.resolve(w);
      },
    },
    mq: { on: (_topic: string, fn: (p: { payload: string }, done: () => void) => void) => listeners.push(fn) },
    authorizePublish: (_c: unknown, _p: unknown, cb: (err?: Error | null) => void) => cb(null),
    publish: (p: { topic: string }, cb: (err?: Error) => void) => {
      published.push(p.topic.split('/')[3] ?? '');
      cb();
    },
  };
  const redis = { llen: () => Promise.resolve(0), lrange: () => Promise.resolve([...list.keys()]) };
  const sweeper = sweepWillsOfDeadNodes(aedes as unknown as Aedes, { redis, heartbeatMs: HB, log: pino({ level: 'silent' }), now: () => t });
  sweeper.stop(); // the test drives the sweeps
  return {
    published,
    remaining: () => [...list.keys()].map((k) => parseWillKey(k)?.clientId),
    hear: (brokerId: string) => listeners.forEach((fn) => fn({ payload: brokerId }, () => undefined)),
    /** Move the clock to `ms` and sweep; this node hears its own heartbeat first unless `deaf`. */
    at: async (ms: number, { deaf = false } = {}) => {
      t = ms;
      if (!deaf) listeners.forEach((fn) => fn({ payload: SELF }, () => undefined));
      await sweeper.sweep();
    },
  };
}

describe('wills of other broker nodes', () => {
  it('a node never heard of has 3 heartbeats from this node’s start; then its wills are published once', async () => {
    const s = setup([['node-gone', 'st-001']]);
    await s.at(2.5 * HB);
    expect(s.published).toEqual([]);
    await s.at(3.5 * HB);
    await s.at(3.6 * HB);
    expect(s.published).toEqual(['st-001']);
    expect(s.remaining()).toEqual([]);
  });

  it('a node heard by its birth or heartbeat is alive for 3 heartbeats after it', async () => {
    const s = setup([['node-b', 'st-001']]);
    await s.at(2 * HB);
    s.hear('node-b');
    await s.at(4.5 * HB);
    expect(s.published).toEqual([]);
    await s.at(5.5 * HB);
    expect(s.published).toEqual(['st-001']);
  });

  it('a dead node’s will of a station connected again (here, or holding a will on a live node) is dropped unpublished', async () => {
    const s = setup(
      [
        ['node-gone', 'st-001'],
        ['node-gone', 'st-002'],
        ['node-live', 'st-002'],
        ['node-gone', 'st-003'],
      ],
      ['st-001'],
    );
    await s.at(3 * HB);
    s.hear('node-live');
    await s.at(3.5 * HB);
    expect(s.published).toEqual(['st-003']);
    expect(s.remaining()).toEqual(['st-002']); // the live node's will stays
  });

  it('while this node hears nobody, itself included (Redis away), it judges nobody; afterwards every node gets 3 heartbeats again', async () => {
    const s = setup([['node-b', 'st-001']]);
    s.hear('node-b');
    await s.at(1 * HB);
    // an outage: nothing heard from 1 s to 20 s
    await s.at(10 * HB, { deaf: true });
    await s.at(20 * HB, { deaf: true });
    expect(s.published).toEqual([]);
    await s.at(21 * HB); // back; node-b's next heartbeat is due
    expect(s.published).toEqual([]);
    s.hear('node-b');
    await s.at(23 * HB);
    expect(s.published).toEqual([]);
  });

  it('after an outage, the others get 3 heartbeats and the Redis reconnect delay from when this node hears itself again', async () => {
    const outage = async (s: ReturnType<typeof setup>): Promise<void> => {
      s.hear('node-b');
      await s.at(1 * HB);
      await s.at(10 * HB, { deaf: true });
      await s.at(20 * HB, { deaf: true });
      await s.at(20.5 * HB); // hears itself again
    };
    // node-b's connection to Redis comes back later than this node's: heard 3 heartbeats after
    const late = setup([['node-b', 'st-001']]);
    await outage(late);
    await late.at(23.5 * HB);
    late.hear('node-b');
    await late.at(25.5 * HB);
    expect(late.published).toEqual([]);
    // a node that died during the outage: judged once that time has passed
    const gone = setup([['node-b', 'st-001']]);
    await outage(gone);
    await gone.at(24.4 * HB);
    expect(gone.published).toEqual([]);
    await gone.at(24.6 * HB); // 20.5 + 1 s reconnect delay + 3 heartbeats
    expect(gone.published).toEqual(['st-001']);
  });
  it('a long outage swept every heartbeat does not end the deafness early: the grace starts when this node hears itself', async () => {
    const run = async (bHeardFrom: number) => {
      const s = setup([['node-b', 'st-001']]);
      s.hear('node-b');
      await s.at(1 * HB);
      for (let t = 2; t <= 12; t++) await s.at(t * HB, { deaf: true }); // Redis away from 1 s to 12.5 s
      for (let t = 13; t <= 18; t++) {
        if (t >= bHeardFrom) s.hear('node-b'); // its heartbeats again, from then on
        await s.at(t * HB); // hears itself from 13 s on
      }
      return s.published;
    };
    // node-b heard again 2 heartbeats after this node: inside its 1 s reconnect delay + 3 heartbeats
    expect(await run(15)).toEqual([]);
    // node-b never heard again: dead once 13 + 1 + 3 s have passed, and not before
    const s = setup([['node-b', 'st-001']]);
    s.hear('node-b');
    await s.at(1 * HB);
    for (let t = 2; t <= 12; t++) await s.at(t * HB, { deaf: true });
    for (let t = 13; t <= 17; t++) await s.at(t * HB);
    expect(s.published).toEqual([]);
    await s.at(17.5 * HB);
    expect(s.published).toEqual(['st-001']);
  });
});
