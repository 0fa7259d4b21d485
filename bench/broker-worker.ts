/**
 * Load generator worker of `npm run bench:broker` (forked by bench/broker.ts, IPC messages).
 * Raw MQTT 3.1.1 sockets (mqtt-packet): its share of the station clients, plus one server-role
 * subscriber for exactly those stations' telemetry, so each message's latency is measured on one
 * clock. Closed loop: at most `window` messages in flight (published, not yet received); at QoS 1
 * each station also waits for its PUBACK before its next publish.
 */
import { connect as tcp, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface InitMessage {
  type: 'init';
  port: number;
  stations: [id: string, secret: string][];
  server: [username: string, secret: string];
  /** Source addresses 127.0.<localNet>.1..100, as stations on many networks. */
  localNet: number;
  window: number;
  payloadBytes: number;
}
export interface RunMessage {
  type: 'run';
  qos: 0 | 1;
  /** Open loop at this many messages/s (this worker), instead of the closed loop with `window`. */
  rate?: number;
  warmupMs: number;
  measureMs: number;
}
export type ToWorker = InitMessage | RunMessage | { type: 'stop' };
export type FromWorker =
  | { type: 'ready'; connectMs: number }
  | { type: 'result'; qos: 0 | 1; received: number; measureMs: number; latencies: number[] }
  | { type: 'error'; message: string };

const send = (m: FromWorker): void => {
  process.send?.(m);
};

interface Conn {
  socket: Socket;
  onPacket: (p: Packet) => void;
}

function open(port: number, localAddress: string, onPacket: (p: Packet) => void): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = tcp({ port, host: '127.0.0.1', localAddress });
    socket.setNoDelay(true);
    const conn: Conn = { socket, onPacket };
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => conn.onPacket(p));
    parser.on('error', (e: Error) => socket.destroy(e));
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

async function login(port: number, localAddress: string, username: string, secret: string, clean = true): Promise<Conn> {
  let onConnack: (rc: number) => void = () => {};
  const conn = await open(port, localAddress, (p) => {
    if (p.cmd === 'connack') onConnack(p.returnCode ?? -1);
  });
  const rc = await new Promise<number>((resolve, reject) => {
    onConnack = resolve;
    conn.socket.once('close', () => reject(new Error(`${username}: closed before CONNACK`)));
    conn.socket.write(
      mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId: username, keepalive: 600, username, password: Buffer.from(secret) }),
    );
  });
  if (rc !== 0) throw new Error(`${username}: CONNACK ${rc}`);
  conn.socket.removeAllListeners('close');
  return conn;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

interface Station {
  conn: Conn;
  topic: string;
  templates: Record<0 | 1, { buf: Buffer; tsOffset: number; idOffset: number }>;
  inflight: boolean;
  nextId: number;
}

function template(topic: string, qos: 0 | 1, payloadBytes: number): Station['templates'][0] {
  const payload = Buffer.alloc(payloadBytes, 0x20);
  const buf = mqttPacket.generate({ cmd: 'publish', topic, payload, qos, messageId: qos ? 1 : undefined, retain: false, dup: false });
  const tsOffset = buf.length - payloadBytes;
  return { buf, tsOffset, idOffset: tsOffset - 2 };
}

let stations: Station[] = [];
let sub: Conn | undefined;
let window = 1000;
let outstanding = 0;
let rr = 0;
let qos: 0 | 1 = 0;
let running = false;
let paced = false;
let measuring = false;
let received = 0;
let latencies: number[] = [];

function pump(budget = Infinity): void {
  if (!running || (paced && budget === Infinity)) return;
  let scanned = 0;
  while ((paced ? budget-- > 0 : outstanding < window) && scanned < stations.length) {
    const st = stations[rr] as Station;
    rr = (rr + 1) % stations.length;
    if (qos === 1 && st.inflight) {
      scanned++;
      continue;
    }
    scanned = 0;
    const t = st.templates[qos];
    const buf = Buffer.from(t.buf);
    buf.writeDoubleLE(performance.now(), t.tsOffset);
    if (qos === 1) {
      st.nextId = (st.nextId % 65535) + 1;
      buf.writeUInt16BE(st.nextId, t.idOffset);
      st.inflight = true;
    }
    outstanding++;
    st.conn.socket.write(buf);
  }
}

function onDelivery(p: Packet): void {
  if (p.cmd !== 'publish') return;
  const payload = p.payload as Buffer;
  const latency = performance.now() - payload.readDoubleLE(0);
  if (p.qos === 1 && p.messageId !== undefined) sub?.socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
  outstanding = Math.max(0, outstanding - 1);
  if (measuring) {
    received++;
    latencies.push(latency);
  }
  pump();
}

async function init(m: InitMessage): Promise<void> {
  window = m.window;
  const t0 = Date.now();
  const address = (i: number): string => `127.0.${m.localNet}.${(i % 100) + 1}`;
  stations = new Array<Station>(m.stations.length);
  await pool(m.stations, 200, async ([id, secret], i) => {
    const conn = await login(m.port, address(i), id, secret);
    const topic = `yizhan/v1/stations/${id}/telemetry`;
    const st: Station = { conn, topic, templates: { 0: template(topic, 0, m.payloadBytes), 1: template(topic, 1, m.payloadBytes) }, inflight: false, nextId: 0 };
    conn.onPacket = (p) => {
      if (p.cmd === 'puback') {
        st.inflight = false;
        pump();
      }
    };
    stations[i] = st;
  });
  const [user, secret] = m.server;
  // BENCH_PERSISTENT_SERVER=1: the server keeps a persistent session, as the yizhan server does
  // (every message is then queued for it until its PUBACK, and journalled by the broker)
  sub = await login(m.port, address(0), user, secret, process.env.BENCH_PERSISTENT_SERVER !== '1');
  const subscribed = new Map<number, () => void>();
  sub.onPacket = (p) => {
    if (p.cmd === 'suback') subscribed.get(p.messageId ?? 0)?.();
    else onDelivery(p);
  };
  const topics = stations.map((s) => s.topic);
  const batches: string[][] = [];
  for (let i = 0; i < topics.length; i += 100) batches.push(topics.slice(i, i + 100));
  await pool(batches, 10, (batch, i) => {
    const messageId = i + 1;
    return new Promise<void>((resolve) => {
      subscribed.set(messageId, resolve);
      sub?.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: batch.map((topic) => ({ topic, qos: 1 as const })) }));
    });
  });
  send({ type: 'ready', connectMs: Date.now() - t0 });
}

async function run(m: RunMessage): Promise<void> {
  qos = m.qos;
  received = 0;
  latencies = [];
  outstanding = 0;
  for (const s of stations) s.inflight = false;
  running = true;
  paced = m.rate !== undefined;
  let timer: NodeJS.Timeout | undefined;
  if (m.rate !== undefined) {
    const rate = m.rate;
    const start = performance.now();
    let sent = 0;
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
      sent += due;
      pump(due);
    }, 5);
  } else pump();
  await new Promise((r) => setTimeout(r, m.warmupMs));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, m.measureMs));
  measuring = false;
  const measureMs = performance.now() - t0;
  running = false;
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 1_500)); // let in-flight messages land before the next phase
  // keep at most 200,000 latency samples (evenly spaced) to bound the IPC message
  const stride = Math.max(1, Math.ceil(latencies.length / 200_000));
  send({ type: 'result', qos: m.qos, received, measureMs, latencies: latencies.filter((_, i) => i % stride === 0) });
}

process.on('message', (m: ToWorker) => {
  const fail = (e: unknown): void => send({ type: 'error', message: (e as Error).message });
  switch (m.type) {
    case 'init':
      init(m).catch(fail);
      break;
    case 'run':
      run(m).catch(fail);
      break;
    case 'stop':
      for (const s of stations) s.conn.socket.destroy();
      sub?.socket.destroy();
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
