/**
 * One CSV cell as a spreadsheet must read it: quoted when it holds a comma, quote or line break,
 * and never a formula.
 */
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../../server/src/org/audit-csv.js';

describe('csvCell', () => {
  it.each([
    { v: '城关镇', out: '城关镇' },
    { v: 'a,b', out: '"a,b"' },
    { v: 'say "hi"', out: '"say ""hi"""' },
    { v: 'line\nbreak', out: '"line\nbreak"' },
    { v: 'cr\r\nlf', out: '"cr\r\nlf"' },
    { v: '=SUM(A1:A9)', out: "'=SUM(A1:A9)" },
    { v: '+86 138', out: "'+86 138" },
    { v: '-2+3', out: "'-2+3" },
    { v: '@cmd', out: "'@cmd" },
    { v: '\tx', out: "'\tx" },
    { v: '=HYPERLINK("http://x","点我")', out: '"\'=HYPERLINK(""http://x"",""点我"")"' },
    { v: 'a=b', out: 'a=b' },
    { v: null, out: '' },
    { v: 1_700_000_000_000, out: '1700000000000' },
  ])('$v → $out', ({ v, out }) => {
    expect(csvCell(v)).toBe(out);
  });
});
