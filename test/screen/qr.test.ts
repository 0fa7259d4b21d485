/**
 * The screen's QR code: the phone page URL of a station, and the encoder's modules and SVG read
 * back by a decoder (jsqr) as that URL.
 */
import { describe, expect, it } from 'vitest';
import { phonePageUrl, qrModules, qrSvg, QR_QUIET_ZONE } from '@yizhan/screen/qr';
import { modulesToRgba, readQrRgba } from '../helpers/qr.js';

describe('phonePageUrl', () => {
  it('is the phone page with the station the phone pages read', () => {
    expect(phonePageUrl('https://yizhan.example.cn', 'st-001')).toBe(
      'https://yizhan.example.cn/m/?station=st-001',
    );
    expect(phonePageUrl('https://yizhan.example.cn/county/', 'st-001')).toBe(
      'https://yizhan.example.cn/county/m/?station=st-001',
    );
    expect(phonePageUrl('http://x', 'a&b')).toBe('http://x/m/?station=a%26b');
  });
});

describe('qrModules and qrSvg', () => {
  const url = 'https://yizhan.example.cn/m/?station=st-001';

  it('encode what a decoder reads back, with a quiet zone', () => {
    const rows = qrModules(url);
    const { rgba, width, height } = modulesToRgba(rows, 4);
    expect(readQrRgba(rgba, width, height)).toBe(url);
    expect(rows[0]!.some(Boolean)).toBe(false);
    expect(rows[QR_QUIET_ZONE - 1]!.some(Boolean)).toBe(false);
    expect(rows[QR_QUIET_ZONE]![QR_QUIET_ZONE]).toBe(true);
  });

  it('draw every dark module once in the SVG path and escape the label', () => {
    const rows = qrModules(url);
    const svg = qrSvg(url, '扫码 <看>');
    const dark = rows.flat().filter(Boolean).length;
    const runs = [...svg.matchAll(/M\d+ \d+h(\d+)v1h-\d+z/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(runs).toBe(dark);
    expect(svg).toContain(`viewBox="0 0 ${rows.length} ${rows.length}"`);
    expect(svg).toContain('aria-label="扫码 &#60;看&#62;"');
  });
});
