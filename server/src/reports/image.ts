/**
 * Riders' photos, read without decoding: the type from the magic bytes, the size from the headers
 * (JPEG SOFn, PNG IHDR, WebP VP8X/VP8/VP8L), and the metadata dropped (EXIF GPS is the rider's
 * position, often their home) by walking the file's segments, chunks or RIFF chunks and copying
 * every one that holds pixels or colour. No pixel is re-encoded: the server has no image codec,
 * so an image whose header says a side is longer than the limit is refused rather than resized.
 */
import { PHOTO_MAGIC } from '../routes/work-orders/photos.js';

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface ImageInfo {
  width: number;
  height: number;
}

/** A structural problem: the file is not the image its magic bytes promise. */
export class BadImageError extends Error {}

/** The type the bytes start with, or undefined. */
export function sniffImage(b: Buffer): ImageType | undefined {
  for (const t of ['image/jpeg', 'image/png', 'image/webp'] as const) if (PHOTO_MAGIC[t]!(b)) return t;
  return undefined;
}

function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new BadImageError(what);
}

// ---------------------------------------------------------------- JPEG

/**
 * A JPEG is a run of marker segments up to the scan:
 *
 *   FF D8                          SOI (no length)
 *   FF E0 len:u16be JFIF…          APP0   keep (JFIF density)
 *   FF E1 len:u16be "Exif\0\0" TIFF…  APP1   drop (EXIF: GPS, camera, time; or XMP)
 *   FF E2 len:u16be "ICC_PROFILE\0"…  APP2   keep if ICC (colours), else drop
 *   FF E3…EF len …                 APPn   drop, except APP14 "Adobe" (colour transform)
 *   FF FE len comment              COM    drop
 *   FF DB / C4 / DD / C0…CF len …  DQT, DHT, DRI, SOFn: keep (SOFn holds height, width)
 *   FF DA len header  <entropy-coded data, FF 00 stuffed>  FF D9   SOS … EOI: copied verbatim
 *
 * `len` counts itself (2 bytes) but not the marker; FF fill bytes may precede a marker.
 */
const SOI = 0xd8;
const SOS = 0xda;
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function keepJpegSegment(marker: number, body: Buffer): boolean {
  if (marker === 0xe0) return true;
  if (marker === 0xe2) return body.toString('latin1', 0, 12) === 'ICC_PROFILE\0';
  if (marker === 0xee) return body.toString('latin1', 0, 5) === 'Adobe';
  if (marker >= 0xe1 && marker <= 0xef) return false;
  return marker !== 0xfe;
}

function walkJpeg(b: Buffer, strip: boolean): { info: ImageInfo; out: Buffer } {
  need(b[0] === 0xff && b[1] === SOI, 'no SOI');
  const parts: Buffer[] = [b.subarray(0, 2)];
  let info: ImageInfo | undefined;
  let i = 2;
  for (;;) {
    need(i + 4 <= b.length && b[i] === 0xff, 'segment expected');
    while (b[i + 1] === 0xff && i + 2 < b.length) i++;
    const marker = b[i + 1]!;
    const len = b.readUInt16BE(i + 2);
    need(len >= 2 && i + 2 + len <= b.length, 'segment runs past the end');
    const body = b.subarray(i + 4, i + 2 + len);
    if (isSof(marker)) {
      need(body.length >= 5, 'short SOF');
      info = { height: body.readUInt16BE(1), width: body.readUInt16BE(3) };
    }
    if (marker === SOS) {
      need(info !== undefined, 'scan before SOF');
      parts.push(b.subarray(i));
      break;
    }
    if (!strip || keepJpegSegment(marker, body)) parts.push(b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  return { info, out: strip ? Buffer.concat(parts) : b };
}

// ---------------------------------------------------------------- PNG

/**
 * A PNG is the 8-byte signature, then chunks `length:u32be type:4 data crc:u32be`, IHDR first
 * (width:u32be height:u32be …), IEND last. Dropped: eXIf (EXIF, GPS) and the text chunks tEXt,
 * zTXt, iTXt (XMP and free text); each chunk's CRC covers only itself, so the rest stays valid.
 */
const PNG_DROP = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt']);

function walkPng(b: Buffer, strip: boolean): { info: ImageInfo; out: Buffer } {
  need(b.length >= 33 && b.toString('latin1', 12, 16) === 'IHDR', 'no IHDR');
  const info = { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (!strip) return { info, out: b };
  const parts: Buffer[] = [b.subarray(0, 8)];
  let i = 8;
  while (i < b.length) {
    need(i + 12 <= b.length, 'chunk runs past the end');
    const len = b.readUInt32BE(i);
    const type = b.toString('latin1', i + 4, i + 8);
    need(i + 12 + len <= b.length, 'chunk runs past the end');
    if (!PNG_DROP.has(type)) parts.push(b.subarray(i, i + 12 + len));
    i += 12 + len;
    if (type === 'IEND') break;
  }
  return { info, out: Buffer.concat(parts) };
}

// ---------------------------------------------------------------- WebP

/**
 * A WebP is `"RIFF" size:u32le "WEBP"` then chunks `fourcc size:u32le data [pad to even]`:
 * VP8 (lossy), VP8L (lossless) or VP8X (extended: flags, canvas size, then ICCP, ANIM, ALPH,
 * VP8/VP8L, EXIF, XMP). Dropped: EXIF and "XMP "; their VP8X flags (0x08, 0x04) are cleared and the
 * RIFF size (file length − 8) written again.
 */
const WEBP_DROP = new Set(['EXIF', 'XMP ']);

function webpInfo(fourcc: string, d: Buffer): ImageInfo | undefined {
  if (fourcc === 'VP8X' && d.length >= 10)
    return { width: d.readUIntLE(4, 3) + 1, height: d.readUIntLE(7, 3) + 1 };
  if (fourcc === 'VP8 ' && d.length >= 10 && d[3] === 0x9d && d[4] === 0x01 && d[5] === 0x2a)
    return { width: d.readUInt16LE(6) & 0x3fff, height: d.readUInt16LE(8) & 0x3fff };
  if (fourcc === 'VP8L' && d.length >= 5 && d[0] === 0x2f) {
    const bits = d.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

function walkWebp(b: Buffer, strip: boolean): { info: ImageInfo; out: Buffer } {
  need(b.length >= 20, 'short RIFF');
  const parts: Buffer[] = [Buffer.from(b.subarray(0, 12))];
  let info: ImageInfo | undefined;
  let i = 12;
  while (i + 8 <= b.length) {
    const fourcc = b.toString('latin1', i, i + 4);
    const size = b.readUInt32LE(i + 4);
    const end = i + 8 + size + (size & 1);
    need(i + 8 + size <= b.length, 'chunk runs past the end');
    info ??= webpInfo(fourcc, b.subarray(i + 8, i + 8 + size));
    if (!WEBP_DROP.has(fourcc)) {
      const chunk = Buffer.from(b.subarray(i, Math.min(end, b.length)));
      if (fourcc === 'VP8X' && strip) chunk[8] = chunk[8]! & ~0x0c;
      parts.push(chunk);
    }
    i = end;
  }
  need(info !== undefined, 'no VP8/VP8L/VP8X header');
  if (!strip) return { info, out: b };
  const out = Buffer.concat(parts);
  out.writeUInt32LE(out.length - 8, 4);
  return { info, out };
}

const WALKERS: Record<ImageType, (b: Buffer, strip: boolean) => { info: ImageInfo; out: Buffer }> = {
  'image/jpeg': walkJpeg,
  'image/png': walkPng,
  'image/webp': walkWebp,
};

/** The image's size, and its bytes without metadata unless `keepMetadata`; BadImageError if malformed. */
export function readImage(
  b: Buffer,
  type: ImageType,
  keepMetadata: boolean,
): { info: ImageInfo; data: Buffer } {
  try {
    const { info, out } = WALKERS[type](b, !keepMetadata);
    need(info.width > 0 && info.height > 0, 'zero size');
    return { info, data: out };
  } catch (e) {
    if (e instanceof BadImageError) throw e;
    // A read past the end of a truncated file.
    throw new BadImageError(e instanceof Error ? e.message : String(e));
  }
}
