/**
 * The 1.x transport: v2 write paths become 1.x /write paths (table; on the wire:
 * transport.int.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { rewritePathForV1 } from '../../../server/src/influx/transport.js';

describe('rewritePathForV1', () => {
  const cases: { name: string; path: string; opts?: Parameters<typeof rewritePathForV1>[1]; want: string }[] =
    [
      {
        name: 'bucket db/rp, ms precision',
        path: '/api/v2/write?org=&bucket=yizhan%2Fraw&precision=ms',
        want: '/write?db=yizhan&rp=raw&precision=ms',
      },
      {
        name: 'bucket db only',
        path: '/api/v2/write?org=o&bucket=yizhan&precision=s',
        want: '/write?db=yizhan&precision=s',
      },
      {
        name: 'ns → n',
        path: '/api/v2/write?org=&bucket=a%2Fb&precision=ns',
        want: '/write?db=a&rp=b&precision=n',
      },
      {
        name: 'us → u',
        path: '/api/v2/write?org=&bucket=a%2Fb&precision=us',
        want: '/write?db=a&rp=b&precision=u',
      },
      {
        name: 'db and rp options override the bucket',
        path: '/api/v2/write?org=&bucket=x%2Fy&precision=ms',
        opts: { db: 'yizhan', rp: 'raw' },
        want: '/write?db=yizhan&rp=raw&precision=ms',
      },
      {
        name: 'consistency kept',
        path: '/api/v2/write?org=&bucket=a%2Fb&precision=ms&consistency=one',
        want: '/write?db=a&rp=b&precision=ms&consistency=one',
      },
      {
        name: 'u/p params appended',
        path: '/api/v2/write?org=&bucket=a%2Fb&precision=ms',
        opts: { params: { u: 'writer', p: 'p&w d' } },
        want: '/write?db=a&rp=b&precision=ms&u=writer&p=p%26w+d',
      },
      { name: 'query path unchanged', path: '/query?q=SHOW+DATABASES', want: '/query?q=SHOW+DATABASES' },
      { name: 'ping unchanged', path: '/ping', want: '/ping' },
      {
        name: 'query gets u/p',
        path: '/query?q=x',
        opts: { params: { u: 'a', p: 'b' } },
        want: '/query?q=x&u=a&p=b',
      },
    ];
  it.each(cases)('$name', ({ path, opts, want }) => {
    expect(rewritePathForV1(path, opts)).toBe(want);
  });

  it('refuses a write without any database (a retry cannot help)', () => {
    expect(() => rewritePathForV1('/api/v2/write?org=&bucket=&precision=ms')).toThrow(/no database/);
  });
});
