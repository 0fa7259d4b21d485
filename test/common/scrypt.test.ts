/** The shared password KDF: a salted hash verifies its secret and nothing else, at the stated cost. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMS, hashSecret, verifySecret } from '@yizhan/common/scrypt';

describe('@yizhan/common/scrypt', () => {
  it('hashes with a fresh salt at the default cost (N=2^15 needs the raised maxmem) and verifies only the secret', async () => {
    const a = await hashSecret('geheim-123456');
    const b = await hashSecret('geheim-123456');
    expect(a.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(a.hash, 'base64')).toHaveLength(32);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await verifySecret('geheim-123456', a)).toBe(true);
    expect(await verifySecret('geheim-123457', a)).toBe(false);
    expect(await verifySecret('geheim-123456', { ...a, salt: b.salt })).toBe(false);
  });

  it('keeps the cost a hash was made with', async () => {
    const cheap = { ...DEFAULT_SCRYPT_PARAMS, N: 2 ** 10 };
    const h = await hashSecret('x', cheap);
    expect(h.params.N).toBe(1024);
    expect(await verifySecret('x', h)).toBe(true);
    expect(await verifySecret('x', { ...h, params: DEFAULT_SCRYPT_PARAMS })).toBe(false);
  });
});
