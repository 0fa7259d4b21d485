/**
 * Test helpers for the edge agent: a real mqtt.js subscriber that records messages and a pino
 * logger that records lines (the broker: test/helpers/mqtt-broker.ts; polling: test/helpers/wait.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { startAgent, type Agent, type AgentOptions } from '@yizhan/edge/agent';
import { startPtyPair, type PtyPair } from '../../scripts/lib/socat.js';
import type { Cleanups } from '../helpers/cleanups.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt-broker.js';

export interface Received {
  topic: string;
  retain: boolean;
  json: Record<string, unknown>;
}

export interface Recorder {
  client: MqttClient;
  messages: Received[];
  on(topicSuffix: string): Received[];
  close(): Promise<void>;
}

/** A real mqtt.js client subscribed to `filter`, recording every message as JSON. */
export async function record(url: string, filter = 'yizhan/v1/stations/#'): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, {
    clientId: `rec-${Math.random().toString(36).slice(2)}`,
    reconnectPeriod: 200,
  });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({
      topic,
      retain: packet.retain,
      json: JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
    });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    on: (suffix) => messages.filter((m) => m.topic.endsWith(`/${suffix}`)),
    close: () => client.endAsync(true),
  };
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger that keeps its lines in memory (level debug). */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { logger, lines };
}

/** Fast backoff for tests: 50 ms .. 400 ms. */
export const FAST_BACKOFF = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };

export interface PtyRig {
  dir: string;
  pty: PtyPair;
  broker: PlainBroker;
  rec: Recorder;
}

/**
 * What the agent's PTY tests stand on: a temp folder, a socat PTY pair in it (`dir/device<name>`,
 * `dir/agent<name>`), a broker and a recorder on it, each registered in `cleanups` as it starts. A
 * test that replaces the pair (a cable plugged back) registers the new one itself.
 */
export async function startPtyRig(cleanups: Cleanups, prefix: string, ptyName?: string): Promise<PtyRig> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
  const pty = await startPtyPair(dir, ptyName);
  cleanups.add('socat', () => pty.stop());
  const broker = await startPlainBroker();
  cleanups.add('broker', () => broker.close());
  const rec = await record(broker.url);
  cleanups.add('recorder', () => rec.close());
  return { dir, pty, broker, rec };
}

/**
 * The agent of `station` on the rig's PTY and broker, as the serial-fault tests run it: fast MQTT
 * backoff, health only every minute (the tests read it on demand), state in `dir/state`; stopped
 * by `cleanups`. `opts` holds what the test is about (frame timeout, serial backoff).
 */
export async function startRigAgent(
  rig: PtyRig,
  cleanups: Cleanups,
  opts: Pick<AgentOptions, 'station' | 'logger' | 'frameTimeoutMs' | 'serialBackoff'>,
): Promise<Agent> {
  const agent = await startAgent({
    mqttUrl: rig.broker.url,
    password: 'x',
    serialPath: rig.pty.agentPath,
    mqttBackoff: FAST_BACKOFF,
    healthIntervalMs: 60_000,
    stateDir: join(rig.dir, 'state'),
    ...opts,
  });
  cleanups.add('agent', () => agent.stop());
  return agent;
}
