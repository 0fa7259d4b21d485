/**
 * bench:edge peer: the naive forwarder an edge agent is often replaced with — open the port, decode
 * frames, publish each READINGS as JSON at QoS 1 straight to the broker. No spool, no schema check,
 * no health, no reconnect policy: the floor cost of "serial → MQTT" in Node on the same line.
 *
 *   node --import tsx bench/edge-peer.ts <serial-path> <mqtt-url>
 */
import mqtt from 'mqtt';
import { FrameDecoder } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { openPort } from '@yizhan/edge';

const [path, url] = process.argv.slice(2);
if (!path || !url) {
  console.error('usage: edge-peer.ts <serial-path> <mqtt-url>');
  process.exit(2);
}
const client = await mqtt.connectAsync(url, { clientId: 'bench-peer' });
const port = await openPort({ path, baudRate: 115200 });
const dec = new FrameDecoder();
let seq = 0;
dec.on('data', (f: Frame) => {
  if (f.type !== 'readings') return;
  const payload = JSON.stringify({ seq: seq++, ts: Date.now(), readings: f.readings });
  client.publish('bench/peer/telemetry', payload, { qos: 1 });
});
port.pipe(dec);
process.on('SIGTERM', () => process.exit(0));
