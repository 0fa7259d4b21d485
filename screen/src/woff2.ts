/**
 * The characters a WOFF2 font maps (its `cmap` table: formats 4 and 12), read without any font
 * library: the table directory, one Brotli stream (node:zlib), and cmap, which WOFF2 never
 * transforms. Used to check that the pages' subset font covers every character they show.
 */
import { brotliDecompressSync } from 'node:zlib';

/** WOFF2 known-table tags by index (only the ones whose transform rules differ matter here). */
const CMAP = 0;
const GLYF = 10;
const LOCA = 11;

function base128(buf: Buffer, at: { pos: number }): number {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    const b = buf.readUInt8(at.pos++);
    if (i === 0 && b === 0x80) throw new Error('WOFF2: UIntBase128 with a leading zero');
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) return v;
  }
  throw new Error('WOFF2: UIntBase128 longer than 5 bytes');
}

/** The raw cmap table of a WOFF2 font file. */
export function woff2Cmap(file: Buffer): Buffer {
  if (file.toString('latin1', 0, 4) !== 'wOF2') throw new Error('not a WOFF2 file (no wOF2 signature)');
  if (file.readUInt32BE(4) === 0x74746366) throw new Error('WOFF2 collections are not supported');
  const numTables = file.readUInt16BE(12);
  const compressedSize = file.readUInt32BE(20);
  const at = { pos: 48 };
  let offset = 0;
  let cmap: { offset: number; length: number } | undefined;
  for (let i = 0; i < numTables; i++) {
    const flags = file.readUInt8(at.pos++);
    const known = flags & 0x3f;
    let tag = '';
    if (known === 0x3f) {
      tag = file.toString('latin1', at.pos, at.pos + 4);
      at.pos += 4;
    }
    const origLength = base128(file, at);
    const version = flags >> 6;
    const transformed = known === GLYF || known === LOCA ? version === 0 : version !== 0;
    const length = transformed ? base128(file, at) : origLength;
    if (known === CMAP || tag === 'cmap') cmap = { offset, length };
    offset += length;
  }
  if (!cmap) throw new Error('WOFF2 font has no cmap table');
  const tables = brotliDecompressSync(file.subarray(at.pos, at.pos + compressedSize));
  return tables.subarray(cmap.offset, cmap.offset + cmap.length);
}

function format4(t: Buffer, out: Set<number>): void {
  const segX2 = t.readUInt16BE(6);
  const ends = 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const ranges = deltas + segX2;
  for (let i = 0; i < segX2; i += 2) {
    const end = t.readUInt16BE(ends + i);
    const start = t.readUInt16BE(starts + i);
    const delta = t.readInt16BE(deltas + i);
    const range = t.readUInt16BE(ranges + i);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      const glyph = range === 0 ? (c + delta) & 0xffff : t.readUInt16BE(ranges + i + range + 2 * (c - start));
      if (glyph !== 0) out.add(c);
    }
  }
}

function format12(t: Buffer, out: Set<number>): void {
  const groups = t.readUInt32BE(12);
  for (let g = 0; g < groups; g++) {
    const p = 16 + 12 * g;
    const start = t.readUInt32BE(p);
    const end = t.readUInt32BE(p + 4);
    for (let c = start; c <= end; c++) out.add(c);
  }
}

/** Code points the font maps to a glyph (Unicode subtables: platform 0, or 3 with encoding 1/10). */
export function woff2CodePoints(file: Buffer): Set<number> {
  const cmap = woff2Cmap(file);
  const out = new Set<number>();
  const n = cmap.readUInt16BE(2);
  for (let i = 0; i < n; i++) {
    const platform = cmap.readUInt16BE(4 + 8 * i);
    const encoding = cmap.readUInt16BE(6 + 8 * i);
    if (!(platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10)))) continue;
    const t = cmap.subarray(cmap.readUInt32BE(8 + 8 * i));
    const format = t.readUInt16BE(0);
    if (format === 4) format4(t, out);
    else if (format === 12) format12(t, out);
  }
  return out;
}
