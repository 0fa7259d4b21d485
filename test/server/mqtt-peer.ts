/**
 * A hand-written MQTT 3.1.1 broker stand-in for one client: accepts the connection and the
 * subscription, publishes QoS 1 messages on demand, records every PUBACK.
 */
import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { MqttIngest } from '../../server/src/ingest/mqtt.js';
import type { AckGate } from '../../server/src/ingest/ack-gate.js';
import type { Metrics } from '../../server/src/metrics.js';
import { waitFor } from '../helpers/wait.js';

export interface MqttPeer {
  url: string;
  pubacks: number[];
  readonly connections: number;
  /** Publish these message ids in one TCP write (the payload is the id unless `payload` says). */
  publish(ids: number[], opts?: { topic?: string; payload?: (id: number) => Buffer; dup?: boolean }): void;
  drop(): void;
  close(): Promise<void>;
}

export const PEER_TOPIC = 'yizhan/v1/stations/st-001/telemetry';

export async function mqttPeer(): Promise<MqttPeer> {
  let sock: Socket | undefined;
  const state = { pubacks: [] as number[], connections: 0 };
  const server: Server = createServer((s) => {
    sock = s;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    s.on('data', (d: Buffer) => parser.parse(d));
    s.on('error', () => {});
    parser.on('packet', (p) => {
      if (p.cmd === 'connect') {
        state.connections++;
        s.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      } else if (p.cmd === 'subscribe')
        s.write(
          mqttPacket.generate({
            cmd: 'suback',
            messageId: p.messageId,
            granted: p.subscriptions.map(() => 1),
          }),
        );
      else if (p.cmd === 'puback') state.pubacks.push(p.messageId ?? -1);
      else if (p.cmd === 'pingreq') s.write(mqttPacket.generate({ cmd: 'pingresp' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pubacks: state.pubacks,
    get connections() {
      return state.connections;
    },
    publish(ids, opts = {}) {
      const bufs = ids.map((messageId) =>
        mqttPacket.generate({
          cmd: 'publish',
          topic: opts.topic ?? PEER_TOPIC,
          payload: opts.payload?.(messageId) ?? Buffer.from(String(messageId)),
          qos: 1,
          dup: opts.dup ?? false,
          retain: false,
          messageId,
        }),
      );
      sock?.write(Buffer.concat(bufs)); // one TCP write: mqtt.js parses them in one go
    },
    drop: () => sock?.destroy(),
    close: () =>
      new Promise<void>((r) => {
        sock?.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * The server's MQTT side (MqttIngest with `gate` holding the PUBACKs) connected to `peer`; resolves
 * once subscribed. The caller stops it (`stop(0)`).
 */
export async function ingestFromPeer(
  peer: MqttPeer,
  onMessage: (topic: string, payload: Buffer) => void,
  metrics: Metrics,
  gate: AckGate,
  clientId: string,
): Promise<MqttIngest> {
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  const m = new MqttIngest(
    { url: peer.url, clientId, reconnectPeriodMs: 100 },
    onMessage,
    metrics,
    log,
    gate,
  );
  m.start();
  try {
    await waitFor('connected to the MQTT peer', () => m.ready, 10_000);
  } catch (e) {
    await m.stop(0);
    throw e;
  }
  return m;
}
