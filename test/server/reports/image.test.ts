/**
 * Photo metadata: the GPS position a phone writes into a photo is gone after stripping (JPEG APP1,
 * PNG eXIf/tEXt, WebP EXIF), kept when the rider allowed it, and everything else of the file (the
 * pixels, JFIF, ICC colours) is byte for byte what it was. Sizes come from the headers.
 */
import { describe, expect, it } from 'vitest';
import { BadImageError, readImage, sniffImage, type ImageType } from '../../../server/src/reports/image.js';
import {
  JPEG_16x12,
  PNG_16x12,
  WEBP_16x12,
  gpsOf,
  jpegClaiming,
  jpegWithGps,
  pngWithGps,
  webpWithGps,
} from './images.js';

const HOME = { lat: 28.2282, lon: 112.9388 };
const cases: { name: string; type: ImageType; plain: Buffer; withGps: Buffer }[] = [
  {
    name: 'JPEG',
    type: 'image/jpeg',
    plain: JPEG_16x12,
    withGps: jpegWithGps(JPEG_16x12, HOME.lat, HOME.lon),
  },
  { name: 'PNG', type: 'image/png', plain: PNG_16x12, withGps: pngWithGps(PNG_16x12, HOME.lat, HOME.lon) },
  {
    name: 'WebP',
    type: 'image/webp',
    plain: WEBP_16x12,
    withGps: webpWithGps(WEBP_16x12, HOME.lat, HOME.lon),
  },
];

describe('readImage', () => {
  it.each(cases)('$name: the fixture carries GPS a viewer reads', ({ withGps, type }) => {
    expect(sniffImage(withGps)).toBe(type);
    expect(gpsOf(withGps)?.lat).toBeCloseTo(HOME.lat, 4);
    expect(gpsOf(withGps)?.lon).toBeCloseTo(HOME.lon, 4);
  });

  it.each(cases)(
    '$name: stripped, the GPS is gone and the file is the original image again',
    ({ type, plain, withGps }) => {
      const { info, data } = readImage(withGps, type, false);
      expect(info).toEqual({ width: 16, height: 12 });
      expect(gpsOf(data)).toBeUndefined();
      expect(data.includes(Buffer.from('Exif'))).toBe(false);
      expect(data.includes(Buffer.from('home of the rider'))).toBe(false);
      // WebP: the EXIF flag of VP8X is cleared and the RIFF size fits again, so the bytes match.
      expect(data.equals(plain)).toBe(true);
    },
  );

  it.each(cases)('$name: with keepLocation the photo is stored as sent', ({ type, withGps }) => {
    const { data } = readImage(withGps, type, true);
    expect(data.equals(withGps)).toBe(true);
    expect(gpsOf(data)?.lat).toBeCloseTo(HOME.lat, 4);
  });

  it('JPEG: JFIF and the ICC profile stay, comments go', () => {
    const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.from('rider 42')]);
    const withCom = Buffer.concat([JPEG_16x12.subarray(0, 2), com, JPEG_16x12.subarray(2)]);
    const { data } = readImage(withCom, 'image/jpeg', false);
    expect(data.includes(Buffer.from('rider 42'))).toBe(false);
    expect(data.includes(Buffer.from('JFIF'))).toBe(true);
    expect(data.includes(Buffer.from('ICC_PROFILE'))).toBe(true);
  });

  it('reads the size a header claims (the route refuses above 4096 px)', () => {
    expect(readImage(jpegClaiming(JPEG_16x12, 6000, 4000), 'image/jpeg', false).info).toEqual({
      width: 6000,
      height: 4000,
    });
  });

  it.each([
    { name: 'truncated JPEG', b: JPEG_16x12.subarray(0, 300), type: 'image/jpeg' as const },
    {
      name: 'PNG without IHDR',
      b: Buffer.concat([PNG_16x12.subarray(0, 8), Buffer.alloc(40)]),
      type: 'image/png' as const,
    },
    { name: 'WebP without VP8 header', b: WEBP_16x12.subarray(0, 20), type: 'image/webp' as const },
  ])('$name is refused as damaged', ({ b, type }) => {
    expect(() => readImage(b, type, false)).toThrow(BadImageError);
  });
});
