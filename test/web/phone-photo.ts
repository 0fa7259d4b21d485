/**
 * Photos for the report form's tests: a large JPEG drawn by chromium itself, given an EXIF APP1
 * segment with a GPS position (as a phone camera writes it), and the checks on what the page
 * uploads: its pixel size (the SOF marker) and whether any EXIF is left.
 */
import type { Page } from 'playwright-core';

/** An EXIF APP1 segment (big-endian TIFF) whose GPS IFD says 30° N. */
export function exifGpsSegment(): Buffer {
  const tiff = Buffer.alloc(80);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 at 8
  tiff.writeUInt16BE(1, 8); // one entry: the GPS IFD pointer
  tiff.writeUInt16BE(0x8825, 10);
  tiff.writeUInt16BE(4, 12); // LONG
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18); // GPS IFD at 26
  tiff.writeUInt32BE(0, 22); // no next IFD
  tiff.writeUInt16BE(2, 26); // GPSLatitudeRef, GPSLatitude
  tiff.writeUInt16BE(1, 28);
  tiff.writeUInt16BE(2, 30); // ASCII
  tiff.writeUInt32BE(2, 32);
  tiff.write('N\0', 36, 'latin1');
  tiff.writeUInt16BE(2, 40);
  tiff.writeUInt16BE(5, 42); // RATIONAL
  tiff.writeUInt32BE(3, 44);
  tiff.writeUInt32BE(56, 48); // values at 56
  tiff.writeUInt32BE(0, 52);
  [30, 1, 0, 1, 0, 1].forEach((v, i) => tiff.writeUInt32BE(v, 56 + i * 4));
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** A `width`×`height` JPEG with the GPS EXIF segment right after its start marker. */
export async function cameraJpeg(page: Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([w, h]) => {
      const c = document.createElement('canvas');
      c.width = w!;
      c.height = h!;
      const g = c.getContext('2d')!;
      const grad = g.createLinearGradient(0, 0, w!, h!);
      grad.addColorStop(0, '#b3261e');
      grad.addColorStop(1, '#1d6b2f');
      g.fillStyle = grad;
      g.fillRect(0, 0, w!, h!);
      const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), 'image/jpeg', 0.95));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (const x of bytes) s += String.fromCharCode(x);
      return btoa(s);
    },
    [width, height],
  );
  const jpeg = Buffer.from(b64, 'base64');
  return Buffer.concat([jpeg.subarray(0, 2), exifGpsSegment(), jpeg.subarray(2)]);
}

/** Width and height from a JPEG's frame header, and whether it carries an EXIF segment. */
export function jpegInfo(jpeg: Buffer): { width: number; height: number; exif: boolean } {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  let exif = false;
  for (let i = 2; i < jpeg.length;) {
    if (jpeg[i] !== 0xff) throw new Error(`no marker at ${i}`);
    const marker = jpeg[i + 1]!;
    const len = jpeg.readUInt16BE(i + 2);
    if (marker === 0xe1 && jpeg.subarray(i + 4, i + 10).toString('latin1') === 'Exif\0\0') exif = true;
    if (marker >= 0xc0 && marker <= 0xc3)
      return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7), exif };
    i += 2 + len;
  }
  throw new Error('no frame header');
}
