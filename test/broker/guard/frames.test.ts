/**
 * The guard's reading of MQTT framing (broker/src/guard/frames.ts): what it lets through to
 * mqtt-packet and where it cuts, whatever way the bytes are split into chunks.
 */
import { describe, expect, it } from 'vitest';
import { frameChecker, type FrameDrop } from '../../../broker/src/guard/frames.js';

/** Feeds `chunks` in order; the first cut reason, and how often the CONNECT was seen complete. */
function feed(chunks: number[][], max = 100): { cut: FrameDrop | undefined; connects: number } {
  let connects = 0;
  const check = frameChecker(
    () => max,
    () => connects++,
  );
  for (const c of chunks) {
    const cut = check(Buffer.from(c));
    if (cut) return { cut, connects };
  }
  return { cut: undefined, connects };
}

/** A packet of `type` (high nibble) with a body of `n` < 128 bytes (a one-byte remaining length). */
function packet(type: number, n: number): number[] {
  if (n >= 128) throw new Error('one-byte remaining lengths only');
  return [type << 4, n, ...new Array<number>(n).fill(0)];
}

describe('frameChecker', () => {
  it('passes a CONNECT then other packets, and sees the CONNECT complete once', () => {
    expect(feed([packet(1, 12), packet(3, 20), packet(12, 0)])).toEqual({ cut: undefined, connects: 1 });
  });

  it('sees the CONNECT complete only when its last byte has arrived, one byte per chunk', () => {
    const bytes = packet(1, 12);
    let connects = 0;
    const check = frameChecker(
      () => 100,
      () => connects++,
    );
    bytes.forEach((b, i) => {
      expect(connects).toBe(0);
      expect(check(Buffer.from([b]))).toBeUndefined();
      if (i < bytes.length - 1) expect(connects).toBe(0);
    });
    expect(connects).toBe(1);
  });

  it('cuts a stream whose first packet is not CONNECT', () => {
    expect(feed([packet(3, 4)]).cut).toBe('not_connect_first');
  });

  it('cuts at the header a packet announcing more than the limit, before its body', () => {
    expect(feed([packet(1, 12), [0x30, 0x80, 0x80, 0x80, 0x64]]).cut).toBe('oversized_packet'); // 200 MB PUBLISH
    // the limit counts the fixed header: 2 + 98 = 100 passes, 2 + 99 does not
    expect(feed([packet(1, 98)]).cut).toBeUndefined();
    expect(feed([packet(1, 99).slice(0, 2)]).cut).toBe('oversized_packet');
  });

  it('asks for the limit at each header, so it can change after CONNACK', () => {
    let max = 20;
    const check = frameChecker(
      () => max,
      () => undefined,
    );
    expect(check(Buffer.from(packet(1, 10)))).toBeUndefined();
    expect(check(Buffer.from(packet(3, 50)))).toBe('oversized_packet');
    max = 100;
    const again = frameChecker(
      () => max,
      () => undefined,
    );
    expect(again(Buffer.from([...packet(1, 10), ...packet(3, 50)]))).toBeUndefined();
  });

  it('cuts a remaining length longer than four bytes', () => {
    expect(feed([packet(1, 2), [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]], 1e9).cut).toBe('malformed_length');
  });
});
