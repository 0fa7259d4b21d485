/**
 * The writer reads write times from the joined request body (lineTimes) instead of keeping them
 * per line; these tests hold that shortcut to what the plain code gave: the same numbers.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lineTimes } from '../../../server/src/influx/delivery.js';

const T0 = 1_790_000_000_123;

describe('lineTimes: the time of each line, read from the joined body', () => {
  const slow = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));

  it.each([
    { what: 'reading line', line: `door,sensor=door,station=st-001 value=1 ${T0}` },
    { what: 'no space', line: '12345' },
    { what: 'ends in a space', line: 'a value=1 ' },
    { what: 'letters after the space', line: 'a value=1 12x' },
    { what: 'empty line', line: '' },
    { what: 'sixteen digits', line: 'a b 1234567890123456' },
    { what: 'leading zeros', line: 'a b 000042' },
    { what: 'newline inside the line', line: 'a\nb 17' },
  ])('$what', ({ line }) => {
    const lines = ['x 1', line, 'y 2'];
    expect([...lineTimes(lines, lines.join('\n'))]).toEqual(lines.map(slow));
  });

  it('equals Number(line.slice(lastIndexOf(" ") + 1)) for any lines', () => {
    const line = fc.string({ unit: fc.constantFrom('a', '镇', ' ', '\n', '0', '7', '9', '.', '-', 'e') });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        expect([...lineTimes(lines, lines.join('\n'))]).toEqual(lines.map(slow));
      }),
      { numRuns: 500 },
    );
  });
});
