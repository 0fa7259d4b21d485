/**
 * A message whose lines could not be made durable is not acknowledged, and the broker's resend of
 * it is ingested (not ignored as a duplicate): the reading reaches InfluxDB. The server keeps
 * running throughout (no restart clears the dedupe set).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createMetrics } from '../../../server/src/metrics.js';
import { AckGate } from '../../../server/src/ingest/ack-gate.js';
import { InfluxWriter } from '../../../server/src/influx/writer.js';
import { createTransport } from '../../../server/src/influx/transport.js';
import { FakeStation, ingestorFor, metric } from '../helpers.js';
import { ingestFromPeer, mqttPeer } from '../mqtt-peer.js';

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const TOPIC = 'yizhan/v1/stations/st-001/telemetry';


/** An InfluxDB stand-in that takes every write and keeps its lines. */
async function influxStub(): Promise<{ url: string; lines: string[]; close(): Promise<void> }> {
  const lines: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.url?.startsWith('/write')) lines.push(...body.split('\n').filter(Boolean));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, lines, close: () => new Promise((r) => server.close(() => r())) };
}


describe('resend of a message that was not made durable', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('a disk that refuses the append: no PUBACK, and the resend after the disk recovers is stored exactly once', async () => {
    const influx = await influxStub();
    const dir = mkdtempSync(join(tmpdir(), 'yz-redeliver-'));
    closers.push(
      () => influx.close(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    let diskFull = false;
    const metrics = createMetrics({ defaultMetrics: false });
    const writer = new InfluxWriter(
      createTransport({ url: influx.url, api: 'v1', db: 'yizhan', rp: 'raw' }),
      '',
      'yizhan/raw',
      metrics,
      log,
      {
        flushIntervalMs: 20,
        spool: {
          dir,
          syncIntervalMs: 5,
          io: {
            writeSync: (fd, buf, off, len) => {
              if (diskFull) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
              return writeSync(fd, buf, off, len);
            },
          },
        },
      },
    );
    writer.start();
    closers.push(() => writer.close(500));
    const ingestor = ingestorFor(writer, metrics);
    const gate = new AckGate(writer, metrics);
    writer.onDurable((offset, ok) => gate.release(offset, ok));
    const peer = await mqttPeer();
    closers.push(() => peer.close());
    const mqtt = await ingestFromPeer(peer, (t, p) => ingestor.handle(t, p), metrics, gate, 'redeliver-test');
    closers.push(() => mqtt.stop(0));

    const msg = new FakeStation('st-001').telemetry([
      { sensor: 'ambient', kind: 'ambient_temp', value: 21.5 },
    ]);
    const payload = () => Buffer.from(JSON.stringify(msg));
    diskFull = true;
    peer.publish([7], { topic: TOPIC, payload });
    await expect
      .poll(async () =>
        metric(await metrics.registry.metrics(), 'yizhan_mqtt_acks_withheld_total', {
          reason: 'not_durable',
        }),
      )
      .toBe(1);
    expect(peer.pubacks).toEqual([]);
    diskFull = false;

    // The broker sends the unacknowledged message again on the next connection.
    peer.drop();
    await expect.poll(() => peer.connections, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => mqtt.ready, { timeout: 10_000 }).toBe(true);
    peer.publish([7], { topic: TOPIC, payload, dup: true });
    await expect.poll(() => peer.pubacks, { timeout: 10_000 }).toEqual([7]);
    await expect
      .poll(() => influx.lines.filter((l) => l.startsWith('ambient_temp')), { timeout: 10_000 })
      .toHaveLength(1);
    const text = await metrics.registry.metrics();
    expect(metric(text, 'yizhan_influx_points_dropped_total', { reason: 'spool_error' })).toBe(1);
    expect(metric(text, 'yizhan_ingest_duplicates_total')).toBe(0);
  });
});
