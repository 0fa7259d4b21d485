/**
 * The peer of bench:screens: the least a live screen server can be. node:http, an MQTT
 * subscription to the same broker and telemetry the server gets, and for each reading one
 * `res.write` per client that watches the station (`?station=<id>`, or no filter: every station),
 * of a frame padded to the byte size of yizhan's station frame. No snapshot, no state, no schema
 * checks, no storage, no per-address limit, no backpressure, no heartbeat.
 *
 *   tsx bench/screens-peer.ts '{"port":…,"mqttUrl":…,"username":…,"password":…,"frameBytes":…}'
 */
import { createServer, type ServerResponse } from 'node:http';
import mqtt from 'mqtt';
import { peerFrame } from './screens-lib.js';

interface PeerJob {
  port: number;
  mqttUrl: string;
  username: string;
  password: string;
  frameBytes: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as PeerJob;
const everything = new Set<ServerResponse>();
const byStation = new Map<string, Set<ServerResponse>>();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://peer');
  if (url.pathname !== '/api/v1/events') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const station = url.searchParams.get('station');
  const set = station ? (byStation.get(station) ?? byStation.set(station, new Set()).get(station)!) : everything;
  set.add(res);
  res.on('close', () => set.delete(res));
});
server.listen(job.port, '127.0.0.1');

const client = await mqtt.connectAsync(job.mqttUrl, {
  clientId: job.username,
  username: job.username,
  password: job.password,
  protocolVersion: 4,
});
client.on('message', (topic, payload) => {
  const id = topic.split('/')[3] ?? '';
  const { ts } = JSON.parse(payload.toString()) as { ts: number };
  const frame = Buffer.from(peerFrame(id, ts, job.frameBytes));
  for (const res of everything) res.write(frame);
  for (const res of byStation.get(id) ?? []) res.write(frame);
});
await client.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void client.endAsync().then(() => process.exit(0));
});
