/** A raw MQTT 3.1.1 client over a plain socket (mqtt-packet): sends what mqtt.js would refuse to. */
import { connect as tcp, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface RawClient {
  socket: Socket;
  packets: Packet[];
  /** The kind of every packet received, in arrival order (including those `next` took). */
  received: Packet['cmd'][];
  /** Resolves with the next packet of this kind (already received ones first). */
  next(cmd: Packet['cmd'], timeoutMs?: number): Promise<Packet>;
  send(packet: Packet): void;
  /** Resolves when the socket is closed, with the milliseconds since it was opened. */
  closed: Promise<number>;
}

export async function rawClient(port: number, opts: { localAddress?: string } = {}): Promise<RawClient> {
  const socket = tcp({ port, host: '127.0.0.1', localAddress: opts.localAddress });
  const opened = Date.now();
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  const waiters: { cmd: string; resolve: (p: Packet) => void }[] = [];
  const received: Packet['cmd'][] = [];
  parser.on('packet', (p: Packet) => {
    received.push(p.cmd);
    const i = waiters.findIndex((w) => w.cmd === p.cmd);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(p);
    else packets.push(p);
  });
  parser.on('error', () => socket.destroy());
  socket.on('data', (d: Buffer) => parser.parse(d));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
    void closed.then(() => reject(new Error('closed before connect')));
  });
  return {
    socket,
    packets,
    received,
    closed,
    send: (p) => {
      socket.write(mqttPacket.generate(p));
    },
    next(cmd, timeoutMs = 5_000) {
      const i = packets.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return Promise.resolve(packets.splice(i, 1)[0] as Packet);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${cmd} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          cmd,
          resolve: (p) => {
            clearTimeout(t);
            resolve(p);
          },
        });
      });
    },
  };
}

/** Connect as `username` (client id = username unless given) and wait for the CONNACK return code. */
export async function rawLogin(
  port: number,
  username: string,
  password: string,
  opts: { localAddress?: string; clientId?: string; clean?: boolean; keepalive?: number } = {},
): Promise<{ client: RawClient; returnCode: number }> {
  const client = await rawClient(port, opts);
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: opts.clean ?? true,
    clientId: opts.clientId ?? username,
    keepalive: opts.keepalive ?? 60,
    username,
    password: Buffer.from(password),
  });
  const connack = await Promise.race([client.next('connack'), client.closed.then(() => ({ cmd: 'connack', returnCode: -1 }) as Packet)]);
  return { client, returnCode: (connack as { returnCode?: number }).returnCode ?? -1 };
}

/**
 * Send a CONNECT made by hand, byte by byte (mqtt-packet refuses some that the tests need, e.g. a
 * zero-length client id with CleanSession 0), and resolve with the CONNACK's return code.
 */
export async function rawConnect(
  port: number,
  p: { clientId: string; clean: boolean; username?: string; password?: string },
): Promise<number> {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  // flags: 0x80 user name, 0x40 password, 0x02 CleanSession; keep alive 30 s
  const flags = (p.username !== undefined ? 0x80 : 0) | (p.password !== undefined ? 0x40 : 0) | (p.clean ? 0x02 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 30]),
    str(p.clientId),
    ...(p.username !== undefined ? [str(p.username)] : []),
    ...(p.password !== undefined ? [str(p.password)] : []),
  ]);
  if (body.length > 127) throw new Error('rawConnect: packet too long for this helper');
  const client = await rawClient(port);
  client.socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  try {
    return ((await client.next('connack')) as { returnCode: number }).returnCode;
  } finally {
    client.socket.destroy();
  }
}

/**
 * The connection arguments of Debian's mosquitto_pub / mosquitto_sub against the test broker on
 * 127.0.0.1: `--cafile` for the TLS listener, `-V mqttv311` where a test pins the protocol.
 * `port` may be the port of a listener that did not start: mosquitto then refuses "-p undefined".
 */
export function mosquittoAuth(
  port: number | undefined,
  username: string,
  password: string,
  opts: { clientId?: string; cafile?: string; v311?: boolean } = {},
): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    ...(opts.cafile === undefined ? [] : ['--cafile', opts.cafile]),
    ...(opts.v311 === true ? ['-V', 'mqttv311'] : []),
    '-i',
    opts.clientId ?? username,
    '-u',
    username,
    '-P',
    password,
  ];
}
