/**
 * The server's CPU per MQTT message on the ingest path, in process: Ingestor.handle → InfluxWriter
 * (write-ahead spool on disk, group commit) → a transport that answers every write at once, with
 * an ack ticket per message as the AckGate takes it. CPU time (user + system, so the spool's
 * syscalls count), not throughput: it means something on a loaded machine.
 *
 *   npx tsx bench/ingest-cpu.ts [--messages 60000] [--per-turn 20] [--rounds 5]
 *
 * Messages arrive `--per-turn` per event-loop turn (what mqtt.js parses from one socket read),
 * each a telemetry message of 15 readings like bench:ingest's load generator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import type { Transport } from '@influxdata/influxdb-client';
import { StationRegistry } from '../server/src/registry.js';
import { StateStore } from '../server/src/state/store.js';
import { createMetrics } from '../server/src/metrics.js';
import { Ingestor } from '../server/src/ingest/ingest.js';
import { InfluxWriter } from '../server/src/influx/writer.js';
import { stationTopic } from '@yizhan/protocol';
import { stationFixture } from '../test/server/helpers.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '60000' },
    'per-turn': { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
  },
});
const MESSAGES = Number(values.messages);
const PER_TURN = Number(values['per-turn']);
const ROUNDS = Number(values.rounds);
const STATIONS = 500;

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const transport = {
  send(
    _path: string,
    _body: string,
    _o: unknown,
    cb: { responseStarted?: (h: object, s: number) => void; complete?: () => void },
  ) {
    setImmediate(() => {
      cb.responseStarted?.({}, 204);
      cb.complete?.();
    });
  },
  request: () => Promise.reject(new Error('not used')),
  iterate: () => {
    throw new Error('not used');
  },
} as unknown as Transport;

const configs = Array.from({ length: STATIONS }, (_, i) =>
  stationFixture(`st-${String(i).padStart(3, '0')}`, { sockets: 5 }),
);
const readingsOf = (i: number) => [
  { sensor: 'occupancy', kind: 'occupancy', value: i % 10 },
  { sensor: 'ambient', kind: 'ambient_temp', value: 20 + (i % 7) },
  ...Array.from({ length: 5 }, (_, s) => [
    { sensor: `socket-${s + 1}`, kind: 'socket_state', value: i % 2 },
    { sensor: `socket-${s + 1}-power`, kind: 'socket_power', value: (i % 300) + 0.5 },
  ]).flat(),
  { sensor: 'water-temp', kind: 'water_temp', value: 90 },
  { sensor: 'water-level', kind: 'water_level', value: 80 },
  { sensor: 'heater', kind: 'heater', value: 1 },
];

async function round(): Promise<{ usPerMsg: number; lines: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'yz-ingest-cpu-'));
  const registry = new StationRegistry(configs);
  const metrics = createMetrics({ defaultMetrics: false });
  const writer = new InfluxWriter(transport, '', 'yizhan/raw', metrics, log, { spool: { dir } });
  writer.start();
  const ing = new Ingestor({
    registry,
    store: new StateStore(registry),
    sink: writer,
    listener: { observe: () => {} },
    metrics,
    log,
    lineLog: writer,
  });
  const topics = configs.map((c) => stationTopic(c.id, 'telemetry'));
  const seq = new Array<number>(STATIONS).fill(0);
  const t0 = Date.now();
  const payloads = Array.from({ length: MESSAGES }, (_, i) => {
    const s = i % STATIONS;
    const env = {
      v: 1,
      stationId: configs[s]?.id,
      bootId: 'boot-cpu',
      seq: (seq[s] = (seq[s] ?? 0) + 1),
      ts: t0 + i,
    };
    return Buffer.from(JSON.stringify({ ...env, readings: readingsOf(i) }));
  });
  let durable = 0;
  writer.onDurable((o) => (durable = o));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < MESSAGES;) {
    for (const end = Math.min(MESSAGES, i + PER_TURN); i < end; i++) {
      ing.handle(topics[i % STATIONS] as string, payloads[i] as Buffer);
      writer.ackTicket();
    }
    await new Promise((r) => setImmediate(r));
  }
  while (durable < writer.end) await new Promise((r) => setTimeout(r, 1));
  const cpu = process.cpuUsage(cpu0);
  const text = await metrics.registry.metrics();
  const points = Number(/^yizhan_influx_points_received_total (\d+)/m.exec(text)?.[1]);
  if (points !== MESSAGES * 15) throw new Error(`expected ${MESSAGES * 15} points, the writer got ${points}`);
  await writer.close(5000);
  rmSync(dir, { recursive: true, force: true });
  return { usPerMsg: (cpu.user + cpu.system) / MESSAGES, lines: writer.end };
}

const results: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const { usPerMsg } = await round();
  results.push(usPerMsg);
  console.log(`round ${r + 1}: ${usPerMsg.toFixed(1)} µs CPU per message`);
}
results.sort((a, b) => a - b);
console.log(
  `median ${results[Math.floor(results.length / 2)]?.toFixed(1)} µs/message (min ${results[0]?.toFixed(1)}), ` +
    `${MESSAGES} messages of 15 readings, ${PER_TURN} per loop turn`,
);
