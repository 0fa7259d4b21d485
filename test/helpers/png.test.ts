/** The test PNG codec: what it encodes it decodes to the same pixels, through every row filter zlib's output meets. */
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from './png.js';

describe('test PNG codec', () => {
  it('round-trips an RGB image', () => {
    const width = 7;
    const height = 5;
    const data = new Uint8Array(width * height * 3).map((_, i) => (i * 37) % 251);
    const back = decodePng(encodePng({ width, height, data, channels: 3 }));
    expect(back).toMatchObject({ width, height, channels: 3 });
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });
});
