/**
 * Follows MQTT framing in the bytes aedes reads, before mqtt-packet buffers them: a connection
 * whose first packet is not CONNECT, or whose packet announces more than the size limit, is cut
 * (mqtt-packet would otherwise buffer up to 256 MB per packet, even before authentication).
 */

/** Why the framing check cuts a stream. */
export type FrameDrop = 'not_connect_first' | 'oversized_packet' | 'malformed_length';

/**
 * A checker for one connection's byte stream, fed every chunk in order; returns a reason when the
 * stream must be cut. `maxBytes()` is the largest packet (fixed header included) allowed now;
 * `connectComplete()` is called once, when the first packet's last byte has arrived.
 */
export function frameChecker(
  maxBytes: () => number,
  connectComplete: () => void,
): (buf: Buffer) => FrameDrop | undefined {
  let first = true; // the next packet type byte is the first one
  let inConnect = true; // the first packet's bytes have not all arrived
  let remaining = 0; // body bytes of the current packet still to come
  let headerBytes = 0; // 0 = expecting a packet type byte
  let length = 0;
  let multiplier = 1;
  const packetDone = (): void => {
    if (!inConnect) return;
    inConnect = false;
    connectComplete();
  };
  return (buf) => {
    let i = 0;
    while (i < buf.length) {
      if (remaining > 0) {
        const n = Math.min(remaining, buf.length - i);
        i += n;
        remaining -= n;
        if (remaining === 0) packetDone();
        continue;
      }
      const b = buf[i++] ?? 0;
      if (headerBytes === 0) {
        if (first && b >> 4 !== 1) return 'not_connect_first';
        first = false;
        headerBytes = 1;
        length = 0;
        multiplier = 1;
        continue;
      }
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      headerBytes++;
      if (b & 0x80) {
        if (headerBytes > 4) return 'malformed_length';
        continue;
      }
      if (headerBytes + length > maxBytes()) return 'oversized_packet';
      remaining = length;
      headerBytes = 0;
      if (remaining === 0) packetDone();
    }
    return undefined;
  };
}
