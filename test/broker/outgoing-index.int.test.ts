/**
 * The broker's indexed outgoing store (broker/src/aedes-patches/outgoing-index.ts) must behave exactly like
 * aedes-persistence's in-memory one it replaces: random sequences of enqueue, update (packet id
 * assignment), clear (PUBACK) and stream run on both, and every result is compared. Then a real
 * broker delivers QoS 1 messages to a persistent session across a reconnect with it in place.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OutgoingIndex,
  indexOutgoing,
  unusedPacketIds,
  type OutgoingPacket,
  type PacketIdClient,
} from '../../broker/src/aedes-patches/outgoing-index.js';
import { brokerSuite, connectInbox } from './helpers.js';

const require = createRequire(import.meta.url);
/** aedes' own QoSPacket (lib/qos-packet.js, not in its exports map): it takes the packet id from `client._nextId`. */
const QoSPacket = (
  (await import(pathToFileURL(join(dirname(require.resolve('aedes')), 'lib/qos-packet.js')).href)) as {
    default: new (original: object, client: object) => OutgoingPacket;
  }
).default;
const AsyncPersistence = require('aedes-persistence/asyncPersistence.js') as new () => Store;

interface Store {
  outgoingEnqueue(sub: { clientId: string }, p: OutgoingPacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], p: OutgoingPacket): Promise<void>;
  outgoingUpdate(c: { id: string }, p: OutgoingPacket): Promise<void>;
  outgoingClearMessageId(c: { id: string }, p: OutgoingPacket): Promise<OutgoingPacket | undefined>;
  outgoingStream(c: { id: string }): AsyncIterable<OutgoingPacket>;
}

type Op =
  | { op: 'enqueue'; clients: string[]; brokerId: string; brokerCounter: number }
  | { op: 'update'; client: string; brokerId: string; brokerCounter: number; messageId: number }
  | { op: 'clear'; client: string; messageId: number }
  | { op: 'stream'; client: string };

const client = fc.constantFrom('server', 'ops');
const brokerId = fc.constantFrom('b1', 'b2');
const counter = fc.integer({ min: 0, max: 6 });
const mid = fc.integer({ min: 1, max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('enqueue' as const),
    clients: fc.uniqueArray(client, { minLength: 1, maxLength: 2 }),
    brokerId,
    brokerCounter: counter,
  }),
  fc.record({ op: fc.constant('update' as const), client, brokerId, brokerCounter: counter, messageId: mid }),
  fc.record({ op: fc.constant('clear' as const), client, messageId: mid }),
  fc.record({ op: fc.constant('stream' as const), client }),
);

const view = (p: OutgoingPacket | undefined) =>
  p && { brokerId: p.brokerId, brokerCounter: p.brokerCounter, messageId: p.messageId };

async function run(store: Store, ops: Op[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'enqueue': {
        const p = {
          cmd: 'publish',
          topic: 't',
          payload: Buffer.from('x'),
          qos: 1,
          brokerId: o.brokerId,
          brokerCounter: o.brokerCounter,
        };
        if (o.clients.length === 1) await store.outgoingEnqueue({ clientId: o.clients[0] ?? '' }, p);
        else
          await store.outgoingEnqueueCombi(
            o.clients.map((clientId) => ({ clientId })),
            p,
          );
        out.push('ok');
        break;
      }
      case 'update':
        out.push(
          await store
            .outgoingUpdate(
              { id: o.client },
              { brokerId: o.brokerId, brokerCounter: o.brokerCounter, messageId: o.messageId },
            )
            .then(
              () => 'ok',
              (e: Error) => e.message,
            ),
        );
        break;
      case 'clear':
        out.push(view(await store.outgoingClearMessageId({ id: o.client }, { messageId: o.messageId })));
        break;
      case 'stream': {
        const list: unknown[] = [];
        for await (const p of store.outgoingStream({ id: o.client })) list.push(view(p));
        out.push(list);
        break;
      }
    }
  }
  return out;
}

describe('indexed outgoing store', () => {
  it('gives the same result as aedes-persistence for every operation of random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const want = await run(new AsyncPersistence(), ops);
        const got = await run(new OutgoingIndex(), ops);
        expect(got).toEqual(want);
      }),
      { numRuns: 1500 },
    );
  });

  it('finds the entry left when one of two with the same message or packet id goes, as aedes-persistence does', async () => {
    // random sequences reach this only now and then: the same message queued twice for a client,
    // the first one sent and acknowledged, the second one then sent
    const ops: Op[] = [
      { op: 'enqueue', clients: ['server'], brokerId: 'b1', brokerCounter: 1 },
      { op: 'enqueue', clients: ['server'], brokerId: 'b1', brokerCounter: 1 },
      { op: 'update', client: 'server', brokerId: 'b1', brokerCounter: 1, messageId: 1 },
      { op: 'clear', client: 'server', messageId: 1 },
      { op: 'update', client: 'server', brokerId: 'b1', brokerCounter: 1, messageId: 2 },
      { op: 'enqueue', clients: ['server'], brokerId: 'b1', brokerCounter: 2 },
      { op: 'update', client: 'server', brokerId: 'b1', brokerCounter: 2, messageId: 2 },
      { op: 'clear', client: 'server', messageId: 2 },
      { op: 'clear', client: 'server', messageId: 2 },
      { op: 'stream', client: 'server' },
    ];
    const want = await run(new AsyncPersistence(), ops);
    expect(await run(new OutgoingIndex(), ops)).toEqual(want);
    expect(want[4]).toBe('ok');
  });

  it('fits the aedes-persistence installed here, and leaves another shape alone', () => {
    const createMemory = require('aedes-persistence') as () => object;
    const noop = () => undefined;
    expect(indexOutgoing({ persistence: createMemory(), preConnect: noop })).toBeInstanceOf(OutgoingIndex);
    expect(indexOutgoing({ persistence: { outgoingUpdate: noop }, preConnect: noop })).toBeUndefined();
  });

  it('gives a new message a packet id no queued message holds, the way aedes takes it [MQTT-2.3.1-2]', async () => {
    const index = new OutgoingIndex();
    const sub = { clientId: 'server' };
    const broker = { id: 'b1', counter: 0 };
    // Three messages sent on an earlier connection with ids 65534, 65535 and 1, not acknowledged.
    for (const [counter, messageId] of [
      [1, 65_534],
      [2, 65_535],
      [3, 1],
    ] as const) {
      await index.outgoingEnqueue(sub, { brokerId: 'b1', brokerCounter: counter });
      await index.outgoingUpdate({ id: 'server' }, { brokerId: 'b1', brokerCounter: counter, messageId });
    }
    const client: PacketIdClient & { broker: typeof broker; _onError(): void } = {
      id: 'server',
      _nextId: 65_534,
      broker,
      _onError: () => undefined,
    };
    unusedPacketIds(client, index);
    const ids = [0, 1, 2].map(() => new QoSPacket({ cmd: 'publish', topic: 't', qos: 1 }, client).messageId);
    expect(ids).toEqual([2, 3, 4]);
    // Once acknowledged, an id is free again.
    await index.outgoingClearMessageId({ id: 'server' }, { messageId: 65_535 });
    client._nextId = 65_535;
    expect(new QoSPacket({ cmd: 'publish', topic: 't', qos: 1 }, client).messageId).toBe(65_535);
  });

  it('resends after a reconnect what the new connection has not sent itself, skipping what was acknowledged meanwhile', async () => {
    const index = new OutgoingIndex();
    const sub = { clientId: 'server' };
    const earlier = { id: 'server' };
    const now = { id: 'server' };
    for (let counter = 1; counter <= 4; counter++)
      await index.outgoingEnqueue(sub, { brokerId: 'b1', brokerCounter: counter });
    await index.outgoingUpdate(earlier, { brokerId: 'b1', brokerCounter: 1, messageId: 11 }); // in flight when the link broke
    await index.outgoingUpdate(now, { brokerId: 'b1', brokerCounter: 4, messageId: 14 }); // went out live on the new one
    const stream = index.outgoingStream(now);
    const seen: unknown[] = [];
    for await (const p of stream as AsyncIterable<OutgoingPacket>) {
      seen.push(p.brokerCounter);
      // counter 3 is acknowledged (through another path) before the reader gets to it
      if (p.brokerCounter === 1) {
        await index.outgoingUpdate(now, { brokerId: 'b1', brokerCounter: 3, messageId: 13 });
        await index.outgoingClearMessageId(now, { messageId: 13 });
        await index.outgoingEnqueue(sub, { brokerId: 'b1', brokerCounter: 5 }); // queued after: goes out live
      }
    }
    expect(seen).toEqual([1, 2]);
  });

  const suite = brokerSuite([
    { username: 'st-001', role: 'station' },
    { username: 'server', role: 'server' },
  ]);

  it('a real broker with it: QoS 1 messages queued for an absent persistent session all arrive, in order', async () => {
    const topic = 'yizhan/v1/stations/st-001/telemetry';
    const first = await suite.as('server', { clientId: 'server-persist', clean: false });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const station = await suite.as('st-001');
    for (let i = 0; i < 200; i++) await station.publishAsync(topic, `m${i}`, { qos: 1 });
    const { client: back, box } = await connectInbox(
      suite.tb.broker.url,
      'server',
      suite.tb.secret('server'),
      { clientId: 'server-persist', clean: false },
    );
    await suite.keep(Promise.resolve(back));
    await expect.poll(() => box.messages.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(200);
    expect(box.messages.map((m) => m.payload)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });
});
