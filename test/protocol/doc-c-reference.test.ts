/**
 * The C reference code in docs/protocol/serial-v1.md is what firmware engineers will copy, so it
 * is compiled (gcc) and run here: its CRC check value, its frame builder against the fixed
 * vectors, and its receiver against FrameDecoder on hostile byte streams (same frames out).
 * Skipped when no C compiler is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serial } from '@yizhan/protocol';
import { hostileStreamArb } from './fixtures/arbitraries.js';
import { fromHex, SERIAL_VECTORS } from './fixtures/serial-vectors.js';
import { decodeChunks } from './helpers.js';

const hasGcc = spawnSync('gcc', ['--version']).status === 0;

/** Reads commands on stdin, one per line: `C <hex>` crc, `F <type> <seq> <payload hex>` build, `R <hex>` receive. */
const HARNESS = String.raw`
#include <stdio.h>
static void print_frame(uint8_t type, uint16_t seq, const uint8_t *p, uint16_t len) {
  printf("%u %u ", type, seq);
  for (uint16_t i = 0; i < len; i++) printf("%02x", p[i]);
  printf("\n");
}
static size_t unhex(const char *s, uint8_t *out) {
  size_t n = 0; unsigned v;
  while (sscanf(s + 2 * n, "%2x", &v) == 1) out[n++] = (uint8_t)v;
  return n;
}
int main(void) {
  static char line[1 << 16]; static uint8_t buf[1 << 15]; static uint8_t out[600];
  while (fgets(line, sizeof line, stdin)) {
    if (line[0] == 'C') { size_t n = unhex(line + 2, buf); printf("%04x\n", yz_crc16(buf, n)); }
    if (line[0] == 'F') {
      unsigned type, seq; int off = 0; sscanf(line + 2, "%u %u %n", &type, &seq, &off);
      size_t n = unhex(line + 2 + off, buf);
      size_t m = yz_frame(out, (uint8_t)type, (uint16_t)seq, buf, (uint16_t)n);
      for (size_t i = 0; i < m; i++) printf("%02x", out[i]);
      printf("\n");
    }
    if (line[0] == 'R') {
      static yz_rx_t rx; rx.n = 0;
      size_t n = unhex(line + 2, buf);
      for (size_t i = 0; i < n; i++) yz_rx_byte(&rx, buf[i], print_frame);
      printf("END\n");
    }
  }
  return 0;
}
`;

describe.skipIf(!hasGcc)('C reference code in docs/protocol/serial-v1.md', () => {
  let dir = '';
  let exe = '';
  const run = (input: string[]): string[] =>
    execFileSync(exe, { input: input.join('\n') + '\n', maxBuffer: 64 << 20 })
      .toString()
      .trim()
      .split('\n');

  beforeAll(() => {
    const doc = readFileSync(new URL('../../docs/protocol/serial-v1.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```c\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    dir = mkdtempSync(join(tmpdir(), 'yizhan-c-'));
    writeFileSync(join(dir, 'ref.c'), blocks.join('\n') + HARNESS);
    exe = join(dir, 'ref');
    execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-o', exe, join(dir, 'ref.c')]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles warning-free and gives the check value 0x29B1', () => {
    expect(run([`C ${Buffer.from('123456789').toString('hex')}`])).toEqual(['29b1']);
  });

  it('yz_frame builds every documented vector byte for byte', () => {
    const lines = SERIAL_VECTORS.map(({ hex }) => {
      const b = fromHex(hex);
      const payload = b.subarray(serial.HEADER_SIZE, b.length - serial.TRAILER_SIZE);
      return `F ${b[3]} ${b.readUInt16LE(4)} ${payload.toString('hex')}`;
    });
    expect(run(lines)).toEqual(SERIAL_VECTORS.map((v) => v.hex.replace(/ /g, '')));
  });

  it('the receiver finds the same frames as FrameDecoder in hostile streams', async () => {
    const streams = fc
      .sample(hostileStreamArb, 300)
      .map((b) => Buffer.concat([b, Buffer.alloc(serial.MAX_FRAME)]));
    const out = run(streams.map((s) => `R ${s.toString('hex')}`))
      .join('\n')
      .split('END');
    let compared = 0;
    for (const [i, s] of streams.entries()) {
      const ts = await decodeChunks([s]);
      const want = ts.frames.map((f) => {
        const w = serial.encodeFrame(f);
        return `${w[3]} ${f.seq} ${w.subarray(serial.HEADER_SIZE, w.length - serial.TRAILER_SIZE).toString('hex')}`;
      });
      compared += want.length;
      // The C receiver hands every CRC-valid frame to its caller; FrameDecoder refuses those of
      // unknown type or with a payload that does not fit (the caller's job in C).
      const lines = (out[i] ?? '').trim().split('\n').filter(Boolean);
      const fits = (l: string): boolean => {
        const [type = '', seq = '', hex = ''] = l.split(' ');
        const name = serial.frameNameFromCode(Number(type));
        return (
          name !== undefined &&
          typeof serial.decodePayload(name, Number(seq), Buffer.from(hex, 'hex')) !== 'string'
        );
      };
      expect(lines.filter(fits), `stream ${i}: ${s.toString('hex')}`).toEqual(want);
      expect(lines.filter((l) => !fits(l)).length).toBe(
        ts.stats.dropped.unknown_type + ts.stats.dropped.bad_payload,
      );
    }
    expect(compared).toBeGreaterThan(200);
  });
});
