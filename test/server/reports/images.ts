/**
 * Photos for the report tests, built in code: real 16×12 images as Chromium's canvas encodes them
 * (JPEG with JFIF and ICC, PNG, extended WebP with ICC), and what phones add to them: EXIF with GPS
 * (JPEG APP1, PNG eXIf, WebP EXIF), text chunks, and a header claiming a huge size. `gpsOf` reads
 * the GPS position back, the way a photo viewer would.
 */
import { crc32 } from 'node:zlib';

const b64 = (s: string) => Buffer.from(s, 'base64');

export const JPEG_16x12 = b64(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABh' +
    'Y3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
    'AAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAAB' +
    'UAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAA' +
    'AAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9Y' +
    'WVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAM' +
    'ZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0o' +
    'OjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2Nj' +
    'Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAMABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAAAwIG' +
    '/8QAFhABAQEAAAAAAAAAAAAAAAAAAgAB/8QAFAEBAAAAAAAAAAAAAAAAAAAABf/EABcRAAMBAAAAAAAAAAAAAAAAAAABAwT/2gAM' +
    'AwEAAhEDEQA/AMwlClU9heyWSKEtVmf/2Q==',
);
export const PNG_16x12 = b64(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAMCAYAAABr5z2BAAABNElEQVR4AXRRoU5EQQycvGRbi8PisEgsjgQFigQFjgQFigQFFolE' +
    'YnFYHD9FV5Rpu7e8hENMep3OTHtvly+of2LHP7Dr79jzN+z7Kw78BYf+jCN/wrE/4NTvcO43uPQrXPsFbv0M936CR186BN9o6FBW' +
    'gbEauULLPuZG/pt8J6Lvo1+KVJpDLDQElL3wtxItw43GwFrfyfECXYmFhkCZYpONTUZxoM9e08cLQizDqElaioKvC2yYbfIy9IKl' +
    'yA0RJmFIVGUVCpWouu0iBsRQpnj9H+3PZmVYI2TqZ0CnODb0PDNCNYURso3vQ89vUOL/N0u+QoXIKlSS5ysIz2nZRIjxAmN6YcM3' +
    'GpU6YS106kKfF1TTGFJDG8Oqwes0humX5yuUOYy62lCmOLvEMgNK39hr6n8AAAD//2BLdeQAAAAGSURBVAMAvPDMykj8WnAAAAAA' +
    'SUVORK5CYII=',
);
export const WEBP_16x12 = b64(
  'UklGRh4CAABXRUJQVlA4WAoAAAAgAAAADwAACwAASUNDUMgBAAAAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABh' +
    'Y3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
    'AAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAAB' +
    'UAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAA' +
    'AAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9Y' +
    'WVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAM' +
    'ZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADZWUDggMAAAAJABAJ0BKhAADAAKAEwlsAJ0ugADmAD+' +
    '8jvOKnOwd3XtWMOBfW1v/8ttRm0e5e+AAA==',
);

const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const entry = (tag: number, type: number, count: number, value: Buffer) =>
  Buffer.concat([u16(tag), u16(type), u32(count), Buffer.concat([value, Buffer.alloc(4)]).subarray(0, 4)]);
const dms = (deg: number) => {
  const d = Math.floor(deg);
  const m = Math.floor((deg - d) * 60);
  const s = Math.round(((deg - d) * 60 - m) * 60 * 1000);
  return Buffer.concat([u32(d), u32(1), u32(m), u32(1), u32(s), u32(1000)]);
};

/**
 * A TIFF (big-endian) as EXIF holds it: IFD0 with one entry, the GPS IFD pointer (0x8825); the GPS
 * IFD with latitude and longitude and their N/E refs; the rationals after it.
 */
export function exifTiff(lat: number, lon: number): Buffer {
  const gpsAt = 8 + 2 + 12 + 4;
  const dataAt = gpsAt + 2 + 4 * 12 + 4;
  const ifd0 = Buffer.concat([u16(1), entry(0x8825, 4, 1, u32(gpsAt)), u32(0)]);
  const gps = Buffer.concat([
    u16(4),
    entry(1, 2, 2, Buffer.from('N\0')),
    entry(2, 5, 3, u32(dataAt)),
    entry(3, 2, 2, Buffer.from('E\0')),
    entry(4, 5, 3, u32(dataAt + 24)),
    u32(0),
  ]);
  return Buffer.concat([Buffer.from('MM\0\x2a', 'latin1'), u32(8), ifd0, gps, dms(lat), dms(lon)]);
}

/** The GPS position in a TIFF, or undefined. */
function gpsOfTiff(t: Buffer): { lat: number; lon: number } | undefined {
  const ifd0 = t.readUInt32BE(4);
  let gpsAt: number | undefined;
  for (let i = 0; i < t.readUInt16BE(ifd0); i++) {
    const e = ifd0 + 2 + 12 * i;
    if (t.readUInt16BE(e) === 0x8825) gpsAt = t.readUInt32BE(e + 8);
  }
  if (gpsAt === undefined) return undefined;
  const val: Record<number, number> = {};
  for (let i = 0; i < t.readUInt16BE(gpsAt); i++) {
    const e = gpsAt + 2 + 12 * i;
    const tag = t.readUInt16BE(e);
    if (tag !== 2 && tag !== 4) continue;
    const at = t.readUInt32BE(e + 8);
    const r = (k: number) => t.readUInt32BE(at + 8 * k) / t.readUInt32BE(at + 8 * k + 4);
    val[tag] = r(0) + r(1) / 60 + r(2) / 3600;
  }
  return val[2] === undefined || val[4] === undefined ? undefined : { lat: val[2], lon: val[4] };
}

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** The JPEG with an APP1 EXIF segment carrying the position, right after SOI (where phones put it). */
export function jpegWithGps(jpeg: Buffer, lat: number, lon: number): Buffer {
  const body = Buffer.concat([EXIF_HEADER, exifTiff(lat, lon)]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), u16(body.length + 2), body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

const pngChunk = (type: string, data: Buffer) => {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), td, u32(crc32(td))]);
};

/** The PNG with an eXIf chunk (GPS) and a tEXt comment before IEND. */
export function pngWithGps(png: Buffer, lat: number, lon: number): Buffer {
  const iend = png.length - 12;
  return Buffer.concat([
    png.subarray(0, iend),
    pngChunk('eXIf', exifTiff(lat, lon)),
    pngChunk('tEXt', Buffer.from('Comment\0home of the rider', 'latin1')),
    png.subarray(iend),
  ]);
}

/** The (extended) WebP with an EXIF chunk at the end, its VP8X flag set and the RIFF size fixed. */
export function webpWithGps(webp: Buffer, lat: number, lon: number): Buffer {
  const tiff = exifTiff(lat, lon);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(tiff.length);
  const out = Buffer.concat([webp, Buffer.from('EXIF'), size, tiff, Buffer.alloc(tiff.length & 1)]);
  out[20] = out[20]! | 0x08;
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** The GPS position a viewer would read from the photo, whatever its type; undefined when none. */
export function gpsOf(b: Buffer): { lat: number; lon: number } | undefined {
  const at = b.indexOf(Buffer.from('MM\0\x2a', 'latin1'));
  return at < 0 ? undefined : gpsOfTiff(b.subarray(at));
}

/** The JPEG with its SOF0 saying width × height (the pixels stay 16×12: only the header lies). */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}
