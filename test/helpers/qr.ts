/**
 * Reading QR codes back in tests (jsqr): from a screenshot (PNG) or from a module matrix drawn
 * as pixels, so a test checks what a phone's camera would read, not the encoder's own say-so.
 */
import jsQRModule from 'jsqr';
import { decodePng } from './png.js';

/** jsqr is CommonJS typed as an ES module: Node hands its function over as the default export. */
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/** The text of the QR code in an RGBA image, or null when none reads. */
export function readQrRgba(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  return jsQR(rgba, width, height)?.data ?? null;
}

/** The text of the QR code in a PNG (a Chromium screenshot), or null when none reads. */
export function readQrPng(png: Buffer): string | null {
  const img = decodePng(png);
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 4; c++) rgba[i * 4 + c] = c < img.channels ? img.data[i * img.channels + c]! : 255;
  return readQrRgba(rgba, img.width, img.height);
}

/** A module matrix (true = dark) drawn `scale` pixels a module, black on white, as RGBA. */
export function modulesToRgba(rows: readonly (readonly boolean[])[], scale: number) {
  const size = rows.length * scale;
  const rgba = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      if (rows[Math.floor(y / scale)]![Math.floor(x / scale)])
        rgba.fill(0, (y * size + x) * 4, (y * size + x) * 4 + 3);
  return { rgba, width: size, height: size };
}
