/**
 * The little of MQTT 3.1.1 the load generator speaks, without a client library per connection:
 * CONNECT (mqtt-packet), QoS 1 PUBLISH encoded here, and framing of what a broker sends a
 * publisher (CONNACK, PUBACK, PINGRESP). Also the stations' loopback source addresses.
 */
import { randomBytes } from 'node:crypto';
import mqttPacket from 'mqtt-packet';

export const DISCONNECT = Buffer.from([0xe0, 0]);
export const PINGREQ = Buffer.from([0xc0, 0]);

export function connectPacket(id: string, password: Buffer | undefined, keepaliveS: number): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: id,
    clean: true,
    keepalive: keepaliveS,
    username: id,
    ...(password !== undefined ? { password } : {}),
  });
}

/**
 * Split `rest` (bytes left from the previous read) + `d` into packets: `onPacket(type, body)` per
 * complete packet, until it returns false (the connection was given up). Returns the bytes of an
 * incomplete packet to keep for the next read.
 */
export function frames(
  rest: Buffer | undefined,
  d: Buffer,
  onPacket: (type: number, body: Buffer) => boolean,
): Buffer | undefined {
  let buf = rest ? Buffer.concat([rest, d]) : d;
  while (buf.length >= 2) {
    let len = 0;
    let mul = 1;
    let i = 1;
    for (; i < 5 && i < buf.length; i++) {
      const b = buf[i] ?? 0;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) break;
    }
    if (i >= buf.length || buf.length < i + 1 + len) break; // incomplete
    const type = (buf[0] ?? 0) >> 4;
    const body = buf.subarray(i + 1, i + 1 + len);
    buf = buf.subarray(i + 1 + len);
    if (!onPacket(type, body)) return undefined;
  }
  return buf.length ? Buffer.from(buf) : undefined;
}

/** PUBLISH, QoS 1, no retain, no DUP (bit 3 of the first byte, set on a resend). */
export function publishPacket(topic: string, messageId: number, payload: string): Buffer {
  const t = Buffer.byteLength(topic);
  const p = Buffer.byteLength(payload);
  let rem = 2 + t + 2 + p;
  const lenBytes: number[] = [];
  do {
    let b = rem % 128;
    rem = Math.floor(rem / 128);
    if (rem > 0) b |= 0x80;
    lenBytes.push(b);
  } while (rem > 0);
  const buf = Buffer.allocUnsafe(1 + lenBytes.length + 2 + t + 2 + p);
  let o = 0;
  buf[o++] = 0x32;
  for (const b of lenBytes) buf[o++] = b;
  o = buf.writeUInt16BE(t, o);
  o += buf.write(topic, o);
  o = buf.writeUInt16BE(messageId, o);
  buf.write(payload, o);
  return buf;
}

/** 127.1.0.1, 127.1.0.2, … (all of 127/8 is the loopback interface on Linux). */
export function loopbackAddress(i: number): string {
  const n = 0x7f010001 + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function newBoot(): string {
  return randomBytes(6).toString('hex');
}
