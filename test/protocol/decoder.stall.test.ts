/**
 * Noise that looks like a frame header with a large LEN must not hold back the good frames behind
 * it for long: after `stallTimeoutMs` with no new byte, the false start is given up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STALL_TIMEOUT_MS } from '@yizhan/protocol/serial';
import { encodeFrame, FrameDecoder, type Frame } from '@yizhan/protocol/serial';

const good = encodeFrame({ type: 'event', seq: 7, uptimeMs: 1234, channel: 1, raw: 1 });
// SOF, version 1, type READINGS, seq 0, LEN 500: a plausible header whose frame never completes.
const falseHeader = Buffer.from([0xa5, 0x5a, 0x01, 0x02, 0x00, 0x00, 0xf4, 0x01]);

function collect(d: FrameDecoder): Frame[] {
  const out: Frame[] = [];
  d.on('data', (f: Frame) => out.push(f));
  return out;
}

describe('FrameDecoder stall timeout', () => {
  it('delivers a good frame held behind a false header once the line goes quiet', async () => {
    const d = new FrameDecoder({ stallTimeoutMs: 50 });
    const frames = collect(d);
    d.write(Buffer.concat([falseHeader, good]));
    await new Promise((r) => setTimeout(r, 10));
    expect(frames).toEqual([]); // still waiting for LEN bytes
    await new Promise((r) => setTimeout(r, 120));
    expect(frames).toEqual([{ type: 'event', seq: 7, uptimeMs: 1234, channel: 1, raw: 1 }]);
    expect(d.stats.dropped.garbage).toBe(1);
    expect(d.stats.garbageBytes).toBe(falseHeader.length);
  });

  it('does not cut a real frame that arrives slowly, byte by byte, within the timeout', async () => {
    const d = new FrameDecoder({ stallTimeoutMs: 200 });
    const frames = collect(d);
    for (const byte of good) {
      d.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(frames).toHaveLength(1);
    expect(d.stats.garbageBytes).toBe(0);
  });

  it('with 0 waits for the bytes (timer disabled)', async () => {
    const d = new FrameDecoder({ stallTimeoutMs: 0 });
    const frames = collect(d);
    d.write(Buffer.concat([falseHeader, good]));
    await new Promise((r) => setTimeout(r, 100));
    expect(frames).toEqual([]);
    d.end();
    await new Promise((r) => setTimeout(r, 10));
    expect(frames).toHaveLength(1); // flush still rescues it
  });
});

describe('the inter-byte timeout in docs/protocol/serial-v1.md', () => {
  const doc = readFileSync(new URL('../../docs/protocol/serial-v1.md', import.meta.url), 'utf8');
  const section = (n: number): string => {
    const start = doc.indexOf(`\n## ${n}. `);
    return doc.slice(start, doc.indexOf('\n## ', start + 1));
  };

  it('§3 (frame envelope) and §9 (receiving) both state the decoder default', () => {
    expect(section(3)).toMatch(new RegExp(`inter-byte timeout of ${DEFAULT_STALL_TIMEOUT_MS} ms`));
    expect(section(9)).toMatch(new RegExp(`no further byte arrives for ${DEFAULT_STALL_TIMEOUT_MS} ms`));
    expect(section(9)).toContain('inter-byte timeout');
  });
});
