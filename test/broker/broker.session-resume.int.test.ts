/**
 * A persistent session that loses its connection with QoS 1 messages in flight, and comes back
 * while stations keep publishing, gets every message (the yizhan server is that session).
 *
 * The failure this guards against (found in a bench:ingest reconnect storm that lost 705
 * readings): the broker gives each new connection a fresh packet id counter, so a live message can
 * get the id of a message still waiting, under its id from the previous connection, to be resent.
 * The live message's PUBACK then removed the older waiting message, which was never sent again;
 * when the broker's resend reached it, aedes found "no such packet" and closed the connection.
 * MQTT 3.1.1 [MQTT-4.3.2-2]: a PUBACK acknowledges the PUBLISH sent with that packet id, and
 * [MQTT-4.4.0-1] has unacknowledged PUBLISH packets re-sent after a reconnect.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { brokerSuite } from './helpers.js';

const TOPIC = 'yizhan/v1/stations/st-001/telemetry';
const TOTAL = 4_000;

describe('persistent session resumed under load', () => {
  const suite = brokerSuite(
    [
      { username: 'st-001', role: 'station' },
      { username: 'server', role: 'server' },
    ],
    {
      limits: {
        maxQueuedPerClient: 100_000,
        publishRate: { station: { perSecond: 100_000, burst: 100_000 } },
      },
    },
  );

  /** The server's session again, with its message handler set before any packet can arrive. */
  async function connectHandling(handler: MqttClient['handleMessage']): Promise<MqttClient> {
    const client = mqtt.connect(suite.tb.broker.url, {
      clientId: 'server-resume',
      username: 'server',
      password: suite.tb.secret('server'),
      protocolVersion: 4,
      reconnectPeriod: 0,
      clean: false,
    });
    client.handleMessage = handler;
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error('connection closed before its CONNACK')));
    });
    return suite.keep(Promise.resolve(client));
  }

  it('a session cut with thousands of messages in flight gets every one after it reconnects, while new ones keep coming', async () => {
    const got = new Set<string>();
    const first = await suite.as('server', { clientId: 'server-resume', clean: false });
    await first.subscribeAsync(TOPIC, { qos: 1 });
    // The first connection reads nothing more after its 200th message and sends no PUBACK for
    // the messages it holds (mqtt.js waits for handleMessage's callback): the broker's writes
    // fill the socket, every one with a packet id from this connection's counter.
    let held = 0;
    let lastId = 0;
    first.handleMessage = (packet, done) => {
      if (held++ < 200) {
        got.add(String(packet.payload));
        lastId = packet.messageId ?? 0;
        done();
      }
    };
    const station = await suite.as('st-001');
    for (let i = 0; i < TOTAL / 2; i++) station.publish(TOPIC, `m${i}`, { qos: 1 });
    await expect.poll(() => held, { timeout: 20_000 }).toBeGreaterThan(200);
    await new Promise((r) => setTimeout(r, 300));
    first.stream.destroy();
    await new Promise<void>((r) => first.once('close', () => r()));

    // The same session again; the station goes on publishing while it resumes.
    // It reads slowly (a busy consumer), so the broker's resend of the held messages waits for
    // the socket to drain while new messages go out beside it and are acknowledged first.
    // The handler is in place before the CONNACK: the resend follows it at once, often in the
    // same TCP segment, before code after an awaited connect would run.
    const second = await connectHandling((packet, done) => {
      got.add(String(packet.payload));
      setTimeout(done, 1);
    });
    // Each connection's counter starts at random; a busy session wraps all 65,535 ids in seconds
    // (3,000 messages/s at a province's load). Start it where the first connection's waiting
    // messages' ids are, which is where any counter gets to while a long resend is under way.
    const { clients } = suite.tb.broker.aedes as unknown as { clients: Record<string, { _nextId: number }> };
    const session = clients['server-resume'];
    if (!session) throw new Error('the broker does not hold the resumed session');
    session._nextId = (lastId % 65_535) + 20;
    for (let i = TOTAL / 2; i < TOTAL; i++) station.publish(TOPIC, `m${i}`, { qos: 1 });
    // Settled: all of them, or nothing new for 5 s (a lost message never comes; a loaded machine
    // may pause the slow reader for a while).
    let last = -1;
    let quietSince = Date.now();
    await expect
      .poll(
        () => {
          if (got.size !== last) [last, quietSince] = [got.size, Date.now()];
          return got.size === TOTAL || Date.now() - quietSince > 5_000;
        },
        { timeout: 100_000, interval: 500 },
      )
      .toBe(true);
    const missing = Array.from({ length: TOTAL }, (_, i) => `m${i}`).filter((m) => !got.has(m));
    expect(missing).toEqual([]);
    // and the broker never closed the resumed connection (aedes did, on "no such packet")
    expect(second.connected).toBe(true);
  }, 120_000);
});
