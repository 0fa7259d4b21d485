import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  it('returns the first truthy value, sync or async', async () => {
    let n = 0;
    await expect(waitFor('the third call', () => (++n >= 3 ? n : 0), 2_000, 1)).resolves.toBe(3);
    await expect(waitFor('a promise', () => Promise.resolve('ready'))).resolves.toBe('ready');
  });

  it('counts a throw as "not yet"', async () => {
    let n = 0;
    const v = await waitFor(
      'the call after the throws',
      () => {
        if (++n < 3) throw new Error('not up');
        return 'up';
      },
      2_000,
      1,
    );
    expect(v).toBe('up');
  });

  it('fails after the timeout naming what it waited for and the last error', async () => {
    await expect(waitFor('the door to close', () => false, 50, 5)).rejects.toThrow(
      /timed out after \d+ ms waiting for the door to close$/,
    );
    await expect(
      waitFor(
        'influxd',
        () => {
          throw new Error('ECONNREFUSED');
        },
        50,
        5,
      ),
    ).rejects.toThrow(/waiting for influxd \(last error: ECONNREFUSED\)/);
  });
});
